package dev.danmaku.engine.filter;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RateLimiterTest {
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000_000_000L;

    @Test
    void shouldAcceptABurstThenOnePerEmissionInterval() {
        final RateLimiter limiter = RateLimiter.perSecond(10, 3, 16); // T = 100 ms
        final long t0 = 5 * SECOND;
        assertThat(limiter.tryAcquire(1, t0)).isEqualTo(RateLimiter.ACCEPTED);
        assertThat(limiter.tryAcquire(1, t0)).isEqualTo(RateLimiter.ACCEPTED);
        assertThat(limiter.tryAcquire(1, t0)).isEqualTo(RateLimiter.ACCEPTED);
        assertThat(limiter.tryAcquire(1, t0)).isEqualTo(100);
        assertThat(limiter.tryAcquire(1, t0 + 100 * MS - 1)).isEqualTo(1);
        assertThat(limiter.tryAcquire(1, t0 + 100 * MS)).isEqualTo(RateLimiter.ACCEPTED);
        assertThat(limiter.tryAcquire(1, t0 + 100 * MS)).isEqualTo(100);
        assertThat(limiter.acceptedCount()).isEqualTo(4);
        assertThat(limiter.limitedCount()).isEqualTo(3);
    }

    @Test
    void shouldReturnARetryAfterInMillisecondsRoundedUpAfterWhichTheRequestConforms() {
        final RateLimiter limiter = new RateLimiter(250 * MS + 300, 1, 16);
        assertThat(limiter.tryAcquire(7, 0)).isEqualTo(RateLimiter.ACCEPTED);
        final long retryAfterMs = limiter.tryAcquire(7, 10 * MS);
        assertThat(retryAfterMs).isEqualTo(241); // 240 ms + 300 ns, rounded up
        assertThat(limiter.tryAcquire(7, 10 * MS + retryAfterMs * MS)).isEqualTo(RateLimiter.ACCEPTED);
    }

    @Test
    void shouldKeepKeysIndependent() {
        final RateLimiter limiter = RateLimiter.perSecond(1, 1, 16);
        assertThat(limiter.tryAcquire(1, 0)).isEqualTo(RateLimiter.ACCEPTED);
        assertThat(limiter.tryAcquire(2, 0)).isEqualTo(RateLimiter.ACCEPTED);
        assertThat(limiter.tryAcquire(1, 0)).isPositive();
        assertThat(limiter.tryAcquire(3, 0)).isEqualTo(RateLimiter.ACCEPTED);
    }

    @Test
    void shouldWorkAcrossTheSignChangeOfANanoTimeClock() {
        final RateLimiter limiter = RateLimiter.perSecond(10, 1, 16);
        final long t0 = -50 * MS;
        assertThat(limiter.tryAcquire(1, t0)).isEqualTo(RateLimiter.ACCEPTED);
        assertThat(limiter.tryAcquire(1, t0 + 99 * MS)).isEqualTo(1);
        assertThat(limiter.tryAcquire(1, t0 + 100 * MS)).isEqualTo(RateLimiter.ACCEPTED);
    }

    @Test
    void shouldRefuseNewKeysAsTableFullWhileEveryTrackedKeyIsLiveAndKeepServingTrackedKeys() {
        final RateLimiter limiter = RateLimiter.perSecond(1, 2, 4);
        for (long key = 0; key < 4; key++) {
            assertThat(limiter.tryAcquire(key, 0)).isEqualTo(RateLimiter.ACCEPTED);
        }
        assertThat(limiter.tryAcquire(99, 0)).isEqualTo(RateLimiter.TABLE_FULL);
        assertThat(limiter.tableFullCount()).isEqualTo(1);
        assertThat(limiter.tryAcquire(0, 0)).isEqualTo(RateLimiter.ACCEPTED);
        assertThat(limiter.trackedKeys()).isEqualTo(4);
    }

    @Test
    void shouldEvictKeysWhoseTheoreticalArrivalTimeHasPassedToMakeRoom() {
        final RateLimiter limiter = RateLimiter.perSecond(1, 1, 4);
        for (long key = 0; key < 4; key++) {
            limiter.tryAcquire(key, 0);
        }
        assertThat(limiter.tryAcquire(99, SECOND - 1)).isEqualTo(RateLimiter.TABLE_FULL);
        assertThat(limiter.tryAcquire(99, SECOND)).isEqualTo(RateLimiter.ACCEPTED);
        assertThat(limiter.evictedCount()).isEqualTo(1);
        assertThat(limiter.trackedKeys()).isEqualTo(4);
    }

    @Test
    void shouldNeverGrowItsTableWhen100kDistinctKeysChurnThroughIt() {
        final RateLimiter limiter = RateLimiter.perSecond(10, 2, 1024);
        final int capacity = limiter.tableCapacity();
        long now = 0;
        long full = 0;
        for (long key = 0; key < 100_000; key++) {
            now += MS;
            final long result = limiter.tryAcquire(key, now);
            assertThat(result).isIn(RateLimiter.ACCEPTED, RateLimiter.TABLE_FULL);
            if (result == RateLimiter.TABLE_FULL) {
                full++;
            }
            assertThat(limiter.trackedKeys()).isLessThanOrEqualTo(1024);
        }
        assertThat(limiter.tableCapacity()).isEqualTo(capacity);
        // One new key per ms, each live for T = 100 ms: about 100 live keys, so the CLOCK sweep keeps up.
        assertThat(full).isZero();
        assertThat(limiter.evictedCount()).isGreaterThan(90_000);
    }

    @Test
    void shouldSizeItsTableToTheLiveKeysAndNeverBeyondWhatMaxKeysNeeds() {
        final int maxKeys = 1 << 20;
        final RateLimiter limiter = RateLimiter.perSecond(1000, 1, maxKeys); // T = 1 ms
        final int bound = org.agrona.BitUtil.findNextPositivePowerOfTwo((int)Math.ceil(maxKeys / 0.6) + 1);
        assertThat(limiter.tableCapacity()).isLessThanOrEqualTo(RateLimiter.INITIAL_TABLE_SLOTS);
        // A million distinct keys, one per us, each live for 1 ms: about 1,000 live at a time.
        long now = 0;
        for (long key = 0; key < 1_000_000; key++) {
            now += 1_000;
            assertThat(limiter.tryAcquire(key * 0x9E3779B97F4A7C15L, now)).isEqualTo(RateLimiter.ACCEPTED);
        }
        assertThat(limiter.tableCapacity()).isLessThanOrEqualTo(4 * RateLimiter.INITIAL_TABLE_SLOTS);
        // Every key live: the table grows to hold maxKeys, and no further.
        for (long key = 0; key < maxKeys + 10; key++) {
            final long result = limiter.tryAcquire(~key, now);
            if (result != RateLimiter.ACCEPTED) {
                assertThat(result).isEqualTo(RateLimiter.TABLE_FULL);
            }
            if (limiter.trackedKeys() > maxKeys) {
                assertThat(limiter.trackedKeys()).isLessThanOrEqualTo(maxKeys);
            }
        }
        assertThat(limiter.trackedKeys()).isEqualTo(maxKeys);
        assertThat(limiter.tableFullCount()).isPositive();
        assertThat(limiter.tableCapacity()).isLessThanOrEqualTo(bound);
    }

    @Test
    void shouldNotAllocateWhenDecidingRequests() {
        final RateLimiter limiter = RateLimiter.perSecond(100, 5, 4096);
        final long[] now = {0};
        final long bytes = Allocations.bytesAllocated(50_000, 100_000, () -> {
            now[0] += 10_000;
            limiter.tryAcquire(now[0] & 8191, now[0]);
        });
        assertThat(bytes).as("bytes allocated by 100k tryAcquire").isLessThan(100_000);
    }
}
