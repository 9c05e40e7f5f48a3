package dev.danmaku.engine.filter;

import org.agrona.BitUtil;
import org.agrona.DirectBuffer;

/**
 * Suppresses the same user sending the same content within a window, and recognizes a client's
 * idempotent retry of a bullet that was already accepted. Owned by the admit stage thread; not
 * thread-safe; allocation-free after construction.
 *
 * <p>Protocol with the caller, per bullet:
 * <ol>
 *   <li>{@link #check} &rarr; {@link #FRESH}: admit it; once it is journaled call {@link #record}
 *       with the assigned (epoch, sequence).</li>
 *   <li>{@link #DUPLICATE}: same user and content, different client timestamp, within the window:
 *       reject. Not recorded, so it does not extend the window.</li>
 *   <li>{@link #RETRY}: same user, content <em>and</em> client timestamp within the window: the
 *       client did not see its ACK; re-send it using {@link #retryEpoch()} and
 *       {@link #retrySequence()}. Not recorded.</li>
 * </ol>
 * An entry is live for exactly {@code windowMs}: recorded at {@code t}, it matches for
 * {@code t <= now < t + windowMs}.
 *
 * <p><b>Key.</b> {@link ContentHash#hash} = XXH64(content, seed = user id); only the 64-bit hash is
 * stored. Two different (user, content) pairs collide with probability about {@code 2^-64} per
 * pair, so with at most {@code capacity = 2^20} live entries a given fresh bullet is wrongly taken
 * for a duplicate with probability below {@code 2^-44}. A collision can only reject (or treat as a
 * retry) a bullet of the sender whose hash collides; the hash is not cryptographic, so a user
 * crafting collisions only hurts their own bullets, which are keyed by their own id.
 *
 * <p><b>Memory.</b> A ring of {@code capacity} entries in recording order (nowMs is non-decreasing,
 * so the ring head is always the oldest entry) plus an open-addressing index (linear probing,
 * backward-shift deletion, load at most 1/2) from hash to ring slot: about 53 bytes per entry, fixed
 * at construction. So the filter remembers exactly the last {@code capacity} records (for a key
 * recorded twice, the newer record supersedes the older, whose slot stays unused until the ring
 * overwrites it). Recording into a full ring overwrites its oldest entry: an expired one is
 * simply reused; a live one is evicted and counted ({@link #evictedLiveCount()}). Eviction only
 * removes knowledge, so its only effect is that a later duplicate (or retry) of the evicted bullet
 * is seen as {@link #FRESH} and let through; it can never make a distinct bullet look like a
 * duplicate.
 *
 * <p><b>Index layout.</b> Each index slot is one {@code long}, so a probe reads only the index (one
 * cache line for a typical chain) and never the ring; the ring is read only on a tag match, which in
 * practice means a real duplicate or retry:
 * <pre>
 *   63                                 30 29                          0
 *  +-------------------------------------+-----------------------------+
 *  | tag = hash &gt;&gt;&gt; 30 (34 bits)         | ring slot + 1 (30 bits)     |   0 = empty
 *  +-------------------------------------+-----------------------------+
 * </pre>
 * A key's home slot is the top {@code log2(index length)} (at most 30) bits of its hash, which are
 * the top bits of the tag: backward-shift deletion recomputes homes from the index alone. With the
 * ring slot and hash in separate arrays, each probe step and each shifted entry cost another random
 * read of the ring (about five cache misses per bullet with the default 2^20 entries); now a
 * check costs one and a record one more (the oldest entry's home).
 */
public final class DuplicateFilter {
    /** {@link #check} result: not seen within the window. */
    public static final int FRESH = 0;
    /** {@link #check} result: same user and content, different client timestamp, within the window. */
    public static final int DUPLICATE = 1;
    /** {@link #check} result: same user, content and client timestamp within the window. */
    public static final int RETRY = 2;
    /** Default window, ms. */
    public static final long DEFAULT_WINDOW_MS = 5_000;
    /** Default capacity, entries (about 53 MiB). */
    public static final int DEFAULT_CAPACITY = 1 << 20;

