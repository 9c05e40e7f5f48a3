package dev.danmaku.engine.filter;

import org.agrona.DirectBuffer;

/**
 * Hands admitted bullets to asynchronous (semantic, AI) screening. Called by the admit stage
 * thread for every bullet it admits.
 *
 * <p>Contract: the ring never waits for screening. {@code submit} copies what it needs and returns
 * at once; it never blocks, never allocates and never throws for a full queue. A verdict, if any,
 * comes back later through the implementation's result queue (see
 * {@link QueuedScreeningHook#pollVerdicts}), by which time the bullet has usually been delivered:
 * screening punishes the sender (ban, flag) rather than stopping the one bullet.
 */
public interface ScreeningHook {
    /**
     * Offers a bullet for screening.
     *
     * @param ref     the caller's reference for the bullet (e.g. its epoch/sequence), echoed in the verdict
     * @param roomId  room
     * @param userId  sender
     * @param content content, UTF-8; copied before return, so the caller may reuse the buffer
     * @param off     first byte
     * @param len     length in bytes
     * @return true if queued for screening; false if the bullet passes unscreened (queue full or
     *         content too large), which the implementation counts
     */
    boolean submit(long ref, long roomId, long userId, DirectBuffer content, int off, int len);
}
