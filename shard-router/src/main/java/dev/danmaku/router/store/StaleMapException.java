package dev.danmaku.router.store;

/** A compare-and-set of the shard map found another version than the one it expected. */
public final class StaleMapException extends Exception {
    private final long expected;
    private final long actual;

    public StaleMapException(long expected, long actual) {
        super("the shard map is at version " + actual + ", not " + expected + " (someone changed it; plan again)");
        this.expected = expected;
        this.actual = actual;
    }

    public long expected() {
        return expected;
    }

    public long actual() {
        return actual;
    }
}
