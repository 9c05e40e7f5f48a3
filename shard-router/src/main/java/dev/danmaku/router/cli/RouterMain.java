package dev.danmaku.router.cli;

import io.lettuce.core.RedisException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code bin/danmaku router|cluster ...}: the operator's side of a cluster (the
 * shard map in Redis, plans, their application and progress) and a whole cluster on one machine.
 *
 * <p>Exit codes: {@link #EXIT_OK}, {@link #EXIT_FAILURE} (one line on stderr), {@link #EXIT_USAGE}
 * (a bad command line: one line and a hint), {@link #EXIT_STALE} (a plan made from an older map).
 * No user mistake prints a stack trace.
 */
@Command(name = "danmaku", mixinStandardHelpOptions = true, version = "danmaku 0.1.0",
        description = "Run and rebalance a danmaku cluster.",
        subcommands = {RouterCommand.class, ClusterCommand.class})
public final class RouterMain implements Runnable {
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;
    /** {@code router apply} of a plan whose map is no longer the current one. */
    public static final int EXIT_STALE = 3;

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** The command line with the project's error handling: one line per user mistake. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new RouterMain());
        // A cluster may be called 'drain' or a plan file 'status': an option's value is never a subcommand.
        cl.setAllowSubcommandsAsOptionParameters(true);
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("error: " + ex.getMessage());
            c.getErr().println("try '" + c.getCommandSpec().qualifiedName() + " --help'");
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            if (ex instanceof CommandFailure f) {
                c.getErr().println("error: " + f.getMessage());
                return f.exitCode();
            }
            c.getErr().println("error: " + describe(ex));
            return EXIT_FAILURE;
        });
        return cl;
    }

    /** One line for an unexpected exception: its message, or the innermost cause's for Redis errors. */
    static String describe(Throwable ex) {
        Throwable t = ex;
        if (t instanceof RedisException) {
            while (t.getCause() != null && t.getCause() != t) {
                t = t.getCause();
            }
            return "redis: " + message(t);
        }
        return message(t);
    }

    static String message(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
