package dev.danmaku.router.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code danmaku cluster up|down}: a whole cluster (one redis-server, N nodes) on this machine, for trying things. */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = {"A cluster on this machine: one redis-server and N nodes, in the background until 'cluster down'."},
        subcommands = {ClusterUpCommand.class, ClusterDownCommand.class})
public final class ClusterCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return RouterMain.EXIT_USAGE;
    }
}
