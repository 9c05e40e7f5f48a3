package dev.danmaku.engine.filter;

/**
 * The one mutable cell of the ban machinery: a volatile reference to the current immutable
 * {@link BanList}. Written by the admin thread (HTTP handler or the Redis hot-update listener:
 * keep publishers on one thread, or serialize them, since {@code publish} is a plain replace and
 * two concurrent read-modify-publish cycles would lose one update). Read by the admit stage.
 *
 * <p><b>Memory fence.</b> The admin thread fills a {@link BanList.Builder}, builds the snapshot (a
 * private copy of every map) and then publishes it with a volatile write. The volatile write has
 * release semantics and the admit stage's volatile read in {@link #current()} has acquire
 * semantics, so everything written while building happens-before everything the admit stage reads
 * through the reference it obtained: it can never see a half-filled map. (The snapshot's fields are
 * also final, which would make it safe even through a racy reference; the volatile adds that the
 * admit stage sees a new snapshot promptly, without caching the old one in a register.)
 *
 * <p>On x86 the read is a plain load; the admit stage should still read once per batch and use that
 * snapshot for the whole batch, so one batch is judged against one consistent set of bans.
 */
public final class CurrentBanList {
    private volatile BanList current;

    /** Starts with {@link BanList#EMPTY}. */
    public CurrentBanList() {
        this(BanList.EMPTY);
    }

    /** @param initial the first snapshot */
    public CurrentBanList(final BanList initial) {
        current = requireSnapshot(initial);
    }

    /**
     * The snapshot in force. Admit stage: call once per batch.
     *
     * @return the current snapshot, never null
     */
    public BanList current() {
        return current;
    }

    /**
     * Replaces the snapshot wholesale. Admin thread.
     *
     * @param next a fully built snapshot
     */
    public void publish(final BanList next) {
        current = requireSnapshot(next);
    }

    private static BanList requireSnapshot(final BanList snapshot) {
        if (snapshot == null) {
            throw new IllegalArgumentException("ban list snapshot must not be null");
        }
        return snapshot;
    }
}