    private static final byte EMPTY = 0;
    private static final byte INDEXED = 1;
    private static final byte SUPERSEDED = 2;
    private static final int SLOT_BITS = 30;
    private static final long SLOT_MASK = (1L << SLOT_BITS) - 1;

    private final long windowMs;
    private final int capacity;
    private final int ringMask;
    private final long[] entryHash;
    private final long[] entryRecordedMs;
    private final long[] entryClientTs;
    private final int[] entryEpoch;
    private final long[] entrySequence;
    private final byte[] entryState;
    private final long[] index;
    private final int indexMask;
    /** 64 - log2(index length): {@code hash >>> homeShift} is the home slot. */
    private final int homeShift;
    private int ringHead;
    private int indexed;

    private int retryEpoch;
    private long retrySequence;
    private long duplicates;
    private long retries;
    private long evictedLive;

    /**
     * @param capacity entries kept, rounded up to a power of two
     * @param windowMs how long an entry suppresses duplicates, ms, positive
     */
    public DuplicateFilter(final int capacity, final long windowMs) {
        if (capacity < 1 || capacity > (1 << 29) || windowMs <= 0) {
            throw new IllegalArgumentException("need 1 <= capacity <= 2^29 and windowMs > 0: " + capacity + ", " + windowMs);
        }
        this.capacity = BitUtil.findNextPositivePowerOfTwo(capacity);
        this.windowMs = windowMs;
        this.ringMask = this.capacity - 1;
        this.entryHash = new long[this.capacity];
        this.entryRecordedMs = new long[this.capacity];
        this.entryClientTs = new long[this.capacity];
        this.entryEpoch = new int[this.capacity];
        this.entrySequence = new long[this.capacity];
        this.entryState = new byte[this.capacity];
        this.index = new long[this.capacity * 2];
        this.indexMask = index.length - 1;
        this.homeShift = 64 - Integer.numberOfTrailingZeros(index.length);
    }

    /** A filter with {@link #DEFAULT_CAPACITY} and {@link #DEFAULT_WINDOW_MS}. */
    public DuplicateFilter() {
        this(DEFAULT_CAPACITY, DEFAULT_WINDOW_MS);
    }

    /**
     * Classifies a bullet. Admit stage thread; allocation-free.
     *
     * @param userId   sender
     * @param clientTs the client's timestamp from the frame (ms; only compared for equality)
     * @param buf      content, UTF-8
     * @param off      first byte
     * @param len      length in bytes
     * @param nowMs    engine time, ms, sampled once per batch, non-decreasing
     * @return {@link #FRESH}, {@link #DUPLICATE} or {@link #RETRY} (then read {@link #retryEpoch()}
     *         and {@link #retrySequence()} before the next call)
     */
    public int check(final long userId, final long clientTs, final DirectBuffer buf, final int off, final int len,
        final long nowMs) {
        final int position = find(ContentHash.hash(userId, buf, off, len));
        if (position < 0) {
            return FRESH;
        }
        final int slot = slotOf(index[position]);
        if (nowMs - entryRecordedMs[slot] >= windowMs) {
            return FRESH;
        }
        if (entryClientTs[slot] == clientTs) {
            retryEpoch = entryEpoch[slot];
            retrySequence = entrySequence[slot];
            retries++;
            return RETRY;
        }
        duplicates++;
        return DUPLICATE;
    }

