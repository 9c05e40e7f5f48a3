package dev.danmaku.router.cli;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs {@link RouterMain}'s command line in this JVM and captures what it prints. */
final class Cli {
    private Cli() {
    }

    /** Exit code and output of one run. */
    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /** A run in a background thread, its output readable while it runs. */
    record Running(StringWriter out, StringWriter err, java.util.concurrent.CompletableFuture<Integer> code) {
        /** Waits (bounded) for the exit. */
        Result await(long seconds) throws Exception {
            int c = code.get(seconds, java.util.concurrent.TimeUnit.SECONDS);
            return new Result(c, out.toString(), err.toString());
        }
    }

    static Running start(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = RouterMain.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        java.util.concurrent.CompletableFuture<Integer> code = new java.util.concurrent.CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                code.complete(cl.execute(args));
            } catch (Throwable e) {
                code.completeExceptionally(e);
            }
        }, "cli-under-test");
        t.setDaemon(true);
        t.start();
        return new Running(out, err, code);
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = RouterMain.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }
}
