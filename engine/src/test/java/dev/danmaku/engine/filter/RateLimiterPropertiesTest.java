package dev.danmaku.engine.filter;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * GCRA bounds from the {@link RateLimiter} Javadoc, with a fake clock (explicit nanosecond times).
 * Each property runs a fixed number of trials; trial {@code i} draws everything (parameters and
 * arrival times) from the {@code i}-th split of a {@link SplittableRandom} seeded with
 * {@link #BASE_SEED}. Every assertion names the seed and trial, so a failure replays exactly with
 * {@code -Ddanmaku.seed=<seed>}.
 */
class RateLimiterPropertiesTest {
    private static final long BASE_SEED = Long.getLong("danmaku.seed", 0x6A7E_1D31_7E25_CA1EL);

    /** Rates that divide 1e9 and whose T is a multiple of 10 ns, so T and T/10 are exact. */
    private static final List<Integer> EXACT_RATES =
        List.of(1, 2, 4, 5, 8, 10, 16, 20, 25, 40, 50, 100, 125, 200, 250, 500, 1000, 2000, 5000);

    @Test
    void aSenderAtTenTimesTheRateIsAcceptedExactlyBurstPlusElapsedTimesRate() {
        final SplittableRandom root = new SplittableRandom(BASE_SEED);
        for (int trial = 0; trial < 300; trial++) {
            final SplittableRandom random = root.split();
            final int rate = Gen.oneOf(random, EXACT_RATES);
            final int burst = Gen.intBetween(random, 2, 20);
            final int requests = Gen.intBetween(random, 1, 3000);
            final long startNs = Gen.longBetween(random, Long.MIN_VALUE / 4, Long.MAX_VALUE / 4);

            final RateLimiter limiter = RateLimiter.perSecond(rate, burst, 4);
            final long t = limiter.emissionIntervalNs();
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
            assertThat(accepted)
                .as("seed=%d trial=%d rate=%d burst=%d n=%d start=%dns elapsed=%dns",
                    BASE_SEED, trial, rate, burst, requests, startNs, elapsedNs)
                .isEqualTo(Math.min(requests, bound));
        }
    }

    @Test
    void noWindowEverAdmitsMoreThanBurstPlusFloorOfWindowOverInterval() {
        final SplittableRandom root = new SplittableRandom(BASE_SEED);
        for (int trial = 0; trial < 200; trial++) {
            final SplittableRandom random = root.split();
            final int rate = Gen.intBetween(random, 1, 1000);
            final int burst = Gen.intBetween(random, 1, 10);
            final int requests = Gen.intBetween(random, 1, 600);
            final int gapInTenthsOfInterval = Gen.intBetween(random, 0, 30);

            final RateLimiter limiter = RateLimiter.perSecond(rate, burst, 4);
            final long t = limiter.emissionIntervalNs();
            final long[] acceptedAt = new long[requests];
            int accepted = 0;
            long now = 1_000_000L * random.nextInt(1000);
            for (int i = 0; i < requests; i++) {
                now += (long)(random.nextDouble() * (t * gapInTenthsOfInterval / 10 + 1)); // bursts and idle gaps
                final long result = limiter.tryAcquire(7, now);
                assertThat(result)
                    .as("seed=%d trial=%d rate=%d burst=%d request=%d at %dns", BASE_SEED, trial, rate, burst, i, now)
                    .isGreaterThanOrEqualTo(0);
                if (result == RateLimiter.ACCEPTED) {
                    acceptedAt[accepted++] = now;
                }
            }
            assertThat(accepted)
                .as("seed=%d trial=%d rate=%d burst=%d n=%d", BASE_SEED, trial, rate, burst, requests)
                .isPositive();
            for (int i = 0; i < accepted; i++) {
                for (int j = i; j < accepted; j++) {
                    final long window = acceptedAt[j] - acceptedAt[i];
                    assertThat(j - i + 1L)
                        .as("seed=%d trial=%d rate=%d burst=%d accepted in [%d, %d]",
                            BASE_SEED, trial, rate, burst, acceptedAt[i], acceptedAt[j])
                        .isLessThanOrEqualTo(burst + window / t);
                }
            }
        }
    }

    @Test
    void aRejectedRequestRetriedAfterTheReturnedDelayConforms() {
        final SplittableRandom root = new SplittableRandom(BASE_SEED);
        for (int trial = 0; trial < 200; trial++) {
            final SplittableRandom random = root.split();
            final int rate = Gen.intBetween(random, 1, 1000);
            final int burst = Gen.intBetween(random, 1, 10);
            final long offsetNs = Gen.longBetween(random, 0, 1_000_000_000L);

            final RateLimiter limiter = RateLimiter.perSecond(rate, burst, 4);
            long now = 0;
            long result;
            do {
                result = limiter.tryAcquire(1, now);
            } while (result == RateLimiter.ACCEPTED);
            now += Math.min(offsetNs, limiter.emissionIntervalNs() / 2);
            final long retryAfterMs = limiter.tryAcquire(1, now);
            if (retryAfterMs > 0) {
                assertThat(limiter.tryAcquire(1, now + retryAfterMs * 1_000_000L))
                    .as("seed=%d trial=%d rate=%d burst=%d offset=%dns retryAfter=%dms",
                        BASE_SEED, trial, rate, burst, offsetNs, retryAfterMs)
                    .isEqualTo(RateLimiter.ACCEPTED);
            }
        }
    }
}
