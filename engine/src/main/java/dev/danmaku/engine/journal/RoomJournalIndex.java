package dev.danmaku.engine.journal;

import org.agrona.collections.Long2ObjectHashMap;

/**
 * A sparse per-room index from (epoch, sequence) to the journal document that holds it, so replaying
 * a viewer's gap that is no longer in memory starts near the gap instead of at the journal start.
 *
 * <p>Owned by the journal stage thread: {@link JournalWriter#commit()} records checkpoints, and
 * {@link JournalRecovery} rebuilds the index at startup. Replay requests reach it through the ring
 * (or take the checkpoint on that thread); it is not thread-safe. Allocation-free except when a
 * room is seen for the first time or its checkpoint arrays grow (doubling, up to the cap).
 *
 * <p><b>Checkpoints.</b> For each room, the document index of the first bullet of each epoch seen,
 * of every bullet whose sequence is a multiple of {@code interval}, and of the room's first bullet
 * after a restart. Checkpoints are kept in (epoch, sequence) order.
 *
 * <p><b>Bound.</b> At most {@code capacityPerRoom} checkpoints per room (20 bytes each): recording
 * one more drops the room's <em>oldest</em> checkpoint (counted by {@link #droppedCheckpoints()}).
 * A seek for a position older than a room's oldest remaining checkpoint returns {@link #START}: a
 * correct but full scan, which the caller may prefer to answer with "not recovered" instead (see
 * {@link #oldestSequence}). With the defaults (64, 1024) a room keeps checkpoints for its last
 * ~65,000 bullets in about 20 KiB. The number of rooms is bounded by the room registry, which
 * calls {@link #removeRoom} when a room is closed.
 */
public final class RoomJournalIndex {
    /** {@link #seekIndex} result: no checkpoint at or before the position; read from the journal start. */
    public static final long START = -1;
    /** Default distance between checkpoints, sequences. */
    public static final int DEFAULT_INTERVAL = 64;
    /** Default most checkpoints kept per room. */
    public static final int DEFAULT_CAPACITY_PER_ROOM = 1024;

    private static final int INITIAL_CAPACITY = 16;

    private final int interval;
    private final int capacityPerRoom;
    private final Long2ObjectHashMap<Checkpoints> rooms = new Long2ObjectHashMap<>();
    private long dropped;

    public RoomJournalIndex() {
        this(DEFAULT_INTERVAL, DEFAULT_CAPACITY_PER_ROOM);
    }

    /**
     * @param interval        record a checkpoint every this many sequences, &gt;= 1
     * @param capacityPerRoom most checkpoints kept per room, &gt;= 2
     */
    public RoomJournalIndex(final int interval, final int capacityPerRoom) {
        if (interval < 1) {
            throw new IllegalArgumentException("interval must be >= 1: " + interval);
        }
        if (capacityPerRoom < 2) {
            throw new IllegalArgumentException("capacityPerRoom must be >= 2: " + capacityPerRoom);
        }
        this.interval = interval;
        this.capacityPerRoom = capacityPerRoom;
    }

    public int interval() {
        return interval;
    }

    /** True if a bullet at (epoch, sequence) in this room would become a checkpoint. */
    public boolean wants(final long roomId, final long epoch, final long sequence) {
        final Checkpoints c = rooms.get(roomId);
        if (c == null || c.size == 0) {
            return true;
        }
        final int newest = c.slot(c.size - 1);
        final long newestEpoch = c.epoch[newest];
        if (epoch != newestEpoch) {
            return epoch > newestEpoch; // a new epoch starts a checkpoint; an older one is ignored
        }
        return sequence > c.sequence[newest] && sequence % interval == 0;
    }

