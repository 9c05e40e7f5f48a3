package dev.danmaku.engine.filter;

import org.agrona.BitUtil;
import org.agrona.collections.Long2LongHashMap;

/**
 * GCRA (generic cell rate algorithm) rate limiter keyed by a {@code long} (a user id, or a hash of
 * an IPv4/IPv6 address). Owned by the admit stage thread; not thread-safe; allocation-free once
 * its table has grown to the live keys (see Memory).
 *
 * <p>Per key it stores only the theoretical arrival time (TAT, ns). With emission interval
 * {@code T = ceil(1e9 / ratePerSecond)} ns and tolerance {@code tau = (burst - 1) * T}, a request at
 * {@code now} is accepted iff {@code max(TAT, now) - now <= tau}, and then
 * {@code TAT = max(TAT, now) + T}.
 *
 * <p><b>Bound.</b> For one key, over any interval of length {@code E} ns, at most
 * {@code burst + floor(E / T)} requests are accepted. When {@code T} is exact (the rate divides
 * 1e9) that is {@code burst + floor(E * rate / 1e9)}. <b>Exactness.</b> With {@code burst >= 2}, a
 * sender whose requests are never more than {@code T / 10} apart (ten times the rate or faster),
 * sending {@code n} requests spanning {@code E} ns, is accepted exactly
 * {@code min(n, burst + floor(E / T))} times: credit is never lost, because {@code tau >= T/10}
 * keeps {@code TAT >= now} at every acceptance. Both are checked by {@code RateLimiterProperties}.
 *
 * <p><b>Memory.</b> At most {@code maxKeys} keys are tracked. The map starts at
 * {@link #INITIAL_TABLE_SLOTS} slots (or the size {@code maxKeys} needs, if smaller) and doubles
 * when the tracked keys outgrow it, never beyond the size {@code maxKeys} needs, and never shrinks;
 * a doubling is the only allocation. Why: sized to the keys actually live rather than to
 * {@code maxKeys}, the table stays in cache, where a table presized for 2^20 keys (32 MiB) made
 * nearly every lookup a cache and TLB miss. A key whose TAT is not after {@code now} behaves
 * exactly like an absent key, so such
 * entries are evicted: every key sits once in a FIFO ring in insertion order, and each insertion of
 * a new key examines a bounded number of entries from the ring's head (one when there is room,
 * up to {@code EVICTION_PROBES} when full), removing expired ones and rotating live ones to the
 * tail (a CLOCK sweep). So the cost per call is bounded and the sweep is amortized over
 * insertions. If the probes find nothing expired, the new key is refused with {@link #TABLE_FULL}
 * and counted; keys already tracked are always served. Size {@code maxKeys} above the number of
 * distinct senders seen within {@code burst * T}.
 *
 * <p>Time is a monotonic nanosecond clock sampled by the caller once per batch; comparisons are
 * overflow-safe, so a {@code System.nanoTime()} origin anywhere is fine.
 */
public final class RateLimiter {
    /** {@link #tryAcquire} result: the request conforms. */
    public static final long ACCEPTED = 0;
    /** {@link #tryAcquire} result: a new key could not be tracked (table full of live keys). */
    public static final long TABLE_FULL = -1;
    /** Entries examined per new key when the table is full. */
    public static final int EVICTION_PROBES = 16;
    /** Slots the key table starts with (16 bytes each) before it grows toward what {@code maxKeys} needs. */
    public static final int INITIAL_TABLE_SLOTS = 1 << 12;

    private static final long NANOS_PER_MILLI = 1_000_000L;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long MISSING = Long.MIN_VALUE;
    private static final float LOAD_FACTOR = 0.6f;

    private final long emissionIntervalNs;
    private final long toleranceNs;
    private final int burst;
    private final int maxKeys;
    private final Long2LongHashMap tats;
    private final long[] fifo;
    private final int fifoMask;
    private int fifoHead;
    private int fifoSize;

    private long accepted;
    private long limited;
    private long tableFull;
    private long evicted;

