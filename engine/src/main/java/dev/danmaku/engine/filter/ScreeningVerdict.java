package dev.danmaku.engine.filter;

/**
 * Mutable outcome of one classification, reused by the screening thread (one instance, reset before
 * each call). Action codes are plain ints so the admit stage can receive them without allocation.
 */
public final class ScreeningVerdict {
    /** Nothing to do; not published. */
    public static final int NONE = 0;
    /** Flag the bullet/sender for human review. */
    public static final int FLAG = 1;
    /** Ban the sender for {@link #banDurationMs()}. */
    public static final int BAN = 2;

    private int action = NONE;
    private long banDurationMs;

    /** Resets to {@link #NONE}. */
    public void reset() {
        action = NONE;
        banDurationMs = 0;
    }

    /** Marks the bullet for review. */
    public void flag() {
        action = FLAG;
        banDurationMs = 0;
    }

    /**
     * Bans the sender.
     *
     * @param durationMs ban length, ms, positive
     */
    public void ban(final long durationMs) {
        if (durationMs <= 0) {
            throw new IllegalArgumentException("ban duration must be positive: " + durationMs);
        }
        action = BAN;
        banDurationMs = durationMs;
    }

    /** @return {@link #NONE}, {@link #FLAG} or {@link #BAN} */
    public int action() {
        return action;
    }

    /** @return ban length, ms, when the action is {@link #BAN}; else 0 */
    public long banDurationMs() {
        return banDurationMs;
    }
}
