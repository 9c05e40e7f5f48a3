package dev.danmaku.tools.client;

import org.agrona.concurrent.EpochClock;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Assigns BULLET timestamps, which the protocol also uses as idempotency keys: each new bullet gets
 * {@code max(now, last + 1)}, so keys are strictly increasing even when several bullets are sent in
 * the same millisecond or the wall clock steps back. A retried bullet keeps the key it was given
 * (the client stores it with the pending bullet and never asks for a new one).
 *
 * <p>Safe from any thread (a CAS loop); the client calls it on its event loop.
 */
public final class BulletTimestamps {
    private final EpochClock clock;
    private final AtomicLong last = new AtomicLong(Long.MIN_VALUE);

    public BulletTimestamps(EpochClock clock) {
        this.clock = clock;
    }

    /** The next key, Unix ms: never equal to or below any key returned before. */
    public long next() {
        long now = Math.max(0, clock.time());
        while (true) {
            long prev = last.get();
            long next = prev == Long.MIN_VALUE ? now : Math.max(now, prev + 1);
            if (last.compareAndSet(prev, next)) {
                return next;
            }
        }
    }

    /** The last key returned, or {@link Long#MIN_VALUE} before the first. */
    public long last() {
        return last.get();
    }
}
