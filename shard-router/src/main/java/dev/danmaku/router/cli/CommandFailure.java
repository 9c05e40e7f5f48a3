package dev.danmaku.router.cli;

/**
 * A failure the CLI reports as one line on stderr ({@code error: MESSAGE}) with its exit code:
 * {@link RouterMain#EXIT_FAILURE} or {@link RouterMain#EXIT_STALE}. No stack trace is kept.
 */
final class CommandFailure extends Exception {
    private final int exitCode;

    CommandFailure(String message) {
        this(RouterMain.EXIT_FAILURE, message);
    }

    CommandFailure(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
