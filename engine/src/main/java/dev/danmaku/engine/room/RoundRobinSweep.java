package dev.danmaku.engine.room;

/**
 * Spreads a periodic visit of n items over the period: called on every tick, it says how many items
 * are due so that each item is visited once per {@code periodMs}, a few per tick instead of all in
 * one tick, and hands out item indexes round-robin. The fan-out stage pushes rankings with it: with
 * 5,000 rooms, pushing every ranking in one tick stalled the batches behind it for 100-250 ms.
 *
 * <p>Single-threaded, allocation-free. Items may be added between calls (n grows); the cursor wraps.
 */
public final class RoundRobinSweep {
    private final long periodMs;
    /** Item-milliseconds owed: each call adds n x elapsed; a visit pays one period. */
    private long credit;
    private long lastMs;
    private boolean started;
    private int cursor;

    /** @param periodMs how often each item is visited, ms (at least 1) */
    public RoundRobinSweep(long periodMs) {
        if (periodMs < 1) {
            throw new IllegalArgumentException("periodMs must be positive: " + periodMs);
        }
        this.periodMs = periodMs;
    }

    /**
     * How many items to visit now (call {@link #next} that many times). The first call starts the
     * clock and owes nothing; a clock step back owes nothing; a pause owes at most one full sweep.
     *
     * @param nowMs current time, ms
     * @param n     items now
     */
    public int due(long nowMs, int n) {
        if (!started) {
            started = true;
            lastMs = nowMs;
            return 0;
        }
        long elapsed = Math.max(0, Math.min(nowMs - lastMs, periodMs));
        lastMs = nowMs;
        credit = Math.min(credit + n * elapsed, n * periodMs);
        long visits = credit / periodMs;
        credit -= visits * periodMs;
        return (int) visits;
    }

    /** The next item's index in {@code [0, n)}, round-robin. */
    public int next(int n) {
        if (cursor >= n) {
            cursor = 0;
        }
        return cursor++;
    }
}
