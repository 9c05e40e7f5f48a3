package dev.danmaku.engine.sink;

import dev.danmaku.engine.Node;
import dev.danmaku.engine.config.NodeConfig;
import dev.danmaku.testkit.RedisCluster;
import dev.danmaku.testkit.RedisServer;
import io.lettuce.core.cluster.SlotHash;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Redis sink against a real 3-master, 3-replica Redis Cluster: a room's keys share a slot, and
 * when the master of that slot is killed (kill -9) and its replica promoted, the sink carries on by
 * itself with every acknowledged bullet in the pool exactly once, in order.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RedisClusterIT {
    @TempDir
    Path dir;

    @Test
    void theSinkShouldResumeByItselfWhenAMasterFailsOverAndWriteEveryBulletOnce() throws Exception {
        long room = 301;
        try (RedisCluster cluster = RedisCluster.start(3);
             Node node = Node.start(RedisSinkIT.config(dir, cluster.uri()).build())) {
            RedisSinkIT.createRooms(node.wsPort(), room);
            RedisTesting.Sender sender = new RedisTesting.Sender(node.wsPort(), room, 9, 2);
            sender.start();
            Thread.sleep(3_000);
            int slot = SlotHash.getSlot(RedisKeys.pool(room));
            assertThat(SlotHash.getSlot(RedisKeys.ranking(room))).isEqualTo(slot);
            assertThat(SlotHash.getSlot(RedisKeys.applied(room))).isEqualTo(slot);
            RedisServer master = cluster.masterOf(slot);
            long killedAt = System.nanoTime();
            master.kill();
            RedisServer promoted = cluster.awaitFailover(slot, master, Duration.ofSeconds(30));
            System.out.printf("RedisClusterIT: slot %d failed over from :%d to :%d in %d ms%n", slot, master.port(),
                    promoted.port(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));
            Thread.sleep(3_000);
            sender.finish();
            assertThat(sender.errors).isEmpty();
            SinkMetrics m = node.redis().tailer().metrics();
            await().atMost(30, TimeUnit.SECONDS).until(() -> !m.failing && m.lagDocuments.get() == 0);
            List<RedisTesting.Ack> acks = new ArrayList<>(sender.acks);
            acks.sort(Comparator.comparingLong(RedisTesting.Ack::epoch).thenComparingLong(RedisTesting.Ack::seq));
            // Seeds: live nodes only, so the reader's first topology does not come from the dead one.
            String live = "redis-cluster://" + String.join(",", cluster.servers().stream().filter(RedisServer::isRunning)
                    .map(s -> "127.0.0.1:" + s.port()).toList());
            try (RedisTesting.Reader reader = new RedisTesting.Reader(live)) {
                await().atMost(20, TimeUnit.SECONDS).ignoreExceptions()
                        .until(() -> reader.pool(room).size() >= acks.size());
                await().atMost(10, TimeUnit.SECONDS).ignoreExceptions().until(() -> {
                    reader.zset(RedisKeys.GLOBAL_RANKING);
                    reader.zset(RedisKeys.ranking(room));
                    return true;
                });
                assertThat(reader.pool(room).stream().map(p -> p.epoch() + ":" + p.seq()).toList())
                        .as("every acked bullet once, in order")
                        .isEqualTo(acks.stream().map(a -> a.epoch() + ":" + a.seq()).toList());
                assertThat(reader.zset(RedisKeys.ranking(room))).isEqualTo(java.util.Map.of(9L, (long) acks.size()));
                assertThat(reader.zset(RedisKeys.GLOBAL_RANKING)).isEqualTo(java.util.Map.of(9L, (long) acks.size()));
            }
            System.out.printf("RedisClusterIT: %d bullets, %d sink errors, %d scripts replayed%n", acks.size(),
                    m.errors.get(), node.redis().sink().replayedScripts.get());
        }
    }
}
