package dev.danmaku.tools.client;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

import static org.assertj.core.api.Assertions.assertThat;

/** The reconnect schedule: 3 tries of about 200, 400, 800 ms, jittered by +-20 %. */
class ClientBackoffTest {
    private static final long SEED = 20240601L;

    @Test
    void shouldDefaultToThreeDoublingDelaysFrom200Ms() {
        Backoff b = ClientConfig.defaults().withRandom(new SplittableRandom(SEED)).backoff();
        assertThat(b.tries()).isEqualTo(3);
        assertThat(b.nominalDelayMs(0)).isEqualTo(200);
        assertThat(b.nominalDelayMs(1)).isEqualTo(400);
        assertThat(b.nominalDelayMs(2)).isEqualTo(800);
        assertThat(b.allows(2)).isTrue();
        assertThat(b.allows(3)).isFalse();
    }

    @Test
    void shouldKeepEveryJitteredDelayWithinTwentyPercentOfItsNominalValue() {
        Backoff b = new Backoff(200, 3, 0.2, new SplittableRandom(SEED));
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (int i = 0; i < 10_000; i++) {
            long d = b.delayMs(1);
            assertThat(d).as("seed %d", SEED).isBetween(320L, 480L);
            min = Math.min(min, d);
            max = Math.max(max, d);
        }
        assertThat(max - min).as("jitter spreads the delays").isGreaterThan(100);
    }

    @Test
    void shouldBeExactWithoutJitter() {
        RandomGenerator any = new SplittableRandom(SEED);
        Backoff b = new Backoff(200, 3, 0, any);
        assertThat(new long[] {b.delayMs(0), b.delayMs(1), b.delayMs(2)}).containsExactly(200, 400, 800);
    }

    @Test
    void shouldBeReproducibleForAGivenSeed() {
        Backoff a = new Backoff(200, 3, 0.2, new SplittableRandom(SEED));
        Backoff b = new Backoff(200, 3, 0.2, new SplittableRandom(SEED));
        for (int i = 0; i < 3; i++) {
            assertThat(a.delayMs(i)).isEqualTo(b.delayMs(i));
        }
    }

    @Test
    void shouldNotOverflowForLargeAttemptNumbers() {
        Backoff b = new Backoff(200, 100, 0, new SplittableRandom(SEED));
        assertThat(b.nominalDelayMs(63)).isEqualTo(200L << 20);
    }
}
