package dev.danmaku.engine.sink;

import dev.danmaku.engine.Node;
import dev.danmaku.engine.config.NodeConfig;
import dev.danmaku.testkit.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Bans shared through Redis: made on one node, in force on another within a second; removed likewise. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisBansIT {
    @TempDir
    Path dir;

    @Test
    void aBanMadeOnOneNodeShouldApplyOnEveryNodeWithinASecond() throws Exception {
        try (RedisServer redis = RedisServer.start();
             Node a = Node.start(RedisSinkIT.config(dir.resolve("a"), redis.uri()).build());
             Node b = Node.start(RedisSinkIT.config(dir.resolve("b"), redis.uri())
                     .set(NodeConfig.REDIS_BANS_RELOAD_MS, 60_000L).build())) {
            long t0 = System.nanoTime();
            assertThat(send(a.adminPort(), "POST", "/bans", "{\"user\":\"4242\"}")).isEqualTo(200);
            await().atMost(1, TimeUnit.SECONDS).pollInterval(10, TimeUnit.MILLISECONDS)
                    .until(() -> b.redis().bans() != null && bansOf(b).contains("4242"));
            System.out.printf("RedisBansIT: ban in force on the other node after %d ms%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            assertThat(send(a.adminPort(), "POST", "/bans", "{\"ip\":\"10.1.2.3\",\"durationMs\":60000}")).isEqualTo(200);
            await().atMost(1, TimeUnit.SECONDS).until(() -> bansOf(b).contains("10.1.2.3"));

            assertThat(send(b.adminPort(), "DELETE", "/bans?user=4242", null)).isEqualTo(200);
            await().atMost(1, TimeUnit.SECONDS).until(() -> !bansOf(a).contains("4242"));

            // Written straight into Redis without a message: the periodic reload (500 ms on a) picks it up.
            try (RedisTesting.Reader reader = new RedisTesting.Reader(redis.uri())) {
                reader.s().hset(RedisKeys.BANNED_USERS, "777", "-1").get(5, TimeUnit.SECONDS);
            }
            await().atMost(3, TimeUnit.SECONDS).until(() -> bansOf(a).contains("777"));

            // Redis down: changes are refused (503) rather than applied to one node only.
            redis.stop();
            assertThat(send(a.adminPort(), "POST", "/bans", "{\"user\":\"9999\"}")).isEqualTo(503);
            assertThat(bansOf(a)).doesNotContain("9999").contains("777");
        }
    }

    private static String bansOf(Node n) throws Exception {
        return RedisSinkIT.get(n.adminPort(), "/bans");
    }

    private static int send(int port, String method, String path, String body) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        r.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HttpClient.newHttpClient().send(r.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }
}
