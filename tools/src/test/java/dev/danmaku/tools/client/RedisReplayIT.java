package dev.danmaku.tools.client;

import dev.danmaku.testkit.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.codec.ByteArrayCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RedisReplayIT {
    @Test
    void shouldPrintARoomsPoolInSequenceOrder() throws Exception {
        try (RedisServer redis = RedisServer.start()) {
            RedisClient client = RedisClient.create(redis.uri());
            try (var c = client.connect(ByteArrayCodec.INSTANCE)) {
                byte[] key = "danmaku:{room:7}:bullets".getBytes(StandardCharsets.UTF_8);
                c.sync().rpush(key, value(1, 1, 1000, 42, "alice", "hello", "red"),
                        value(1, 2, 1001, 43, "bob", "弹幕", ""));
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            int n = RedisReplay.print(redis.uri(), 7, new PrintStream(bytes, true, StandardCharsets.UTF_8));
            assertThat(n).isEqualTo(2);
            assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo(
                    "1 1 1000 42 alice: hello [red]\n1 2 1001 43 bob: 弹幕 []\n");
            assertThat(RedisReplay.print(redis.uri(), 8, new PrintStream(new ByteArrayOutputStream()))).isZero();
        }
    }

    private static byte[] value(long epoch, long seq, long ts, long user, String name, String content, String color) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] t = content.getBytes(StandardCharsets.UTF_8);
        byte[] k = color.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(44 + n.length + t.length + k.length);
        b.put((byte) 1).putInt((int) epoch).putLong(seq).putLong(ts + 5).put((byte) 0).putLong(ts).putLong(user);
        b.putShort((short) n.length).put(n).putShort((short) t.length).put(t).putShort((short) k.length).put(k);
        return b.array();
    }
}
