package dev.danmaku.engine.filter;

import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Suppresses the same user sending the same content within a window, and recognizes a client's
 * idempotent retry of a bullet that was already accepted. Owned by the admit stage thread; not
 * thread-safe; allocation-free after construction.
 *
 * <p>Protocol with the caller, per bullet:
 * <ol>
 *   <li>{@link #check} &rarr; {@link #FRESH}: admit it; once it is journaled call
 *       {@link #recordChecked} with the assigned (epoch, sequence): it records the key of that
 *       check without hashing the content again. ({@link #record} does the same from scratch, for
 *       callers without a preceding check, such as the rebuild from the journal at start-up.)</li>
 *   <li>{@link #DUPLICATE}: same user and content, different client timestamp, within the window:
 *       reject. Not recorded, so it does not extend the window.</li>
 *   <li>{@link #RETRY}: same user, content <em>and</em> client timestamp within the window: the
 *       client did not see its ACK; re-send it using {@link #retryEpoch()} and
 *       {@link #retrySequence()}. Not recorded.</li>
 * </ol>
 * An entry is live for exactly {@code windowMs}: recorded at {@code t}, it matches for
 * {@code t <= now < t + windowMs}. A newer record of the same user and content supersedes the
 * older one.
 *
 * <p><b>Key.</b> {@link ContentHash#hash} = XXH64(content, seed = user id); only the 64-bit hash is
 * stored. Two different (user, content) pairs collide with probability about {@code 2^-64} per
 * pair, so with at most {@code capacity = 2^20} live entries a given fresh bullet is wrongly taken
 * for a duplicate with probability below {@code 2^-44}. A collision can only reject (or treat as a
 * retry) a bullet of the sender whose hash collides; the hash is not cryptographic, so a user
 * crafting collisions only hurts their own bullets, which are keyed by their own id.
 *
 * <p><b>Memory: 72 bytes per entry</b>, fixed at construction: a ring of {@code capacity} full
 * entries in recording order (40 bytes each, on heap) and an index of {@code 4 * capacity} slots
 * (8 bytes each, off heap, 64-byte aligned). The default 2^20 entries take 40 MiB of heap and
 * 32 MiB of direct memory. The ring is written sequentially; the oldest entry is overwritten
 * without touching the index (its index slot simply stops counting, see below). Overwriting an
 * entry that is still live and current is counted in {@link #evictedLiveCount()}.
 *
 * <p><b>Index.</b> Buckets of 8 slots, one 64-byte cache line each; a key's home bucket is the top
 * {@code log2(buckets)} bits of its hash. Buckets come in aligned pairs ({@code b}, {@code b ^ 1}:
 * one 128-byte block); a key goes to its pair's other bucket only when its home bucket is full,
 * and the home bucket's overflow flag then tells lookups to read that second line too. Each slot
 * is one {@code long}:
 * <pre>
 *    63   62   61   60                      31 30                        0
 *  +----+----+----+--------------------------+---------------------------+
 *  | OV | OC | FO | tag (30 bits)            | ring position (31 bits)   |   0 = empty
 *  +----+----+----+--------------------------+---------------------------+
 *  OV  overflow flag, slot 0 of a bucket only: keys homed here may sit in the other bucket of the pair
 *  OC  occupied
 *  FO  foreign: the key's home is the other bucket of the pair
 *  tag the 30 hash bits below the bucket bits
 *  ring position: the record's ordinal (0, 1, 2, ...) mod 2^31; its ring slot is ordinal mod capacity
 * </pre>
 * A slot is <em>in the ring</em> while its position is one of the last {@code capacity} recorded
 * (pure arithmetic against the ring head, no memory access); a slot whose entry was overwritten is
 * free and is cleared by the next {@code record} into its bucket. A lookup reads the ring only for
 * a slot that is in the ring and whose tag matches: in practice a real duplicate or retry, or the
 * same key recorded earlier and since expired (a false tag match costs one wasted read, about
 * {@code 8 * 2^-30} per lookup). The ring read accepts the entry only if its full 64-bit hash
 * equals the key's, its stored position equals the slot's (it is still the entry the slot points
 * to) and it is <em>current</em> (neither superseded nor evicted). The window is always decided by
 * the exact recording time in the ring. The ring position wraps at 2^31 (at least 32 laps of the
 * largest ring): a slot left uncleared for a multiple of 2^31 records may look in the ring again,
 * and is then rejected by that same verification, so wrapping can cost a ring read, never a wrong
 * answer.
 *
 * <p><b>Misses per bullet.</b> An accepted bullet costs one random cache-line miss: {@code check}
 * reads its home bucket, and {@link #recordChecked} writes that same line (still in cache) plus the
 * ring head (sequential). Extra lines only in rarer cases: the pair's second line when the home
 * bucket overflowed (adjacent, same 128-byte block), and the ring entry on a tag match or when a
 * full bucket pair evicts.
 *
 * <p><b>Capacity.</b> Every record is current until superseded, overwritten by the ring
 * ({@code capacity} records later) or evicted from its bucket pair. The index holds 4 slots per
 * entry, so a bucket holds on average 2 in-ring slots of 8 and a pair 4 of 16: with keys spread
 * evenly the filter remembers the last {@code capacity} records. With random hashes a home bucket
 * is full (8 in-ring slots, mean 2) for about one record in a thousand, which then goes to the
 * pair's other bucket; a whole pair is full (16, mean 4) for a few records in a million; the new record then
 * evicts the pair's oldest slot (its entry is read, and counted in {@link #evictedLiveCount()} if it
 * was live). Eviction only removes knowledge, so its only effect is that a later duplicate (or
 * retry) of the evicted bullet is seen as {@link #FRESH} and let through; it can never make a
 * distinct bullet look like a duplicate.
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
    /** Default capacity, entries (about 72 MiB: 40 MiB heap, 32 MiB direct). */
    public static final int DEFAULT_CAPACITY = 1 << 20;
    /** Largest capacity, entries. */
    public static final int MAX_CAPACITY = 1 << 26;
    /** Sink for {@link #prefetch} loads, so the JIT cannot drop them. */
    private long prefetched;

    /** Bytes of the index per entry ({@code 4} slots of 8 bytes), and of the ring ({@code 5} longs). */
    static final int INDEX_BYTES_PER_ENTRY = 32;
    static final int RING_BYTES_PER_ENTRY = 40;

    // Index slots.
    private static final int LINE_BYTES = 64;
    private static final int SLOTS = 8;
    private static final long OVERFLOW = 1L << 63;
    private static final long OCCUPIED = 1L << 62;
    private static final long FOREIGN = 1L << 61;
    private static final int TAG_BITS = 30;
    private static final int TAG_SHIFT = 31;
    private static final long TAG_FIELD = ((1L << TAG_BITS) - 1) << TAG_SHIFT;
    private static final int MAX_POSITION_BITS = 31;
    private static final long POSITION_FIELD = (1L << MAX_POSITION_BITS) - 1;
    private static final long KEY_FIELDS = OCCUPIED | FOREIGN | TAG_FIELD;
    /** Buckets per direct buffer: 2^24 lines = 1 GiB (a ByteBuffer holds less than 2 GiB). */
    private static final int CHUNK_BUCKET_BITS = 24;
    private static final int CHUNK_BUCKET_MASK = (1 << CHUNK_BUCKET_BITS) - 1;

    // Ring entries: ENTRY_LONGS consecutive longs.
    private static final int ENTRY_LONGS = 5;
    private static final int HASH = 0;
    private static final int RECORDED_MS = 1;
    private static final int CLIENT_TS = 2;
    private static final int SEQUENCE = 3;
    /** epoch (high 32 bits) | CURRENT | position (low 31 bits). */
    private static final int META = 4;
    private static final long CURRENT = 1L << 31;

    private final long windowMs;
    private final int capacity;
    private final int ringMask;
    private final long[] ring;
    private final UnsafeBuffer[] index;
    private final int buckets;
    /** {@code hash >>> bucketShift} is the home bucket. */
    private final int bucketShift;
    private final int bucketBits;
    private final long positionMask;
    /** Ordinal of the next record. */
    private long head;
    private int current;

    private boolean checked;
    private long checkedHash;
    private int checkedSlot;

    private int retryEpoch;
    private long retrySequence;
    private long duplicates;
    private long retries;
    private long evictedLive;

    /**
     * @param capacity entries kept, rounded up to a power of two, at most {@link #MAX_CAPACITY}
     * @param windowMs how long an entry suppresses duplicates, ms, positive
     */
    public DuplicateFilter(final int capacity, final long windowMs) {
        this(capacity, windowMs, MAX_POSITION_BITS);
    }

    /** A filter with {@link #DEFAULT_CAPACITY} and {@link #DEFAULT_WINDOW_MS}. */
    public DuplicateFilter() {
        this(DEFAULT_CAPACITY, DEFAULT_WINDOW_MS);
    }

    /**
     * Tests: {@code positionBits} below 31 makes ring positions wrap after few records.
     *
     * @param positionBits ring positions are kept mod {@code 2^positionBits}; more than
     *                     {@code log2(capacity)}, at most 31
     */
    DuplicateFilter(final int capacity, final long windowMs, final int positionBits) {
        if (capacity < 1 || capacity > MAX_CAPACITY || windowMs <= 0) {
            throw new IllegalArgumentException("need 1 <= capacity <= 2^26 and windowMs > 0: " + capacity + ", " + windowMs);
        }
        this.capacity = BitUtil.findNextPositivePowerOfTwo(capacity);
        if (positionBits <= Integer.numberOfTrailingZeros(this.capacity) || positionBits > MAX_POSITION_BITS) {
            throw new IllegalArgumentException("positionBits must be in (log2(capacity), 31]: " + positionBits);
        }
        this.windowMs = windowMs;
        this.ringMask = this.capacity - 1;
        this.positionMask = (1L << positionBits) - 1;
        this.ring = new long[this.capacity * ENTRY_LONGS];
        this.buckets = Math.max(2, this.capacity * (INDEX_BYTES_PER_ENTRY / 8) / SLOTS);
        this.bucketBits = Integer.numberOfTrailingZeros(buckets);
        this.bucketShift = 64 - bucketBits;
        final int chunkBuckets = Math.min(buckets, 1 << CHUNK_BUCKET_BITS);
        this.index = new UnsafeBuffer[buckets / chunkBuckets];
        for (int i = 0; i < index.length; i++) {
            // Zeroed, so every slot starts empty; aligned, so a bucket is exactly one cache line.
            index[i] = new UnsafeBuffer(BufferUtil.allocateDirectAligned(chunkBuckets * LINE_BYTES, LINE_BYTES));
        }
    }

    /**
     * Classifies a bullet. Admit stage thread; allocation-free. Remembers the key for
     * {@link #recordChecked}.
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
        return checkHashed(hash(userId, buf, off, len), clientTs, nowMs);
    }

    /**
     * The key of a bullet: {@link ContentHash#hash} of the user and content. Computed once per
     * bullet by a caller that {@link #prefetch}es and then {@link #checkHashed}s.
     */
    public static long hash(final long userId, final DirectBuffer buf, final int off, final int len) {
        return ContentHash.hash(userId, buf, off, len);
    }

    /**
     * Starts loading the home bucket of {@code hash} (one cache line), so that a later
     * {@link #checkHashed} of it finds it in cache. Called for every bullet of a ring batch before
     * the first is checked, these independent loads overlap instead of each stalling its check.
     * Changes nothing observable.
     */
    public void prefetch(final long hash) {
        prefetched += slot(home(hash), 0);
    }

    /** {@link #check} with the key already computed by {@link #hash}. */
    public int checkHashed(final long hash, final long clientTs, final long nowMs) {
        final int found = find(hash);
        checked = false;
        if (found >= 0) {
            final int e = entryOf(slotAt(home(hash), found));
            if (nowMs - ring[e + RECORDED_MS] < windowMs) {
                if (ring[e + CLIENT_TS] == clientTs) {
                    retryEpoch = (int)(ring[e + META] >>> 32);
                    retrySequence = ring[e + SEQUENCE];
                    retries++;
                    return RETRY;
                }
                duplicates++;
                return DUPLICATE;
            }
        }
        checked = true;
        checkedHash = hash;
        checkedSlot = found;
        return FRESH;
    }

    /**
     * Remembers the bullet of the immediately preceding {@link #check}, which must have returned
     * {@link #FRESH}, after it is journaled: the same as {@link #record} with that check's user and
     * content, without hashing the content again. Admit stage thread; allocation-free.
     *
     * @param clientTs the client's timestamp from the frame
     * @param nowMs    engine time, ms, non-decreasing across calls
     * @param epoch    the assigned epoch
     * @param sequence the assigned sequence
     * @throws IllegalStateException if the last call was not a {@link #check} that returned
     *                               {@link #FRESH} (each such check can be recorded once)
     */
    public void recordChecked(final long clientTs, final long nowMs, final int epoch, final long sequence) {
        if (!checked) {
            throw new IllegalStateException("recordChecked needs a preceding check that returned FRESH");
        }
        checked = false;
        insert(checkedHash, checkedSlot, clientTs, nowMs, epoch, sequence);
    }

    /**
     * Remembers an accepted bullet, after it is journaled. Admit stage thread; allocation-free.
     * Replaces any earlier entry for the same user and content. After a {@link #check} prefer
     * {@link #recordChecked}.
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
        checked = false;
        final long hash = ContentHash.hash(userId, buf, off, len);
        insert(hash, find(hash), clientTs, nowMs, epoch, sequence);
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

    /**
     * @return entries currently indexed, live or expired (at most {@link #capacity()}): records not
     *         yet superseded, overwritten by the ring or evicted from the index
     */
    public int size() {
        return current;
    }

    /** @return {@link #DUPLICATE} results so far */
    public long duplicateCount() {
        return duplicates;
    }

    /** @return {@link #RETRY} results so far */
    public long retryCount() {
        return retries;
    }

    /**
     * @return live entries dropped: overwritten because the ring was full, or evicted because their
     *         bucket pair was full
     */
    public long evictedLiveCount() {
        return evictedLive;
    }

    /** Number of index slots; tests check it never changes. */
    int indexSlots() {
        return buckets * SLOTS;
    }

    /** Tests: the (home bucket, tag) a hash is indexed by; equal for two keys means they share a bucket and tag. */
    long indexKey(final long hash) {
        return ((long)home(hash) << TAG_BITS) | tag(hash);
    }

    /** Tests: whether every index bucket starts on a 64-byte boundary. */
    boolean bucketsAligned() {
        for (final UnsafeBuffer chunk : index) {
            if ((chunk.addressOffset() & (LINE_BYTES - 1)) != 0 || chunk.capacity() % LINE_BYTES != 0) {
                return false;
            }
        }
        return true;
    }

    // --- index

    private int home(final long hash) {
        return (int)(hash >>> bucketShift);
    }

    private long tag(final long hash) {
        return (hash << bucketBits) >>> (64 - TAG_BITS);
    }

    /** Slot {@code j} of a key homed at {@code home}: 0-7 in the home bucket, 8-15 in the other bucket of the pair. */
    private static int bucketOf(final int home, final int j) {
        return home ^ (j >>> 3);
    }

    private long slotAt(final int home, final int j) {
        return slot(bucketOf(home, j), j & (SLOTS - 1));
    }

    private long slot(final int bucket, final int i) {
        return index[bucket >>> CHUNK_BUCKET_BITS].getLong(((bucket & CHUNK_BUCKET_MASK) * LINE_BYTES) + i * 8);
    }

    /** Writes slot {@code i} of {@code bucket}, keeping the bucket's overflow flag (slot 0). */
    private void put(final int bucket, final int i, final long value) {
        final UnsafeBuffer chunk = index[bucket >>> CHUNK_BUCKET_BITS];
        final int offset = ((bucket & CHUNK_BUCKET_MASK) * LINE_BYTES) + i * 8;
        chunk.putLong(offset, i == 0 ? value | (chunk.getLong(offset) & OVERFLOW) : value);
    }

    private void setOverflow(final int bucket, final boolean on) {
        final UnsafeBuffer chunk = index[bucket >>> CHUNK_BUCKET_BITS];
        final int offset = (bucket & CHUNK_BUCKET_MASK) * LINE_BYTES;
        final long v = chunk.getLong(offset);
        chunk.putLong(offset, on ? v | OVERFLOW : v & ~OVERFLOW);
    }

    /** Whether an occupied slot's position is one of the last {@code capacity} recorded: no memory access. */
    private boolean inRing(final long slot) {
        return ((head - 1 - (slot & POSITION_FIELD)) & positionMask) < capacity;
    }

    /** Ring offset of the entry a slot points to. */
    private int entryOf(final long slot) {
        return (int)(slot & ringMask) * ENTRY_LONGS;
    }

    /** Whether an occupied slot points to the current ring entry of this hash (reads the ring). */
    private boolean pointsTo(final long slot, final long hash) {
        if (!inRing(slot)) {
            return false;
        }
        final int e = entryOf(slot);
        return ring[e + HASH] == hash && (ring[e + META] & (CURRENT | POSITION_FIELD)) == (CURRENT | (slot & POSITION_FIELD));
    }

    /**
     * @return the slot (see {@link #bucketOf}) pointing to the current entry of this hash, live or
     *         expired, or -1
     */
    private int find(final long hash) {
        final int home = home(hash);
        final long own = OCCUPIED | (tag(hash) << TAG_SHIFT);
        for (int i = 0; i < SLOTS; i++) {
            final long s = slot(home, i);
            if ((s & KEY_FIELDS) == own && pointsTo(s, hash)) {
                return i;
            }
        }
        if ((slot(home, 0) & OVERFLOW) != 0) {
            final int other = home ^ 1;
            final long foreign = own | FOREIGN;
            for (int i = 0; i < SLOTS; i++) {
                final long s = slot(other, i);
                if ((s & KEY_FIELDS) == foreign && pointsTo(s, hash)) {
                    return SLOTS + i;
                }
            }
        }
        return -1;
    }

    /**
     * Records a key whose current entry, if any, is at slot {@code found} (from {@link #find}).
     */
    private void insert(final long hash, final int found, final long clientTs, final long nowMs, final int epoch,
        final long sequence) {
        final int home = home(hash);
        if (found >= 0) {
            // Supersede: the ring line was read by find and is still in cache.
            ring[entryOf(slotAt(home, found)) + META] &= ~CURRENT;
            current--;
        }
        final long position = head & positionMask;
        final int e = (int)(head & ringMask) * ENTRY_LONGS;
        if (head >= capacity && (ring[e + META] & CURRENT) != 0) {
            current--;
            if (nowMs - ring[e + RECORDED_MS] < windowMs) {
                evictedLive++;
            }
        }
        ring[e + HASH] = hash;
        ring[e + RECORDED_MS] = nowMs;
        ring[e + CLIENT_TS] = clientTs;
        ring[e + SEQUENCE] = sequence;
        ring[e + META] = ((long)epoch << 32) | CURRENT | position;
        head++;
        current++;

        final int j = found >= 0 ? found : freeSlot(home, nowMs);
        final boolean foreign = j >= SLOTS;
        put(bucketOf(home, j), j & (SLOTS - 1), OCCUPIED | (foreign ? FOREIGN : 0) | (tag(hash) << TAG_SHIFT) | position);
        if (foreign) {
            setOverflow(home, true);
        } else if ((slot(home, 0) & OVERFLOW) != 0 && !hasForeignInRing(home ^ 1)) {
            setOverflow(home, false);
        }
    }

    /**
     * A slot for a new key homed at {@code home}: a free one in the home bucket, else in the other
     * bucket of the pair, else the pair's oldest (evicted). Clears slots whose entry left the ring.
     */
    private int freeSlot(final int home, final long nowMs) {
        int free = clearStale(home);
        if (free >= 0) {
            return free;
        }
        free = clearStale(home ^ 1);
        if (free >= 0) {
            return SLOTS + free;
        }
        int oldest = 0;
        long oldestAge = -1;
        for (int j = 0; j < 2 * SLOTS; j++) {
            final long age = (head - 1 - (slotAt(home, j) & POSITION_FIELD)) & positionMask;
            if (age > oldestAge) {
                oldestAge = age;
                oldest = j;
            }
        }
        evict(bucketOf(home, oldest), slotAt(home, oldest), nowMs);
        return oldest;
    }

    /** Empties the slots of {@code bucket} whose entry left the ring; returns the first empty slot, or -1. */
    private int clearStale(final int bucket) {
        int free = -1;
        for (int i = 0; i < SLOTS; i++) {
            final long s = slot(bucket, i);
            if ((s & OCCUPIED) == 0 || !inRing(s)) {
                if ((s & ~OVERFLOW) != 0) {
                    put(bucket, i, 0);
                }
                if (free < 0) {
                    free = i;
                }
            }
        }
        return free;
    }

    /**
     * Drops the entry an in-ring slot of a full pair points to, if it still does (its position,
     * bucket and tag agree and it is current): it is no longer current, and counted if live.
     */
    private void evict(final int bucket, final long slot, final long nowMs) {
        final int e = entryOf(slot);
        final long hash = ring[e + HASH];
        final int slotHome = (slot & FOREIGN) != 0 ? bucket ^ 1 : bucket;
        if ((ring[e + META] & (CURRENT | POSITION_FIELD)) == (CURRENT | (slot & POSITION_FIELD))
            && home(hash) == slotHome && tag(hash) == (slot & TAG_FIELD) >>> TAG_SHIFT) {
            ring[e + META] &= ~CURRENT;
            current--;
            if (nowMs - ring[e + RECORDED_MS] < windowMs) {
                evictedLive++;
            }
        }
    }

    /** Whether {@code bucket} holds an in-ring slot of a key homed at its pair's other bucket. */
    private boolean hasForeignInRing(final int bucket) {
        for (int i = 0; i < SLOTS; i++) {
            final long s = slot(bucket, i);
            if ((s & (OCCUPIED | FOREIGN)) == (OCCUPIED | FOREIGN) && inRing(s)) {
                return true;
            }
        }
        return false;
    }
}
