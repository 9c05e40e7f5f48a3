package dev.danmaku.tools.client;

import java.net.URI;

/**
 * Receives what a {@link DanmakuClient} is sent without asking, and its connection events. Every
 * method is called on the client's single event-loop thread, in the order the frames arrived; a
 * method must not block (hand work to another thread if it may). All methods default to no-ops.
 */
public interface DanmakuListener {
    /** A bullet of a joined room, in sequence order, never twice. */
    default void onBullet(Bullet bullet) {
    }

    /** A JOINED arrived (the application's own join, or a resume the client made). */
    default void onJoined(Joined joined) {
    }

    /** A gap, a NOT_RECOVERED resume or an epoch change: reported before the bullets that follow it. */
    default void onDiscontinuity(Discontinuity discontinuity) {
    }

    /** A RANKING frame. */
    default void onRanking(Ranking ranking) {
    }

    /** An ERROR that answers none of the pending requests (e.g. the reason a node closes the connection). */
    default void onError(ServerError error) {
    }

    /** A REDIRECT or MOVED; the client follows it (reconnects to the address and resumes). */
    default void onRedirect(Redirect redirect) {
    }

    /** A connection is up (handshake done); {@code reconnect} is false for the first one. */
    default void onConnected(URI uri, boolean reconnect) {
    }

    /**
     * The connection was lost; the client tries attempt {@code attempt} (from 1) of {@code tries} after
     * {@code delayMs}.
     */
    default void onReconnecting(URI uri, String cause, int attempt, int tries, long delayMs) {
    }

    /**
     * The client stopped for good: {@code cause} is null after {@link DanmakuClient#close()}, else why it
     * gave up (every pending future has failed with it).
     */
    default void onClosed(DanmakuException cause) {
    }
}