    /**
     * @param emissionIntervalNs T, ns between conforming requests in steady state, positive
     * @param burst              requests accepted back to back from an idle key, at least 1
     * @param maxKeys            most keys tracked at once, positive
     */
    public RateLimiter(final long emissionIntervalNs, final int burst, final int maxKeys) {
        if (emissionIntervalNs <= 0 || burst < 1 || maxKeys < 1) {
            throw new IllegalArgumentException("need emissionIntervalNs > 0, burst >= 1, maxKeys >= 1: "
                + emissionIntervalNs + ", " + burst + ", " + maxKeys);
        }
        this.emissionIntervalNs = emissionIntervalNs;
        this.toleranceNs = Math.multiplyExact(burst - 1L, emissionIntervalNs);
        this.burst = burst;
        this.maxKeys = maxKeys;
        final int fullSlots = (int)Math.ceil(maxKeys / (double)LOAD_FACTOR) + 1;
        this.tats = new Long2LongHashMap(Math.min(fullSlots, INITIAL_TABLE_SLOTS), LOAD_FACTOR, MISSING);
        final int fifoCapacity = BitUtil.findNextPositivePowerOfTwo(maxKeys);
        this.fifo = new long[fifoCapacity];
        this.fifoMask = fifoCapacity - 1;
    }

    /**
     * A limiter of {@code ratePerSecond} requests per second per key.
     *
     * @param ratePerSecond sustained rate, positive; {@code T = ceil(1e9 / rate)} ns, so a rate that
     *                      does not divide 1e9 is rounded down, never up
     * @param burst         requests accepted back to back from an idle key
     * @param maxKeys       most keys tracked at once
     * @return the limiter
     */
    public static RateLimiter perSecond(final int ratePerSecond, final int burst, final int maxKeys) {
        if (ratePerSecond <= 0) {
            throw new IllegalArgumentException("ratePerSecond must be positive: " + ratePerSecond);
        }
        return new RateLimiter((NANOS_PER_SECOND + ratePerSecond - 1) / ratePerSecond, burst, maxKeys);
    }

    /**
     * Decides one request. Admit stage thread; allocation-free except when the table doubles; O(1)
     * plus at most {@link #EVICTION_PROBES} map operations (amortized O(1) with the doublings).
     *
     * @param key   the user id or address hash
     * @param nowNs monotonic time, ns, sampled once per batch
     * @return {@link #ACCEPTED}; a positive retry-after in ms (rounded up, at least 1: a request at
     *         {@code now + retryAfter} ms will conform if nothing else is sent); or
     *         {@link #TABLE_FULL}
     */
    public long tryAcquire(final long key, final long nowNs) {
        final long tat = tats.get(key);
        if (tat == MISSING) {
            if (!makeRoom(nowNs)) {
                tableFull++;
                return TABLE_FULL;
            }
            tats.put(key, nowNs + emissionIntervalNs);
            fifo[(fifoHead + fifoSize) & fifoMask] = key;
            fifoSize++;
            accepted++;
            return ACCEPTED;
        }
        final long base = tat - nowNs > 0 ? tat : nowNs;
        final long waitNs = (base - nowNs) - toleranceNs;
        if (waitNs > 0) {
            limited++;
            return (waitNs + NANOS_PER_MILLI - 1) / NANOS_PER_MILLI;
        }
        tats.put(key, base + emissionIntervalNs);
        accepted++;
        return ACCEPTED;
    }

    /** CLOCK sweep from the FIFO head: drop expired keys, rotate live ones; bounded probes. */
    private boolean makeRoom(final long nowNs) {
        final boolean full = fifoSize >= maxKeys;
        int probes = full ? EVICTION_PROBES : 1;
        boolean freed = false;
        while (probes-- > 0 && fifoSize > 0) {
            final long key = fifo[fifoHead];
            fifoHead = (fifoHead + 1) & fifoMask;
            fifoSize--;
            if (tats.get(key) - nowNs <= 0) {
                tats.remove(key);
                evicted++;
                freed = true;
                if (full) {
                    break;
                }
            } else {
                fifo[(fifoHead + fifoSize) & fifoMask] = key;
                fifoSize++;
            }
        }
        return !full || freed;
    }

    /** @return T, ns */
    public long emissionIntervalNs() {
        return emissionIntervalNs;
    }

    /** @return requests accepted back to back from an idle key */
    public int burst() {
        return burst;
    }

    /** @return keys tracked now (never more than {@link #maxKeys()}) */
    public int trackedKeys() {
        return tats.size();
    }

    /** @return configured key capacity */
    public int maxKeys() {
        return maxKeys;
    }

    /** @return requests accepted so far */
    public long acceptedCount() {
        return accepted;
    }

    /** @return requests refused with a retry-after so far */
    public long limitedCount() {
        return limited;
    }

    /** @return new keys refused with {@link #TABLE_FULL} so far */
    public long tableFullCount() {
        return tableFull;
    }

    /** @return expired entries evicted so far */
    public long evictedCount() {
        return evicted;
    }

    /** Slot count of the underlying map; grows with the tracked keys, bounded by {@code maxKeys} (tests check it). */
    int tableCapacity() {
        return tats.capacity();
    }
}
