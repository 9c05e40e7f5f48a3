package dev.danmaku.tools.client;

import java.util.random.RandomGenerator;

/**
 * Exponential reconnect backoff: attempt {@code i} (from 0) waits {@code base * 2^i} ms scaled by a
 * uniform jitter factor in {@code [1 - jitter, 1 + jitter]}, so clients dropped together by a node
 * restart do not reconnect in lock-step. With the defaults: about 200, 400 and 800 ms, then give up.
 *
 * <p>Owned by the client's event loop (the random source is not shared).
 */
public final class Backoff {
    private final long baseMs;
    private final int tries;
    private final double jitter;
    private final RandomGenerator random;

    /**
     * @param baseMs first delay, ms
     * @param tries  attempts before giving up
     * @param jitter fraction in [0, 1)
     */
    public Backoff(long baseMs, int tries, double jitter, RandomGenerator random) {
        if (baseMs < 0 || tries < 0 || jitter < 0 || jitter >= 1) {
            throw new IllegalArgumentException("backoff out of range");
        }
        this.baseMs = baseMs;
        this.tries = tries;
        this.jitter = jitter;
        this.random = random;
    }

    /** Attempts allowed before giving up. */
    public int tries() {
        return tries;
    }

    /** True if attempt {@code attempt} (from 0) may still be made. */
    public boolean allows(int attempt) {
        return attempt < tries;
    }

    /** The un-jittered delay of attempt {@code attempt}, ms (capped at 2^20 times the base). */
    public long nominalDelayMs(int attempt) {
        return baseMs << Math.min(attempt, 20);
    }

    /** The jittered delay before attempt {@code attempt}, ms. */
    public long delayMs(int attempt) {
        double factor = 1 - jitter + 2 * jitter * random.nextDouble();
        return Math.round(nominalDelayMs(attempt) * factor);
    }
}
