package dev.danmaku.perf;

import dev.danmaku.perf.harness.BaselineServerCommand;
import dev.danmaku.perf.harness.ConnsCommand;
import dev.danmaku.perf.harness.NodeFlagsCommand;
import dev.danmaku.perf.harness.RunCommand;
import dev.danmaku.perf.harness.SaturateCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code danmaku perf}: the load harness (run, saturate, conns) and the naive baseline server. */
@Command(name = "danmaku perf", mixinStandardHelpOptions = true, version = "danmaku 0.1.0",
        description = "Load harness: real protocol, real sockets, a lean Netty client. See docs/benchmarks.md.",
        subcommands = {RunCommand.class, SaturateCommand.class, ConnsCommand.class, BaselineServerCommand.class,
            NodeFlagsCommand.class, CommandLine.HelpCommand.class})
public final class PerfMain implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** Runs a command line; returns the exit code (2 for usage errors, 1 for failures). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new PerfMain());
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            if (ex instanceof IllegalArgumentException) {
                System.err.println("perf: " + ex.getMessage());
                return 2;
            }
            System.err.println("perf: " + ex);
            return 1;
        });
        return cl.execute(args);
    }

    public static void main(String[] args) {
        int code = execute(args);
        System.exit(code);
    }
}
