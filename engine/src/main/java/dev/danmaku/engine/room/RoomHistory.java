package dev.danmaku.engine.room;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A room's most recent bullets, by sequence, as encoded BATCH entries (codec BatchLayout: timestamp,
 * user id, username, content, colour). Bounded by a count and a byte budget; the oldest entries are
 * evicted first. Storage grows on demand (a quiet room costs a few KiB), never past the budget.
 *
 * <p>Layout: one circular byte log; an entry never wraps (when it does not fit at the end, writing
 * restarts at 0 and the unused tail is released), so every entry is one contiguous range that the
 * fan-out stage copies into a batch with a single memcpy. A ring of offsets indexed by
 * {@code seq % capacity} finds an entry.
 *
 * <p>Owned by the fan-out stage thread. Allocation-free except when it grows.
 */
public final class RoomHistory {
    private static final int INITIAL_BYTES = 4096;
    private static final int INITIAL_ENTRIES = 64;

    private final int maxEntries;
    private final int maxBytes;
    private final UnsafeBuffer log = new UnsafeBuffer(new byte[INITIAL_BYTES]);
    private int[] offsets = new int[INITIAL_ENTRIES];
    private int[] lengths = new int[INITIAL_ENTRIES];

    /** Sequence of the oldest retained entry; {@code first > last} when empty. */
    private long first = 1;
    private long last = 0;
    private int writePosition;
    private long bytesUsed;

    /**
     * @param maxEntries most entries kept (at least 1)
     * @param maxBytes   byte budget of the log (at least one maximal entry)
     */
    public RoomHistory(int maxEntries, int maxBytes) {
        if (maxEntries < 1 || maxBytes < 1024) {
            throw new IllegalArgumentException("history too small: " + maxEntries + " entries, " + maxBytes + " bytes");
        }
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
    }

    /** Starts empty after {@code lastSequence} (the next append must be {@code lastSequence + 1}). */
    public void resetAfter(long lastSequence) {
        first = lastSequence + 1;
        last = lastSequence;
        writePosition = 0;
        bytesUsed = 0;
    }

    /**
     * Appends the entry for {@code sequence} (must be {@link #lastSequence()} + 1), copying
     * {@code length} bytes from {@code src}. Evicts the oldest entries as needed.
     */
    public void append(long sequence, DirectBuffer src, int offset, int length) {
        if (sequence != last + 1) {
            throw new IllegalStateException("history gap: appending " + sequence + " after " + last);
        }
        int at = reserve(length);
        log.putBytes(at, src, offset, length);
        commit(sequence, at, length);
    }

    /**
     * Reserves {@code length} contiguous bytes for the next entry and returns their offset in
     * {@link #buffer()}; the caller writes the entry there and then calls {@link #commit}.
     */
    public int reserve(int length) {
        if (length > maxBytes / 2) {
            throw new IllegalArgumentException("entry of " + length + " bytes exceeds half the history budget");
        }
        if (size() == entryCapacity()) {
            if (entryCapacity() < maxEntries) {
                growEntries();
            } else {
                evictOldest();
            }
        }
        if (bytesUsed + length > log.capacity() && log.capacity() < maxBytes) {
            growBytes(length);
        }
        int at = writePosition;
        if (at + length > log.capacity()) {
            // Restart at 0; entries in the released tail are the oldest ones.
            while (size() > 0 && offsets[index(first)] >= at) {
                evictOldest();
            }
            at = 0;
        }
        // Evict the oldest entries that the new range overlaps.
        while (size() > 0) {
            int o = offsets[index(first)];
            if (o < at + length && o + lengths[index(first)] > at) {
                evictOldest();
            } else {
                break;
            }
        }
        return at;
    }

    /** Records the entry written at {@code at} (from {@link #reserve}) as {@code sequence}. */
    public void commit(long sequence, int at, int length) {
        if (size() == 0) {
            first = sequence;
        }
        last = sequence;
        offsets[index(sequence)] = at;
        lengths[index(sequence)] = length;
        writePosition = at + length;
        bytesUsed += length;
    }

    private void evictOldest() {
        bytesUsed -= lengths[index(first)];
        first++;
    }

    private int entryCapacity() {
        return offsets.length;
    }

    private int index(long sequence) {
        return (int) Long.remainderUnsigned(sequence, offsets.length);
    }

    private void growEntries() {
        int capacity = Math.min(maxEntries, offsets.length * 2);
        int[] o = new int[capacity];
        int[] l = new int[capacity];
        for (long s = first; s <= last; s++) {
            o[(int) Long.remainderUnsigned(s, capacity)] = offsets[index(s)];
            l[(int) Long.remainderUnsigned(s, capacity)] = lengths[index(s)];
        }
        offsets = o;
        lengths = l;
    }

    private void growBytes(int needed) {
        int capacity = log.capacity();
        while (capacity < bytesUsed + needed && capacity < maxBytes) {
            capacity = Math.min(maxBytes, capacity * 2);
        }
        byte[] bytes = new byte[capacity];
        int p = 0;
        for (long s = first; s <= last; s++) {
            int i = index(s);
            log.getBytes(offsets[i], bytes, p, lengths[i]);
            offsets[i] = p;
            p += lengths[i];
        }
        log.wrap(bytes);
        writePosition = p;
    }

    /** Entries retained. */
    public int size() {
        return (int) (last - first + 1);
    }

    /** Oldest retained sequence ({@code lastSequence() + 1} when empty). */
    public long firstSequence() {
        return first;
    }

    /** Newest sequence appended (0 before the first). */
    public long lastSequence() {
        return last;
    }

    /** True if the entry for {@code sequence} is retained. */
    public boolean contains(long sequence) {
        return sequence >= first && sequence <= last;
    }

    /** The log; entry ranges from {@link #offset}/{@link #length} and {@link #reserve} refer to it. */
    public UnsafeBuffer buffer() {
        return log;
    }

    /** Offset of a retained entry in {@link #buffer()}. */
    public int offset(long sequence) {
        return offsets[index(sequence)];
    }

    /** Length of a retained entry. */
    public int length(long sequence) {
        return lengths[index(sequence)];
    }

    /** Bytes held by the log (its current capacity). */
    public int capacityBytes() {
        return log.capacity();
    }
}
