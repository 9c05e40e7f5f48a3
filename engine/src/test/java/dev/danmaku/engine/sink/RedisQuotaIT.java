package dev.danmaku.engine.sink;

import dev.danmaku.router.store.RedisEndpoint;
import dev.danmaku.testkit.RedisServer;
import org.agrona.concurrent.SystemEpochClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The cross-node quota: counts from two guards (two nodes) add up in Redis; only the user over it is reported. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisQuotaIT {
    @Test
    void aUserOverTheQuotaAcrossTwoNodesShouldBeReportedOnBoth() throws Exception {
        try (RedisServer redis = RedisServer.start();
             RedisEndpoint e1 = RedisEndpoint.of(redis.uri(), 2_000);
             RedisEndpoint e2 = RedisEndpoint.of(redis.uri(), 2_000);
             RedisQuotaGuard g1 = new RedisQuotaGuard(e1, 10, 5_000, 1024, SystemEpochClock.INSTANCE).start();
             RedisQuotaGuard g2 = new RedisQuotaGuard(e2, 10, 5_000, 1024, SystemEpochClock.INSTANCE).start()) {
            for (int i = 0; i < 6; i++) {
                assertThat(g1.submit(42)).isTrue();
                assertThat(g2.submit(42)).isTrue(); // 12 in all: over 10
                if (i < 4) {
                    assertThat(g1.submit(43)).isTrue(); // 4: under
                }
            }
            Map<Long, Long> over1 = new HashMap<>();
            Map<Long, Long> over2 = new HashMap<>();
            long now = System.currentTimeMillis();
            await().atMost(5, TimeUnit.SECONDS).until(() -> {
                g1.poll(over1::put, 100);
                g2.poll(over2::put, 100);
                return over1.containsKey(42L) || over2.containsKey(42L);
            });
            Thread.sleep(300);
            g1.poll(over1::put, 100);
            g2.poll(over2::put, 100);
            Map<Long, Long> all = new HashMap<>(over1);
            all.putAll(over2);
            assertThat(all).containsOnlyKeys(42L);
            assertThat(all.get(42L)).isGreaterThan(now).isLessThanOrEqualTo(now + 5_000 + 1_000);
            assertThat(g1.errors.get() + g2.errors.get()).isZero();

            // Full queue: submit never blocks; the excess is counted as skipped.
            redis.stop();
            int accepted = 0;
            for (int i = 0; i < 5_000; i++) {
                accepted += g1.submit(1_000 + i) ? 1 : 0;
            }
            assertThat(g1.skipped.get()).isEqualTo(5_000 - accepted);
        }
    }
}
