package dev.danmaku.tools;

import dev.danmaku.tools.client.ClientCommand;
import dev.danmaku.tools.codec.CodecCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the {@code danmaku} tools ({@code bin/danmaku codec|client ...}).
 * Exit codes: 0 ok, 1 failure (one line on stderr), 2 usage error.
 */
@Command(name = "danmaku", mixinStandardHelpOptions = true, version = "danmaku 0.1.0",
        description = "Danmaku engine tools.",
        subcommands = {CodecCommand.class, ClientCommand.class})
public final class Main implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** Builds the command line with the project's error handling: one line per user mistake. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("error: " + ex.getMessage());
            c.getErr().println("try '" + c.getCommandSpec().qualifiedName() + " --help'");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            c.getErr().println("error: " + ex.getMessage());
            return 1;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
