package dev.danmaku.engine.filter;

import org.agrona.DirectBuffer;

/**
 * A user-provided content classifier (a model call, a remote service, a keyword score). Runs on
 * the {@link QueuedScreeningHook}'s own thread, one bullet at a time: it may block and may be slow;
 * the ring never waits for it. It must not keep a reference to {@code content} after returning.
 */
@FunctionalInterface
public interface Classifier {
    /**
     * Classifies one bullet and writes the outcome into {@code verdict}, which arrives reset to
     * {@link ScreeningVerdict#NONE}.
     *
     * @param roomId  room
     * @param userId  sender
     * @param content content, UTF-8, valid only during the call
     * @param off     first byte
     * @param len     length in bytes
     * @param verdict out: the action to take
     * @throws Exception any failure (including interruption on close) is counted and the bullet
     *                   gets no verdict
     */
    void classify(long roomId, long userId, DirectBuffer content, int off, int len, ScreeningVerdict verdict)
        throws Exception;
}
