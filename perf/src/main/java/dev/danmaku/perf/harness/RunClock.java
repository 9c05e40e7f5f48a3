package dev.danmaku.perf.harness;

import java.time.Instant;

/**
 * Wall-clock microseconds derived from {@link System#nanoTime()} (one reading of the wall clock at
 * construction), so that receive times are monotonic and finer than a millisecond, and the
 * measurement window. Thread-safe: the window fields are volatile and set once by the run.
 */
public final class RunClock {
    private final long baseNanos;
    private final long baseEpochMicros;
    private volatile long measureStartMs = Long.MAX_VALUE;
    private volatile long measureEndMs = Long.MAX_VALUE;

    public RunClock() {
        Instant now = Instant.now();
        baseNanos = System.nanoTime();
        baseEpochMicros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    public long epochMicros() {
        return baseEpochMicros + (System.nanoTime() - baseNanos) / 1_000;
    }

    public long epochMs() {
        return epochMicros() / 1_000;
    }

    /** The {@link System#nanoTime()} value at epoch time {@code epochMicros}. */
    public long nanosAt(long epochMicros) {
        return baseNanos + (epochMicros - baseEpochMicros) * 1_000;
    }

    /** Latencies and accepted bullets count when the intended time is in [start, end), epoch ms. */
    public void window(long startMs, long endMs) {
        measureStartMs = startMs;
        measureEndMs = endMs;
    }

    /** True when a bullet with timestamp {@code tsMs} belongs to the measurement window. */
    public boolean measured(long tsMs) {
        return tsMs >= measureStartMs && tsMs < measureEndMs;
    }

    /** True when {@code nowMicros} is inside the measurement window. */
    public boolean measuredNow(long nowMicros) {
        long ms = nowMicros / 1_000;
        return ms >= measureStartMs && ms < measureEndMs;
    }
}
