package dev.danmaku.tools.client;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Bullet timestamps are idempotency keys: strictly increasing, max(now, last + 1). */
class ClientTimestampsTest {
    @Test
    void shouldUseTheClockWhenItMovesForward() {
        AtomicLong now = new AtomicLong(1_700_000_000_000L);
        BulletTimestamps t = new BulletTimestamps(now::get);
        assertThat(t.next()).isEqualTo(1_700_000_000_000L);
        now.addAndGet(5);
        assertThat(t.next()).isEqualTo(1_700_000_000_005L);
    }

    @Test
    void shouldBumpByOneMillisecondWithinTheSameMillisecond() {
        BulletTimestamps t = new BulletTimestamps(() -> 1000);
        assertThat(List.of(t.next(), t.next(), t.next())).containsExactly(1000L, 1001L, 1002L);
    }

    @Test
    void shouldStayStrictlyIncreasingWhenTheClockStepsBack() {
        AtomicLong now = new AtomicLong(5000);
        BulletTimestamps t = new BulletTimestamps(now::get);
        long a = t.next();
        now.set(1000);
        long b = t.next();
        assertThat(b).isEqualTo(a + 1);
        now.set(9000);
        assertThat(t.next()).isEqualTo(9000);
    }

    @Test
    void shouldNeverGoNegative() {
        BulletTimestamps t = new BulletTimestamps(() -> -50);
        assertThat(t.next()).isZero();
        assertThat(t.next()).isEqualTo(1);
    }

    @Test
    @Timeout(10)
    void shouldGiveDistinctKeysToConcurrentCallers() throws InterruptedException {
        BulletTimestamps t = new BulletTimestamps(() -> 42);
        Set<Long> keys = ConcurrentHashMap.newKeySet();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Thread th = new Thread(() -> {
                for (int j = 0; j < 10_000; j++) {
                    keys.add(t.next());
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        assertThat(keys).hasSize(40_000);
        assertThat(new HashSet<>(keys)).contains(42L, 42L + 39_999);
    }
}