    /**
     * Remembers an accepted bullet, after it is journaled. Admit stage thread; allocation-free.
     * Replaces any earlier entry for the same user and content.
     *
     * @param userId   sender
     * @param clientTs the client's timestamp from the frame
     * @param buf      content, UTF-8 (as checked, before any masking)
     * @param off      first byte
     * @param len      length in bytes
     * @param nowMs    engine time, ms, non-decreasing across calls
     * @param epoch    the assigned epoch
     * @param sequence the assigned sequence
     */
    public void record(final long userId, final long clientTs, final DirectBuffer buf, final int off, final int len,
        final long nowMs, final int epoch, final long sequence) {
        final long hash = ContentHash.hash(userId, buf, off, len);
        final int slot = ringHead;
        ringHead = (ringHead + 1) & ringMask;
        if (entryState[slot] == INDEXED) {
            if (nowMs - entryRecordedMs[slot] < windowMs) {
                evictedLive++;
            }
            removeFromIndex(slot);
        }
        entryHash[slot] = hash;
        entryRecordedMs[slot] = nowMs;
        entryClientTs[slot] = clientTs;
        entryEpoch[slot] = epoch;
        entrySequence[slot] = sequence;
        entryState[slot] = INDEXED;

        final long packed = ((hash >>> SLOT_BITS) << SLOT_BITS) | (slot + 1);
        final int position = find(hash);
        if (position >= 0) {
            entryState[slotOf(index[position])] = SUPERSEDED;
            index[position] = packed;
        } else {
            int p = home(hash);
            while (index[p] != 0) {
                p = (p + 1) & indexMask;
            }
            index[p] = packed;
            indexed++;
        }
    }

    /** @return epoch of the original bullet, valid right after {@link #check} returned {@link #RETRY} */
    public int retryEpoch() {
        return retryEpoch;
    }

    /** @return sequence of the original bullet, valid right after {@link #check} returned {@link #RETRY} */
    public long retrySequence() {
        return retrySequence;
    }

    /** @return the window, ms */
    public long windowMs() {
        return windowMs;
    }

    /** @return entry capacity (a power of two), fixed for the filter's life */
    public int capacity() {
        return capacity;
    }

    /** @return entries currently indexed, live or expired (at most {@link #capacity()}) */
    public int size() {
        return indexed;
    }

    /** @return {@link #DUPLICATE} results so far */
    public long duplicateCount() {
        return duplicates;
    }

    /** @return {@link #RETRY} results so far */
    public long retryCount() {
        return retries;
    }

    /** @return live entries overwritten because the ring was full */
    public long evictedLiveCount() {
        return evictedLive;
    }

    /** Length of the backing arrays (entries, index slots); tests check they never change. */
    int indexSlots() {
        return index.length;
    }

    private int home(final long hash) {
        return (int)(hash >>> homeShift);
    }

    /** Home slot of an index entry: the top bits of its tag are the top bits of the hash. */
    private int homeOf(final long entry) {
        return (int)(entry >>> homeShift);
    }

    private static int slotOf(final long entry) {
        return (int)(entry & SLOT_MASK) - 1;
    }

    private int find(final long hash) {
        final long tag = hash >>> SLOT_BITS;
        int p = home(hash);
        long entry;
        while ((entry = index[p]) != 0) {
            if (entry >>> SLOT_BITS == tag && entryHash[slotOf(entry)] == hash) {
                return p;
            }
            p = (p + 1) & indexMask;
        }
        return -1;
    }

    /** Linear-probing deletion with backward shift (Knuth 6.4 algorithm R): no tombstones. */
    private void removeFromIndex(final int slot) {
        int p = home(entryHash[slot]);
        while (slotOf(index[p]) != slot) {
            p = (p + 1) & indexMask;
        }
        index[p] = 0;
        indexed--;
        int q = p;
        while (true) {
            q = (q + 1) & indexMask;
            final long entry = index[q];
            if (entry == 0) {
                return;
            }
            final int h = homeOf(entry);
            // Move entry back to the hole at p unless its home lies cyclically in (p, q].
            final boolean stays = p <= q ? (p < h && h <= q) : (p < h || h <= q);
            if (!stays) {
                index[p] = entry;
                index[q] = 0;
                p = q;
            }
        }
    }
}
