package dev.danmaku.engine.filter;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.SplittableRandom;

import static dev.danmaku.engine.filter.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DuplicateFilterTest {
    /** Base seed of the randomized tests; a failure names seed and trial, {@code -Ddanmaku.seed=<seed>} replays it. */
    private static final long BASE_SEED = Long.getLong("danmaku.seed", 0xD0D0_5EED_1DE4_0001L);

    @BeforeAll
    static void printSeed() {
        System.out.println("DuplicateFilterTest seed=" + BASE_SEED + " (override with -Ddanmaku.seed)");
    }
    private final UnsafeBuffer hello = utf8("hello 主播");
    private final UnsafeBuffer other = utf8("hello 主播!");

    private int check(final DuplicateFilter f, final long user, final long clientTs, final UnsafeBuffer buf, final long now) {
        return f.check(user, clientTs, buf, 0, buf.capacity(), now);
    }

    private void record(final DuplicateFilter f, final long user, final long clientTs, final UnsafeBuffer buf, final long now,
        final long seq) {
        f.record(user, clientTs, buf, 0, buf.capacity(), now, 3, seq);
    }

    @Test
    void shouldClassifyTheSameWithAPrefetchedKeyAsWithTheContent() {
        final DuplicateFilter f = new DuplicateFilter(64, 5_000);
        final UnsafeBuffer hello = utf8("hello");
        final long key = DuplicateFilter.hash(1, hello, 0, hello.capacity());
        assertThat(key).isEqualTo(ContentHash.hash(1, hello, 0, hello.capacity()));
        f.prefetch(key);
        assertThat(f.checkHashed(key, 100, 10_000)).isEqualTo(DuplicateFilter.FRESH);
        f.recordChecked(100, 10_000, 3, 7);
        f.prefetch(key);
        assertThat(f.checkHashed(key, 101, 10_001)).isEqualTo(DuplicateFilter.DUPLICATE);
        assertThat(check(f, 1, 100, hello, 10_002)).isEqualTo(DuplicateFilter.RETRY);
        assertThat(f.retrySequence()).isEqualTo(7);
        assertThat(f.checkHashed(DuplicateFilter.hash(2, hello, 0, hello.capacity()), 100, 10_003))
                .as("another user's key").isEqualTo(DuplicateFilter.FRESH);
    }

    @Test
    void shouldSuppressTheSameUserAndContentUntilExactlyTheEndOfTheWindow() {
        final DuplicateFilter f = new DuplicateFilter(64, 5_000);
        assertThat(check(f, 1, 100, hello, 10_000)).isEqualTo(DuplicateFilter.FRESH);
        record(f, 1, 100, hello, 10_000, 1);
        assertThat(check(f, 1, 101, hello, 10_000)).isEqualTo(DuplicateFilter.DUPLICATE);
        assertThat(check(f, 1, 101, hello, 14_999)).isEqualTo(DuplicateFilter.DUPLICATE);
        assertThat(check(f, 1, 101, hello, 15_000)).isEqualTo(DuplicateFilter.FRESH);
        assertThat(f.duplicateCount()).isEqualTo(2);
    }

    @Test
    void shouldLetOtherUsersAndOtherContentThrough() {
        final DuplicateFilter f = new DuplicateFilter(64, 5_000);
        record(f, 1, 100, hello, 0, 1);
        assertThat(check(f, 2, 100, hello, 1)).isEqualTo(DuplicateFilter.FRESH);
        assertThat(check(f, 1, 100, other, 1)).isEqualTo(DuplicateFilter.FRESH);
    }

    @Test
    void shouldRecognizeARetryBySameClientTimestampAndReturnTheOriginalEpochAndSequence() {
        final DuplicateFilter f = new DuplicateFilter(64, 5_000);
        f.record(1, 1_700_000_000_123L, hello, 0, hello.capacity(), 0, 7, 4242);
        assertThat(f.check(1, 1_700_000_000_123L, hello, 0, hello.capacity(), 4_999)).isEqualTo(DuplicateFilter.RETRY);
        assertThat(f.retryEpoch()).isEqualTo(7);
        assertThat(f.retrySequence()).isEqualTo(4242);
        assertThat(f.retryCount()).isEqualTo(1);
        assertThat(f.check(1, 1_700_000_000_123L, hello, 0, hello.capacity(), 5_000)).isEqualTo(DuplicateFilter.FRESH);
    }

    @Test
    void shouldStartANewWindowWhenTheSameContentIsRecordedAgainAfterExpiry() {
        final DuplicateFilter f = new DuplicateFilter(64, 5_000);
        record(f, 1, 100, hello, 0, 1);
        assertThat(check(f, 1, 200, hello, 6_000)).isEqualTo(DuplicateFilter.FRESH);
        record(f, 1, 200, hello, 6_000, 2);
        assertThat(check(f, 1, 300, hello, 10_999)).isEqualTo(DuplicateFilter.DUPLICATE);
        assertThat(check(f, 1, 200, hello, 10_999)).isEqualTo(DuplicateFilter.RETRY);
        assertThat(f.retrySequence()).isEqualTo(2);
        assertThat(f.size()).isEqualTo(1);
    }

    @Test
    void shouldReuseExpiredEntriesWithoutCountingEvictions() {
        final DuplicateFilter f = new DuplicateFilter(4, 1_000);
        for (int i = 0; i < 100; i++) {
            record(f, i, 0, hello, i * 1_000L, i);
        }
        assertThat(f.evictedLiveCount()).isZero();
        assertThat(f.size()).isEqualTo(4);
    }

    @Test
    void shouldNeverLoseADistinctBulletWhen100kDistinctUsersChurnThroughAFullTable() {
        final DuplicateFilter f = new DuplicateFilter(1 << 12, 5_000);
        final int indexSlots = f.indexSlots();
        final UnsafeBuffer buf = new UnsafeBuffer(new byte[64]);
        long now = 1_000;
        for (int user = 0; user < 100_000; user++) {
            final int len = buf.putStringWithoutLengthUtf8(0, "bullet " + (user % 7));
            assertThat(f.check(user, 5, buf, 0, len, now)).as("user %d", user).isEqualTo(DuplicateFilter.FRESH);
            f.record(user, 5, buf, 0, len, now, 1, user);
            if (user % 10 == 0) {
                now++;
            }
            assertThat(f.size()).isLessThanOrEqualTo(f.capacity());
        }
        assertThat(f.capacity()).isEqualTo(1 << 12);
        assertThat(f.indexSlots()).isEqualTo(indexSlots);
        assertThat(f.size()).isEqualTo(1 << 12);
        assertThat(f.evictedLiveCount()).isEqualTo(100_000 - (1 << 12));
        // The most recent users are still remembered: eviction removed only the oldest.
        final int len = buf.putStringWithoutLengthUtf8(0, "bullet " + (99_999 % 7));
        assertThat(f.check(99_999, 6, buf, 0, len, now)).isEqualTo(DuplicateFilter.DUPLICATE);
    }

    @Test
    void shouldOnlyLetADuplicateThroughWhenItsEntryWasEvicted() {
        final DuplicateFilter f = new DuplicateFilter(2, 5_000);
        record(f, 1, 1, hello, 0, 1);
        record(f, 2, 1, hello, 0, 2);
        record(f, 3, 1, hello, 0, 3); // evicts user 1, the oldest
        assertThat(f.evictedLiveCount()).isEqualTo(1);
        assertThat(check(f, 1, 2, hello, 1)).isEqualTo(DuplicateFilter.FRESH);
        assertThat(check(f, 2, 2, hello, 1)).isEqualTo(DuplicateFilter.DUPLICATE);
        assertThat(check(f, 3, 2, hello, 1)).isEqualTo(DuplicateFilter.DUPLICATE);
    }

    @Test
    void shouldKeepItsIndexConsistentUnderRandomChurnWithCollidingHomeSlots() {
        // Small table: long probe chains, so backward-shift deletion is exercised heavily.
        final DuplicateFilter f = new DuplicateFilter(8, 50);
        final java.util.Random random = new java.util.Random(12345);
        // Model: the filter remembers the latest of the last 8 records for each key.
        final java.util.ArrayDeque<Object[]> lastRecords = new java.util.ArrayDeque<>(); // {key, recordedAt, clientTs}
        final UnsafeBuffer buf = new UnsafeBuffer(new byte[16]);
        long now = 0;
        for (int step = 0; step < 200_000; step++) {
            now += random.nextInt(3);
            final int user = random.nextInt(12);
            final String text = "t" + random.nextInt(3);
            final long clientTs = random.nextInt(2);
            final int len = buf.putStringWithoutLengthUtf8(0, text);
            final String key = user + "/" + text;
            Object[] latest = null;
            for (final Object[] r : lastRecords) {
                if (r[0].equals(key)) {
                    latest = r;
                }
            }
            final int expected = latest == null || now - (long)latest[1] >= 50 ? DuplicateFilter.FRESH
                : (long)latest[2] == clientTs ? DuplicateFilter.RETRY : DuplicateFilter.DUPLICATE;
            final int actual = f.check(user, clientTs, buf, 0, len, now);
            assertThat(actual).as("step %d", step).isEqualTo(expected);
            if (actual == DuplicateFilter.FRESH) {
                f.record(user, clientTs, buf, 0, len, now, 0, step);
                lastRecords.addLast(new Object[] {key, now, clientTs});
                if (lastRecords.size() > 8) {
                    lastRecords.removeFirst();
                }
            }
            assertThat(f.size()).isLessThanOrEqualTo(8);
        }
    }

    @Test
    void shouldTellApartKeysWhoseHashesShareTheIndexTag() {
        // The index keeps only hash >>> 30; two users whose hashes agree there must still be told apart.
        final java.util.HashMap<Long, Long> userByTag = new java.util.HashMap<>();
        long first = -1;
        long second = -1;
        for (long user = 0; second < 0; user++) {
            final long hash = ContentHash.hash(user, hello, 0, hello.capacity());
            final Long previous = userByTag.putIfAbsent(hash >>> 30, user);
            if (previous != null && ContentHash.hash(previous, hello, 0, hello.capacity()) != hash) {
                first = previous;
                second = user;
            }
        }
        final DuplicateFilter f = new DuplicateFilter(1 << 10, 5_000);
        record(f, first, 100, hello, 0, 1);
        assertThat(check(f, second, 100, hello, 1)).isEqualTo(DuplicateFilter.FRESH);
        record(f, second, 100, hello, 1, 2);
        assertThat(f.size()).isEqualTo(2);
        assertThat(check(f, first, 100, hello, 2)).isEqualTo(DuplicateFilter.RETRY);
        assertThat(f.retrySequence()).isEqualTo(1);
        assertThat(check(f, second, 100, hello, 2)).isEqualTo(DuplicateFilter.RETRY);
        assertThat(f.retrySequence()).isEqualTo(2);
        record(f, 7, 100, hello, 3, 3);
        record(f, 8, 100, hello, 3, 4);
        assertThat(check(f, second, 101, hello, 4)).isEqualTo(DuplicateFilter.DUPLICATE);
    }

    @Test
    void shouldNotAllocateWhenCheckingAndRecording() {
        assertCheckAndRecordAllocateNothing(false);
        assertCheckAndRecordAllocateNothing(true);
    }

    /** 100k check + record (or recordChecked) allocate nothing in steady state. */
    private static void assertCheckAndRecordAllocateNothing(final boolean recordChecked) {
        final DuplicateFilter f = new DuplicateFilter(1 << 12, 5_000);
        final UnsafeBuffer buf = new UnsafeBuffer("some bullet text 弹幕".getBytes(StandardCharsets.UTF_8));
        final long[] i = {0};
        final long bytes = Allocations.bytesAllocated(50_000, 100_000, () -> {
            final long n = i[0]++;
            if (f.check(n & 8191, 1, buf, 0, buf.capacity(), n) == DuplicateFilter.FRESH) {
                if (recordChecked) {
                    f.recordChecked(1, n, 1, n);
                } else {
                    f.record(n & 8191, 1, buf, 0, buf.capacity(), n, 1, n);
                }
            }
        });
        assertThat(bytes).as("bytes allocated by 100k check+%s", recordChecked ? "recordChecked" : "record")
            .isLessThan(100_000);
    }

    // ------------------------------------------------------------------ model-based tests

    /** Reference: the latest record per key among the last {@code capacity} records. */
    private static final class Model {
        private static final int KEY = 0;
        private static final int RECORDED = 1;
        private static final int CLIENT_TS = 2;
        private static final int EPOCH = 3;
        private static final int SEQUENCE = 4;
        final int capacity;
        final long window;
        final ArrayDeque<long[]> ring = new ArrayDeque<>();
        final HashMap<Long, long[]> latest = new HashMap<>();
        long ringEvictedLive;
        long duplicates;
        long retries;

        Model(final int capacity, final long window) {
            this.capacity = capacity;
            this.window = window;
        }

        long[] live(final long key, final long now) {
            final long[] r = latest.get(key);
            return r == null || now - r[RECORDED] >= window ? null : r;
        }

        int expect(final long key, final long clientTs, final long now) {
            final long[] r = live(key, now);
            return r == null ? DuplicateFilter.FRESH : r[CLIENT_TS] == clientTs ? DuplicateFilter.RETRY : DuplicateFilter.DUPLICATE;
        }

        void record(final long key, final long clientTs, final long now, final int epoch, final long sequence) {
            final long[] r = {key, now, clientTs, epoch, sequence};
            ring.addLast(r);
            latest.put(key, r);
            if (ring.size() > capacity) {
                final long[] old = ring.removeFirst();
                if (latest.get(old[KEY]) == old) {
                    latest.remove(old[KEY]);
                    if (now - old[RECORDED] < window) {
                        ringEvictedLive++;
                    }
                }
            }
        }
    }

    /** Bullets of a key pool, as buffers; key i is (users[i], contents[i]). */
    private static final class Keys {
        final long[] users;
        final UnsafeBuffer[] contents;

        Keys(final long[] users, final UnsafeBuffer[] contents) {
            this.users = users;
            this.contents = contents;
        }

        static Keys random(final SplittableRandom r, final int n) {
            final int userCount = 1 + r.nextInt(Math.max(1, n / 2));
            final long[] users = new long[n];
            final UnsafeBuffer[] contents = new UnsafeBuffer[n];
            for (int i = 0; i < n; i++) {
                // distinct (user, content) per index: content carries the index
                users[i] = r.nextInt(userCount) * 0x9E37L - 5;
                contents[i] = utf8("弹幕 " + i + (r.nextBoolean() ? "!" : ""));
            }
            return new Keys(users, contents);
        }

        int check(final DuplicateFilter f, final int k, final long clientTs, final long now) {
            return f.check(users[k], clientTs, contents[k], 0, contents[k].capacity(), now);
        }

        void record(final DuplicateFilter f, final int k, final long clientTs, final long now, final int epoch, final long seq) {
            f.record(users[k], clientTs, contents[k], 0, contents[k].capacity(), now, epoch, seq);
        }

        long hash(final int k) {
            return ContentHash.hash(users[k], contents[k], 0, contents[k].capacity());
        }
    }

    /** A time step: mostly small, sometimes about the window, sometimes huge (hours to decades); small for an endless window. */
    private static long step(final SplittableRandom r, final long window) {
        if (window > 1L << 40) {
            return r.nextInt(3) == 0 ? 0 : r.nextLong(1, 1_000);
        }
        switch (r.nextInt(12)) {
            case 0: return window;
            case 1: return window - 1;
            case 2: return window + r.nextInt(3);
            case 3: return r.nextLong(1, 1L << 40);
            case 4: return r.nextLong(window, 64 * window + 2);
            case 5: case 6: case 7: return 0;
            default: return r.nextLong(0, Math.max(2, window / 4));
        }
    }

    private static long window(final SplittableRandom r) {
        switch (r.nextInt(4)) {
            case 0: return 1;
            case 1: return 5_000;
            case 2: return r.nextLong(1, 100);
            default: return r.nextLong(1, 3_600_001);
        }
    }

    /**
     * Drives a filter and the model with the same random bullets (check, then record if FRESH,
     * through {@code recordChecked} or {@code record}; sometimes a bare {@code record} as the
     * journal rebuild does). With {@code exact}, every result, counter and size must equal the
     * model's; otherwise the filter may only lose knowledge: a result differs only as FRESH where
     * the model says DUPLICATE or RETRY, and every record seen lost was counted as evicted live.
     */
    private static void run(final String as, final DuplicateFilter f, final Model m, final Keys keys, final SplittableRandom r,
        final int steps, final boolean exact) {
        final int indexSlots = f.indexSlots();
        final HashSet<long[]> lost = new HashSet<>();
        long now = r.nextLong(-1L << 40, 1L << 40);
        long seq = 0;
        for (int step = 0; step < steps; step++) {
            now += step(r, m.window);
            final int k = r.nextInt(keys.users.length);
            final long key = k;
            final long[] latest = m.latest.get(key);
            // Re-sending the latest client timestamp is a retry; otherwise a new bullet.
            final long clientTs = latest != null && r.nextInt(3) == 0 ? latest[Model.CLIENT_TS] : r.nextLong(4);
            final int epoch = r.nextInt();
            seq++;
            if (r.nextInt(20) == 0) {
                keys.record(f, k, clientTs, now, epoch, seq);
                m.record(key, clientTs, now, epoch, seq);
            } else {
                final int expected = m.expect(key, clientTs, now);
                final int actual = keys.check(f, k, clientTs, now);
                final String at = String.format("%s step %d key %d now %d", as, step, k, now);
                if (exact || actual != DuplicateFilter.FRESH) {
                    assertThat(actual).as(at).isEqualTo(expected);
                } else if (expected != DuplicateFilter.FRESH) {
                    lost.add(m.live(key, now));
                    assertThat(f.evictedLiveCount()).as(at + ": records lost must have been counted").isGreaterThanOrEqualTo(lost.size());
                }
                if (expected == DuplicateFilter.DUPLICATE) {
                    m.duplicates++;
                } else if (expected == DuplicateFilter.RETRY) {
                    m.retries++;
                }
                if (actual == DuplicateFilter.RETRY) {
                    final long[] original = m.live(key, now);
                    assertThat(f.retryEpoch()).as(at).isEqualTo((int)original[Model.EPOCH]);
                    assertThat(f.retrySequence()).as(at).isEqualTo(original[Model.SEQUENCE]);
                }
                if (actual == DuplicateFilter.FRESH) {
                    if (r.nextBoolean()) {
                        f.recordChecked(clientTs, now, epoch, seq);
                    } else {
                        keys.record(f, k, clientTs, now, epoch, seq);
                    }
                    m.record(key, clientTs, now, epoch, seq);
                }
            }
            assertThat(f.size()).as("%s step %d size", as, step).isLessThanOrEqualTo(f.capacity());
            if (exact) {
                assertThat(f.size()).as("%s step %d size", as, step).isEqualTo(m.latest.size());
                assertThat(f.evictedLiveCount()).as("%s step %d evictedLive", as, step).isEqualTo(m.ringEvictedLive);
                assertThat(f.duplicateCount()).as("%s step %d duplicates", as, step).isEqualTo(m.duplicates);
                assertThat(f.retryCount()).as("%s step %d retries", as, step).isEqualTo(m.retries);
            }
        }
        assertThat(f.indexSlots()).as(as).isEqualTo(indexSlots);
    }

    @Test
    void shouldAnswerExactlyAsTheModelWhenNothingIsEvicted() {
        for (int trial = 0; trial < 24; trial++) {
            final SplittableRandom t = new SplittableRandom(BASE_SEED + 31L * trial);
            final long window = window(t);
            final int steps = 4_000;
            // More entries than records: nothing leaves the ring; 4 index slots per entry: no bucket pair fills up.
            final DuplicateFilter f = new DuplicateFilter(1 << 13, window);
            final Keys keys = Keys.random(t, 1 + t.nextInt(600));
            run("seed=" + BASE_SEED + " trial=" + trial + " window=" + window, f, new Model(f.capacity(), window), keys, t,
                steps, true);
            assertThat(f.evictedLiveCount()).isZero();
        }
    }

    @Test
    void shouldAnswerExactlyAsTheModelWhileTheRingOverwritesItsOldestEntries() {
        // At most 8 entries are in the ring, so no bucket pair (16 slots) can fill up: only the ring forgets.
        for (int trial = 0; trial < 24; trial++) {
            final SplittableRandom t = new SplittableRandom(BASE_SEED + 7919L * trial);
            final long window = window(t);
            final int capacity = 1 << t.nextInt(4);
            final DuplicateFilter f = new DuplicateFilter(capacity, window);
            run("seed=" + BASE_SEED + " trial=" + trial + " capacity=" + capacity + " window=" + window, f,
                new Model(capacity, window), Keys.random(t, 1 + t.nextInt(24)), t, 20_000, true);
        }
    }

    @Test
    void shouldOnlyLoseKnowledgeWhenRingPositionsWrapOften() {
        // Ring positions kept mod 2 * capacity (or 4 *): stale index slots come back into range all the time.
        for (int trial = 0; trial < 24; trial++) {
            final SplittableRandom t = new SplittableRandom(BASE_SEED + 104_729L * trial);
            final long window = window(t);
            final int capacityBits = t.nextInt(6);
            final int positionBits = capacityBits + 1 + t.nextInt(2);
            final DuplicateFilter f = new DuplicateFilter(1 << capacityBits, window, positionBits);
            run("seed=" + BASE_SEED + " trial=" + trial + " capacity=" + (1 << capacityBits) + " positionBits="
                + positionBits + " window=" + window, f, new Model(1 << capacityBits, window),
                Keys.random(t, 1 + t.nextInt(200)), t, 20_000, false);
        }
    }

    @Test
    void shouldOnlyLoseKnowledgeWhenCrowdedBucketsEvict() {
        long evicted = 0;
        for (int trial = 0; trial < 16; trial++) {
            final SplittableRandom t = new SplittableRandom(BASE_SEED + 1_299_709L * trial);
            final long window = t.nextBoolean() ? 5_000 : 1L << 50;
            final DuplicateFilter f = new DuplicateFilter(256, window);
            // Half the keys crowd into one or two bucket pairs (32 slots), the rest spread out.
            final int n = 64 + t.nextInt(200);
            final long[] users = new long[n];
            final UnsafeBuffer[] contents = new UnsafeBuffer[n];
            final int crowded = 2 * t.nextInt(f.indexSlots() / 16);
            int i = 0;
            for (long user = t.nextLong(1L << 40); i < n; user++) {
                final UnsafeBuffer content = utf8("same " + (user % 3));
                final int home = (int)(f.indexKey(ContentHash.hash(user, content, 0, content.capacity())) >>> 30);
                if (i >= n / 2 || (home & ~3) == (crowded & ~3)) {
                    users[i] = user;
                    contents[i++] = content;
                }
            }
            run("seed=" + BASE_SEED + " trial=" + trial + " window=" + window, f, new Model(f.capacity(), window),
                new Keys(users, contents), t, 20_000, false);
            evicted += f.evictedLiveCount();
        }
        assertThat(evicted).as("crowded pairs evicted live entries").isPositive();
    }

    @Test
    void shouldBehaveTheSameThroughRecordCheckedAsThroughRecord() {
        final SplittableRandom t = new SplittableRandom(BASE_SEED ^ 0x5EC0_4DEDL);
        for (int trial = 0; trial < 8; trial++) {
            final long window = window(t);
            final int capacity = 1 << t.nextInt(12);
            final DuplicateFilter a = new DuplicateFilter(capacity, window);
            final DuplicateFilter b = new DuplicateFilter(capacity, window);
            final Keys keys = Keys.random(t, 1 + t.nextInt(3 * capacity));
            long now = 0;
            for (int step = 0; step < 20_000; step++) {
                now += step(t, window);
                final int k = t.nextInt(keys.users.length);
                final long clientTs = t.nextLong(3);
                final int ra = keys.check(a, k, clientTs, now);
                final int rb = keys.check(b, k, clientTs, now);
                final String at = "seed=" + BASE_SEED + " trial=" + trial + " step=" + step;
                assertThat(ra).as(at).isEqualTo(rb);
                if (ra == DuplicateFilter.RETRY) {
                    assertThat(a.retryEpoch()).as(at).isEqualTo(b.retryEpoch());
                    assertThat(a.retrySequence()).as(at).isEqualTo(b.retrySequence());
                }
                if (ra == DuplicateFilter.FRESH) {
                    a.recordChecked(clientTs, now, step, step * 7L);
                    keys.record(b, k, clientTs, now, step, step * 7L);
                }
                assertThat(a.size()).as(at).isEqualTo(b.size());
                assertThat(a.evictedLiveCount()).as(at).isEqualTo(b.evictedLiveCount());
            }
            assertThat(a.duplicateCount()).isEqualTo(b.duplicateCount());
            assertThat(a.retryCount()).isEqualTo(b.retryCount());
        }
    }

    @Test
    void shouldRefuseRecordCheckedWithoutAFreshCheckJustBefore() {
        final DuplicateFilter f = new DuplicateFilter(64, 5_000);
        assertThatThrownBy(() -> f.recordChecked(1, 0, 1, 1)).isInstanceOf(IllegalStateException.class);
        assertThat(check(f, 1, 100, hello, 0)).isEqualTo(DuplicateFilter.FRESH);
        f.recordChecked(100, 0, 1, 1);
        assertThatThrownBy(() -> f.recordChecked(100, 0, 1, 2)).as("twice").isInstanceOf(IllegalStateException.class);
        assertThat(check(f, 1, 101, hello, 1)).isEqualTo(DuplicateFilter.DUPLICATE);
        assertThatThrownBy(() -> f.recordChecked(101, 1, 1, 2)).as("after DUPLICATE").isInstanceOf(IllegalStateException.class);
        assertThat(check(f, 1, 100, hello, 1)).isEqualTo(DuplicateFilter.RETRY);
        assertThatThrownBy(() -> f.recordChecked(100, 1, 1, 2)).as("after RETRY").isInstanceOf(IllegalStateException.class);
        assertThat(check(f, 2, 100, hello, 1)).isEqualTo(DuplicateFilter.FRESH);
        record(f, 3, 100, hello, 1, 2);
        assertThatThrownBy(() -> f.recordChecked(100, 1, 1, 3)).as("after record").isInstanceOf(IllegalStateException.class);
        assertThat(f.size()).isEqualTo(2);
    }

    /** Users whose (user, {@code hello}) keys have home bucket 0 or 1 (one pair), in the order found. */
    private List<Long> usersInFirstPair(final DuplicateFilter f, final int n) {
        final List<Long> users = new ArrayList<>();
        for (long user = 1; users.size() < n; user++) {
            if (f.indexKey(ContentHash.hash(user, hello, 0, hello.capacity())) >>> 30 <= 1) {
                users.add(user);
            }
        }
        return users;
    }

    @Test
    void shouldEvictTheOldestOfAFullBucketPairAndCountItIfLive() {
        final DuplicateFilter f = new DuplicateFilter(1 << 10, 5_000);
        final List<Long> users = usersInFirstPair(f, 18);
        for (int i = 0; i < 16; i++) {
            assertThat(check(f, users.get(i), 1, hello, i)).isEqualTo(DuplicateFilter.FRESH);
            f.recordChecked(1, i, 0, i);
        }
        assertThat(f.evictedLiveCount()).isZero();
        for (int i = 0; i < 16; i++) {
            assertThat(check(f, users.get(i), 2, hello, 16)).as("user %d, in a full pair", i).isEqualTo(DuplicateFilter.DUPLICATE);
        }
        // The 17th key of the pair evicts the oldest, which is live.
        record(f, users.get(16), 1, hello, 16, 16);
        assertThat(f.evictedLiveCount()).isEqualTo(1);
        assertThat(f.size()).isEqualTo(16);
        assertThat(check(f, users.get(0), 2, hello, 17)).as("evicted").isEqualTo(DuplicateFilter.FRESH);
        for (int i = 1; i <= 16; i++) {
            assertThat(check(f, users.get(i), 1, hello, 17)).as("user %d", i).isEqualTo(DuplicateFilter.RETRY);
            assertThat(f.retrySequence()).isEqualTo(i);
        }
        // Once everything has expired, evicting costs nothing that counts.
        record(f, users.get(17), 1, hello, 10_000, 17);
        assertThat(f.evictedLiveCount()).isEqualTo(1);
        assertThat(f.size()).isEqualTo(16);
        assertThat(check(f, users.get(17), 1, hello, 10_001)).isEqualTo(DuplicateFilter.RETRY);
        // A key of the pair recorded again supersedes in place: no eviction, same size.
        assertThat(check(f, users.get(17), 2, hello, 20_000)).isEqualTo(DuplicateFilter.FRESH);
        f.recordChecked(2, 20_000, 0, 18);
        assertThat(f.size()).isEqualTo(16);
        assertThat(f.evictedLiveCount()).isEqualTo(1);
    }

    @Test
    void shouldFindKeysThatOverflowedIntoTheOtherBucketOfThePairAfterTheirHomeFreesUp() {
        final DuplicateFilter f = new DuplicateFilter(16, 1_000_000);
        final List<Long> pair = new ArrayList<>();
        for (long user = 1; pair.size() < 12; user++) {
            if (f.indexKey(ContentHash.hash(user, hello, 0, hello.capacity())) >>> 30 == 0) {
                pair.add(user);
            }
        }
        // 12 keys homed at bucket 0: 8 at home, 4 in bucket 1.
        for (int i = 0; i < 12; i++) {
            record(f, pair.get(i), 1, hello, i, i);
        }
        // Push the 4 oldest out of the ring (16 entries) with keys from other pairs: home slots become free.
        long user = 1_000_000;
        for (int n = 0; n < 8; user++) {
            if (f.indexKey(ContentHash.hash(user, hello, 0, hello.capacity())) >>> 30 >= 2) {
                record(f, user, 1, hello, 100, 100 + n++);
            }
        }
        for (int i = 0; i < 4; i++) {
            assertThat(check(f, pair.get(i), 1, hello, 101)).as("left the ring %d", i).isEqualTo(DuplicateFilter.FRESH);
        }
        for (int i = 4; i < 12; i++) {
            assertThat(check(f, pair.get(i), 1, hello, 101)).as("key %d", i).isEqualTo(DuplicateFilter.RETRY);
            assertThat(f.retrySequence()).isEqualTo(i);
        }
        // A new key homed at bucket 0 takes a freed home slot; the overflowed keys stay visible.
        long fresh = pair.get(11) + 1;
        while (f.indexKey(ContentHash.hash(fresh, hello, 0, hello.capacity())) >>> 30 != 0) {
            fresh++;
        }
        record(f, fresh, 1, hello, 102, 200);
        for (int i = 5; i < 12; i++) {
            assertThat(check(f, pair.get(i), 2, hello, 103)).as("key %d", i).isEqualTo(DuplicateFilter.DUPLICATE);
        }
        assertThat(check(f, fresh, 1, hello, 103)).isEqualTo(DuplicateFilter.RETRY);
        assertThat(f.evictedLiveCount()).isEqualTo(5);
    }

    @Test
    void shouldTellApartKeysThatShareTheBucketAndTag() {
        final DuplicateFilter f = new DuplicateFilter(4, 5_000);
        final HashMap<Long, Long> userByIndexKey = new HashMap<>();
        long first = -1;
        long second = -1;
        for (long user = 0; second < 0; user++) {
            final long hash = ContentHash.hash(user, hello, 0, hello.capacity());
            final Long previous = userByIndexKey.putIfAbsent(f.indexKey(hash), user);
            if (previous != null && ContentHash.hash(previous, hello, 0, hello.capacity()) != hash) {
                first = previous;
                second = user;
            }
        }
        record(f, first, 100, hello, 0, 1);
        // Same bucket and tag: only the full hash in the ring tells them apart.
        assertThat(check(f, second, 100, hello, 1)).isEqualTo(DuplicateFilter.FRESH);
        f.recordChecked(100, 1, 3, 2);
        assertThat(f.size()).isEqualTo(2);
        assertThat(check(f, first, 100, hello, 2)).isEqualTo(DuplicateFilter.RETRY);
        assertThat(f.retrySequence()).isEqualTo(1);
        assertThat(check(f, second, 100, hello, 2)).isEqualTo(DuplicateFilter.RETRY);
        assertThat(f.retrySequence()).isEqualTo(2);
        // Superseding one leaves the other alone.
        record(f, second, 200, hello, 10_000, 3);
        assertThat(f.size()).isEqualTo(2);
        assertThat(check(f, second, 200, hello, 10_001)).isEqualTo(DuplicateFilter.RETRY);
        assertThat(f.retrySequence()).isEqualTo(3);
        record(f, first, 300, hello, 10_001, 4);
        assertThat(check(f, first, 300, hello, 10_002)).isEqualTo(DuplicateFilter.RETRY);
        assertThat(f.retrySequence()).isEqualTo(4);
        assertThat(check(f, second, 201, hello, 10_002)).isEqualTo(DuplicateFilter.DUPLICATE);
        assertThat(f.size()).isEqualTo(2);
    }

    @Test
    void shouldAlignEveryBucketToACacheLine() {
        for (final int capacity : new int[] {1, 2, 4, 1000, 1 << 16}) {
            final DuplicateFilter f = new DuplicateFilter(capacity, 5_000);
            assertThat(f.bucketsAligned()).as("capacity %d", capacity).isTrue();
            assertThat(f.indexSlots()).as("capacity %d", capacity)
                .isEqualTo(Math.max(16, f.capacity() * DuplicateFilter.INDEX_BYTES_PER_ENTRY / 8));
        }
    }

    @Test
    void shouldRejectCapacitiesBeyondTheIndexLayout() {
        assertThatThrownBy(() -> new DuplicateFilter(DuplicateFilter.MAX_CAPACITY + 1, 5_000))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DuplicateFilter(0, 5_000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DuplicateFilter(8, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DuplicateFilter(8, 5_000, 3)).isInstanceOf(IllegalArgumentException.class);
    }
}
