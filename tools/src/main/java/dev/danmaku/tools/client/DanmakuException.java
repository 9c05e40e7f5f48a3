package dev.danmaku.tools.client;

/**
 * Completes a {@link DanmakuClient} future exceptionally: the node answered ERROR ({@link #error()}
 * is set), or the request could not be delivered (connection lost for good, client closed,
 * too many redirects; {@link #error()} is null).
 */
public final class DanmakuException extends RuntimeException {
    private final ServerError error;

    public DanmakuException(ServerError error) {
        super(error.describe(), null, false, false);
        this.error = error;
    }

    public DanmakuException(String message, Throwable cause) {
        super(message, cause, false, false);
        this.error = null;
    }

    /** The node's ERROR, or null if the failure was local. */
    public ServerError error() {
        return error;
    }
}