    /**
     * Records that the bullet at (epoch, sequence) of this room is in the document with
     * {@code documentIndex}, if {@link #wants} it; otherwise does nothing.
     */
    public void record(final long roomId, final long epoch, final long sequence, final long documentIndex) {
        if (!wants(roomId, epoch, sequence)) {
            return;
        }
        Checkpoints c = rooms.get(roomId);
        if (c == null) {
            c = new Checkpoints(Math.min(INITIAL_CAPACITY, capacityPerRoom));
            rooms.put(roomId, c);
        }
        if (c.size == c.epoch.length) {
            if (c.size < capacityPerRoom) {
                c.grow(Math.min(capacityPerRoom, c.size * 2));
            } else {
                c.head = c.slot(1);
                c.size--;
                dropped++;
            }
        }
        final int slot = c.slot(c.size);
        c.epoch[slot] = epoch;
        c.sequence[slot] = sequence;
        c.index[slot] = documentIndex;
        c.size++;
    }

    /**
     * The index of a document at or before the one holding (epoch, sequence) of this room: reading
     * the journal from there reaches every bullet of the room from that position on, in order.
     *
     * @return a document index, or {@link #START} if no checkpoint is at or before that position
     */
    public long seekIndex(final long roomId, final long epoch, final long sequence) {
        final Checkpoints c = rooms.get(roomId);
        if (c == null) {
            return START;
        }
        // Binary search for the last checkpoint <= (epoch, sequence).
        int lo = 0;
        int hi = c.size - 1;
        int found = -1;
        while (lo <= hi) {
            final int mid = (lo + hi) >>> 1;
            final int slot = c.slot(mid);
            final long e = c.epoch[slot];
            if (e < epoch || (e == epoch && c.sequence[slot] <= sequence)) {
                found = slot;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found < 0 ? START : c.index[found];
    }

    /**
     * Sequence of the room's oldest checkpoint in {@code epoch}, or -1 if it has none in that epoch:
     * a seek for an older sequence of that epoch returns {@link #START}.
     */
    public long oldestSequence(final long roomId, final long epoch) {
        final Checkpoints c = rooms.get(roomId);
        if (c == null) {
            return -1;
        }
        for (int i = 0; i < c.size; i++) {
            final int slot = c.slot(i);
            if (c.epoch[slot] == epoch) {
                return c.sequence[slot];
            }
        }
        return -1;
    }

    /**
     * Drops every checkpoint pointing before {@code firstIndex} (after {@link Journal#sweep} deleted
     * old files), so seeks never return a deleted position. Off the hot path: visits every room.
     */
    public void trimBefore(final long firstIndex) {
        final Long2ObjectHashMap<Checkpoints>.ValueIterator it = rooms.values().iterator();
        while (it.hasNext()) {
            final Checkpoints c = it.next();
            while (c.size > 0 && c.index[c.head] < firstIndex) {
                c.head = c.slot(1);
                c.size--;
            }
        }
    }

    /** Forgets a closed room. */
    public void removeRoom(final long roomId) {
        rooms.remove(roomId);
    }

    /** Forgets everything (before a rebuild). */
    public void clear() {
        rooms.clear();
    }

    /** Checkpoints kept for a room. */
    public int checkpoints(final long roomId) {
        final Checkpoints c = rooms.get(roomId);
        return c == null ? 0 : c.size;
    }

    /** Rooms with at least one checkpoint. */
    public int rooms() {
        return rooms.size();
    }

    /** Checkpoints dropped because a room reached the cap. */
    public long droppedCheckpoints() {
        return dropped;
    }

    /** A ring of checkpoints in (epoch, sequence) order; head is the oldest. */
    private static final class Checkpoints {
        long[] epoch;
        long[] sequence;
        long[] index;
        int head;
        int size;

        Checkpoints(final int capacity) {
            epoch = new long[capacity];
            sequence = new long[capacity];
            index = new long[capacity];
        }

        int slot(final int ordinal) {
            final int s = head + ordinal;
            return s >= epoch.length ? s - epoch.length : s;
        }

        void grow(final int capacity) {
            final long[] e = new long[capacity];
            final long[] s = new long[capacity];
            final long[] x = new long[capacity];
            for (int i = 0; i < size; i++) {
                final int slot = slot(i);
                e[i] = epoch[slot];
                s[i] = sequence[slot];
                x[i] = index[slot];
            }
            epoch = e;
            sequence = s;
            index = x;
            head = 0;
        }
    }
}
