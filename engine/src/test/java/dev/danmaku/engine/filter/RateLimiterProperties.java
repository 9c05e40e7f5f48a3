package dev.danmaku.engine.filter;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * GCRA bounds from the {@link RateLimiter} Javadoc, with a fake clock (explicit nanosecond times).
 * jqwik prints the seed of a failing run; the arrival times come from a {@link Random} seeded by a
 * generated {@code arrivalSeed}, printed in the failure sample, so a failure replays exactly.
 */
class RateLimiterProperties {
    @Property(tries = 300)
    void aSenderAtTenTimesTheRateIsAcceptedExactlyBurstPlusElapsedTimesRate(
        @ForAll("exactRates") final int rate,
        @ForAll @IntRange(min = 2, max = 20) final int burst,
        @ForAll @IntRange(min = 1, max = 3000) final int requests,
        @ForAll @LongRange(min = Long.MIN_VALUE / 4, max = Long.MAX_VALUE / 4) final long startNs,
        @ForAll final long arrivalSeed) {
        final RateLimiter limiter = RateLimiter.perSecond(rate, burst, 4);
        final long t = limiter.emissionIntervalNs();
        final Random random = new Random(arrivalSeed);
        long now = startNs;
        long accepted = 0;
        for (int i = 0; i < requests; i++) {
            if (i > 0) {
                now += 1 + (long)(random.nextDouble() * (t / 10)); // gap in [1, T/10]: 10x the rate or faster
            }
            if (limiter.tryAcquire(42, now) == RateLimiter.ACCEPTED) {
                accepted++;
            }
        }
        final long elapsedNs = now - startNs;
        final long bound = burst + Math.floorDiv(elapsedNs * (long)rate, 1_000_000_000L);
        assertThat(accepted).as("rate=%d burst=%d n=%d elapsed=%dns arrivalSeed=%d", rate, burst, requests, elapsedNs, arrivalSeed)
            .isEqualTo(Math.min(requests, bound));
    }

    @Property(tries = 200)
    void noWindowEverAdmitsMoreThanBurstPlusFloorOfWindowOverInterval(
        @ForAll @IntRange(min = 1, max = 1000) final int rate,
        @ForAll @IntRange(min = 1, max = 10) final int burst,
        @ForAll @IntRange(min = 1, max = 600) final int requests,
        @ForAll @IntRange(min = 0, max = 30) final int gapInTenthsOfInterval,
        @ForAll final long arrivalSeed) {
        final RateLimiter limiter = RateLimiter.perSecond(rate, burst, 4);
        final long t = limiter.emissionIntervalNs();
        final Random random = new Random(arrivalSeed);
        final long[] acceptedAt = new long[requests];
        int accepted = 0;
        long now = 1_000_000L * random.nextInt(1000);
        for (int i = 0; i < requests; i++) {
            now += (long)(random.nextDouble() * (t * gapInTenthsOfInterval / 10 + 1)); // bursts and idle gaps
            final long result = limiter.tryAcquire(7, now);
            assertThat(result).isGreaterThanOrEqualTo(0);
            if (result == RateLimiter.ACCEPTED) {
                acceptedAt[accepted++] = now;
            }
        }
        assertThat(accepted).isPositive();
        for (int i = 0; i < accepted; i++) {
            for (int j = i; j < accepted; j++) {
                final long window = acceptedAt[j] - acceptedAt[i];
                assertThat(j - i + 1L).as("accepted in [%d, %d] arrivalSeed=%d", acceptedAt[i], acceptedAt[j], arrivalSeed)
                    .isLessThanOrEqualTo(burst + window / t);
            }
        }
    }

    @Property(tries = 200)
    void aRejectedRequestRetriedAfterTheReturnedDelayConforms(
        @ForAll @IntRange(min = 1, max = 1000) final int rate,
        @ForAll @IntRange(min = 1, max = 10) final int burst,
        @ForAll @LongRange(min = 0, max = 1_000_000_000L) final long offsetNs) {
        final RateLimiter limiter = RateLimiter.perSecond(rate, burst, 4);
        long now = 0;
        long result;
        do {
            result = limiter.tryAcquire(1, now);
        } while (result == RateLimiter.ACCEPTED);
        now += Math.min(offsetNs, limiter.emissionIntervalNs() / 2);
        final long retryAfterMs = limiter.tryAcquire(1, now);
        if (retryAfterMs > 0) {
            assertThat(limiter.tryAcquire(1, now + retryAfterMs * 1_000_000L)).isEqualTo(RateLimiter.ACCEPTED);
        }
    }

    @Provide
    Arbitrary<Integer> exactRates() {
        // Rates that divide 1e9 and whose T is a multiple of 10 ns, so T and T/10 are exact.
        return Arbitraries.of(1, 2, 4, 5, 8, 10, 16, 20, 25, 40, 50, 100, 125, 200, 250, 500, 1000, 2000, 5000);
    }
}
