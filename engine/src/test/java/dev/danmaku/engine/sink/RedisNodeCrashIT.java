package dev.danmaku.engine.sink;

import dev.danmaku.engine.NodeMain;
import dev.danmaku.engine.it.TestNode;
import dev.danmaku.testkit.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * kill -9 of a node (a child JVM) while a sender streams into it, then a restart on the same data
 * directory: the Redis sink resumes from its saved position and Redis holds every bullet exactly
 * once, in order (bullets re-read from the journal after the restart are skipped by the scripts).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RedisNodeCrashIT {
    @TempDir
    Path dir;

    @Test
    void afterKill9AndRestartTheSinkShouldResumeAndRedisShouldHoldEveryBulletOnce() throws Exception {
        long room = 401;
        try (RedisServer redis = RedisServer.start()) {
            int ws = RedisServer.freePort();
            int admin = RedisServer.freePort();
            Process child = startNode(ws, admin, redis.uri(), "first");
            RedisTesting.Sender sender;
            try {
                awaitListening(ws, child);
                RedisSinkIT.createRooms(ws, room);
                sender = new RedisTesting.Sender(ws, room, 5, 1);
                sender.start();
                await().atMost(20, TimeUnit.SECONDS).until(() -> sender.acks.size() >= 1_500);
            } finally {
                child.destroyForcibly(); // SIGKILL
                child.waitFor(20, TimeUnit.SECONDS);
            }
            assertThat(child.exitValue()).isEqualTo(137);
            int beforeKill = sender.acks.size();
            Path position = dir.resolve("data").resolve("sinks").resolve("redis.position");
            assertThat(position).exists();
            System.out.println("RedisNodeCrashIT: killed after " + beforeKill + " acks; saved position "
                    + Files.readString(position));
            child = startNode(ws, admin, redis.uri(), "second");
            try {
                awaitListening(ws, child);
                await().atMost(30, TimeUnit.SECONDS).until(() -> sender.acks.size() >= beforeKill + 500);
                sender.finish();
                assertThat(sender.errors).isEmpty();
                List<RedisTesting.Ack> acks = new ArrayList<>(sender.acks);
                acks.sort(Comparator.comparingLong(RedisTesting.Ack::epoch).thenComparingLong(RedisTesting.Ack::seq));
                try (RedisTesting.Reader reader = new RedisTesting.Reader(redis.uri())) {
                    // Bullets journaled but never acked (in flight at the kill) are in Redis too: check
                    // exactly once and in order over everything, and that every ack is there.
                    await().atMost(20, TimeUnit.SECONDS).until(() -> {
                        List<RedisTesting.Entry> pool = reader.pool(room);
                        return !pool.isEmpty() && pool.get(pool.size() - 1).seq() >= acks.get(acks.size() - 1).seq();
                    });
                    List<RedisTesting.Entry> pool = reader.pool(room);
                    List<String> keys = pool.stream().map(p -> p.epoch() + ":" + p.seq()).toList();
                    assertThat(keys).as("no duplicates").doesNotHaveDuplicates();
                    for (int i = 1; i < pool.size(); i++) {
                        RedisTesting.Entry p = pool.get(i - 1);
                        RedisTesting.Entry q = pool.get(i);
                        assertThat(q.epoch() > p.epoch() || (q.epoch() == p.epoch() && q.seq() == p.seq() + 1))
                                .as("in order and gapless at %s -> %s", p, q).isTrue();
                    }
                    assertThat(keys).as("every acked bullet")
                            .containsAll(acks.stream().map(a -> a.epoch() + ":" + a.seq()).toList());
                    assertThat(reader.zset(RedisKeys.ranking(room))).isEqualTo(java.util.Map.of(5L, (long) pool.size()));
                }
            } finally {
                child.destroy();
                child.waitFor(20, TimeUnit.SECONDS);
            }
        }
    }

    private void awaitListening(int port, Process child) {
        await().atMost(30, TimeUnit.SECONDS).pollInterval(100, TimeUnit.MILLISECONDS).until(() -> {
            if (!child.isAlive()) {
                throw new AssertionError("node exited: " + Files.readString(dir.resolve("node.err")));
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                return true;
            } catch (java.io.IOException e) {
                return false;
            }
        });
    }

    private Process startNode(int ws, int admin, String redisUri, String run) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-") || arg.startsWith("--enable-native-access") || arg.startsWith("--sun-misc")
                    || arg.startsWith("-XX:+IgnoreUnrecognizedVMOptions") || arg.startsWith("-Dchronicle.")
                    || arg.startsWith("-Dio.lettuce")) {
                cmd.add(arg);
            }
        }
        cmd.addAll(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                NodeMain.class.getName(), "--ws-port", Integer.toString(ws), "--admin-port", Integer.toString(admin),
                "--data-dir", dir.resolve("data").toString(), "--redis", redisUri,
                "--set", "transport.host=127.0.0.1", "--set", "transport.io-threads=1", "--set", "ring.size=4096",
                "--set", "journal.roll-cycle=daily", "--set", "filter.user-rate-per-second=100000",
                "--set", "filter.user-burst=100000", "--set", "filter.ip-rate-per-second=1000000",
                "--set", "filter.ip-burst=1000000", "--set", "filter.dedup-capacity=65536",
                "--set", "filter.rate-limiter-keys=65536", "--set", "redis.timeout-ms=1000",
                "--set", "filter.words-file=" + TestNode.repo().resolve("config/words.txt")));
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("node.err").toFile())).start();
    }
}
