package dev.danmaku.engine.room;

import java.util.Arrays;

/**
 * The epochs a room was in before its current one, oldest first, each with the last sequence it
 * holds: a room moved between nodes continues its sequence under a new epoch at every move, so
 * sequence {@code s} belongs to the oldest epoch whose end is at least {@code s} (or the current
 * epoch past them all). An epoch is <em>exact</em> if its end is known to be its real last bullet (a
 * handoff), not exact if it was rebuilt from the sinks after its owner died and may have gone on.
 *
 * <p>Bounded: past {@link #MAX} epochs the oldest are dropped, and sequences up to the end of the
 * last dropped one ({@link #unknownThrough()}) belong to no known epoch. Immutable.
 */
public final class EpochChain {
    /** Most epochs kept. */
    public static final int MAX = 8;
    /** A room that began on this node. */
    public static final EpochChain NONE = new EpochChain(new long[0], new long[0], new boolean[0], 0);

    private final long[] epochs;
    private final long[] ends;
    private final boolean[] exact;
    private final long unknownThrough;

    private EpochChain(long[] epochs, long[] ends, boolean[] exact, long unknownThrough) {
        this.epochs = epochs;
        this.ends = ends;
        this.exact = exact;
        this.unknownThrough = unknownThrough;
    }

    /**
     * This chain with {@code epoch} (ending at {@code end}) appended as the newest.
     *
     * @throws IllegalArgumentException if {@code epoch} is 0 or {@code end} is below the newest end
     */
    public EpochChain then(long epoch, long end, boolean exactEnd) {
        if (epoch == 0 || end < 0 || (size() > 0 && end < ends[size() - 1])) {
            throw new IllegalArgumentException("epoch " + epoch + " ending at " + end + " after " + this);
        }
        int keep = Math.min(size(), MAX - 1);
        int drop = size() - keep;
        long[] e = new long[keep + 1];
        long[] s = new long[keep + 1];
        boolean[] x = new boolean[keep + 1];
        System.arraycopy(epochs, drop, e, 0, keep);
        System.arraycopy(ends, drop, s, 0, keep);
        System.arraycopy(exact, drop, x, 0, keep);
        e[keep] = epoch;
        s[keep] = end;
        x[keep] = exactEnd;
        return new EpochChain(e, s, x, drop > 0 ? ends[drop - 1] : unknownThrough);
    }

    /**
     * This chain, with sequences up to {@code sequence} marked as belonging to no known epoch (as
     * decoded from a handoff document).
     */
    public EpochChain unknownThrough(long sequence) {
        if (sequence < unknownThrough || (size() > 0 && sequence > ends[0])) {
            throw new IllegalArgumentException("unknown through " + sequence + " in " + this);
        }
        return sequence == unknownThrough ? this : new EpochChain(epochs, ends, exact, sequence);
    }

    public int size() {
        return epochs.length;
    }

    public long epoch(int i) {
        return epochs[i];
    }

    public long end(int i) {
        return ends[i];
    }

    public boolean exact(int i) {
        return exact[i];
    }

    /** Sequences up to this one belong to an epoch no longer kept (0 if none was dropped). */
    public long unknownThrough() {
        return unknownThrough;
    }

    /** The index of {@code epoch}, or -1. */
    public int indexOf(long epoch) {
        for (int i = epochs.length - 1; i >= 0; i--) {
            if (epochs[i] == epoch) {
                return i;
            }
        }
        return -1;
    }

    /**
     * True if everything after epoch {@code i}'s sequences is known: its end and every later one's
     * are exact, so a viewer that saw epoch {@code i} up to any sequence can be brought up exactly.
     */
    public boolean exactFrom(int i) {
        for (int k = i; k < exact.length; k++) {
            if (!exact[k]) {
                return false;
            }
        }
        return true;
    }

    /** The index of the epoch {@code sequence} belongs to, or {@link #size()} if the current one. */
    public int segmentOf(long sequence) {
        for (int i = 0; i < ends.length; i++) {
            if (sequence <= ends[i]) {
                return i;
            }
        }
        return ends.length;
    }

    /** The epoch {@code sequence} belongs to ({@code current} past every kept epoch, 0 if unknown). */
    public long epochOf(long sequence, long current) {
        if (sequence <= unknownThrough) {
            return 0;
        }
        int i = segmentOf(sequence);
        return i == ends.length ? current : epochs[i];
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < epochs.length; i++) {
            b.append(i == 0 ? "" : ", ").append(epochs[i]).append(exact[i] ? "<=" : "<=~").append(ends[i]);
        }
        return b.append(unknownThrough > 0 ? "; unknown<=" + unknownThrough : "").append(']').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EpochChain c && unknownThrough == c.unknownThrough && Arrays.equals(epochs, c.epochs)
                && Arrays.equals(ends, c.ends) && Arrays.equals(exact, c.exact);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(epochs) * 31 + Arrays.hashCode(ends);
    }
}
