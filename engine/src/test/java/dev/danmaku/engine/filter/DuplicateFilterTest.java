package dev.danmaku.engine.filter;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static dev.danmaku.engine.filter.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;

class DuplicateFilterTest {
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
        final DuplicateFilter f = new DuplicateFilter(1 << 12, 5_000);
        final UnsafeBuffer buf = new UnsafeBuffer("some bullet text 弹幕".getBytes(StandardCharsets.UTF_8));
        final long[] i = {0};
        final long bytes = Allocations.bytesAllocated(50_000, 100_000, () -> {
            final long n = i[0]++;
            if (f.check(n & 8191, 1, buf, 0, buf.capacity(), n) == DuplicateFilter.FRESH) {
                f.record(n & 8191, 1, buf, 0, buf.capacity(), n, 1, n);
            }
        });
        assertThat(bytes).as("bytes allocated by 100k check+record").isLessThan(100_000);
    }
}
