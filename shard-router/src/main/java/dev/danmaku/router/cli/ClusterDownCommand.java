package dev.danmaku.router.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code danmaku cluster down}: stops what {@code cluster up} started in DIR, by the pids in its cluster.json. */
@Command(name = "down", mixinStandardHelpOptions = true,
        description = {"Stop what 'cluster up' started in DIR.",
                "",
                "SIGTERM to every node, up to 10 s, kill -9 to what is left; then the same for redis-server. "
                        + "Removes DIR/cluster.json; logs and data stay."})
final class ClusterDownCommand implements Callable<Integer> {
    /** How long the processes may take to exit after SIGTERM, ms. */
    static final long GRACE_MS = 10_000;

    @Spec
    CommandSpec spec;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "cluster",
            description = "the directory 'cluster up' used (default: ./${DEFAULT-VALUE})")
    Path dir;

    @Override
    public Integer call() throws CommandFailure, InterruptedException {
        Path file = dir.resolve(ClusterFile.FILE_NAME);
        ClusterFile cluster = ClusterFile.read(file);
        if (cluster == null) {
            throw new CommandFailure("no " + file + ": no cluster was started with --dir " + dir + " (or it is down already)");
        }
        PrintWriter out = spec.commandLine().getOut();
        // Nodes first: on SIGTERM they hand over and release their leases, which needs Redis.
        List<ClusterFile.Proc> nodes = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (ClusterFile.NodeProc n : cluster.nodes()) {
            nodes.add(n.proc());
            names.add(n.id());
        }
        boolean left = report(out, names, nodes, LocalProcesses.stop(nodes, GRACE_MS));
        left |= report(out, List.of("redis"), List.of(cluster.redis()), LocalProcesses.stop(List.of(cluster.redis()), GRACE_MS));
        if (left) {
            throw new CommandFailure("some processes survived kill -9 (see above); " + file + " is kept");
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new CommandFailure("cannot remove " + file + ": " + RouterMain.message(e));
        }
        out.println("cluster '" + cluster.name() + "' is down; removed " + file + " (logs and data are kept in " + dir + ")");
        out.flush();
        return RouterMain.EXIT_OK;
    }

    private static boolean report(PrintWriter out, List<String> names, List<ClusterFile.Proc> procs,
                                  List<LocalProcesses.Outcome> outcomes) {
        boolean left = false;
        for (int i = 0; i < procs.size(); i++) {
            String what = switch (outcomes.get(i)) {
                case STOPPED -> "stopped";
                case KILLED -> "killed (still running " + GRACE_MS / 1000 + " s after SIGTERM)";
                case NOT_RUNNING -> "was not running";
                case STILL_RUNNING -> "STILL RUNNING after kill -9";
            };
            left |= outcomes.get(i) == LocalProcesses.Outcome.STILL_RUNNING;
            out.println(names.get(i) + " (pid " + procs.get(i).pid() + "): " + what);
        }
        return left;
    }
}
