package dev.danmaku.tools.client;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.codec.ByteArrayCodec;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code danmaku client replay --from redis --room N}: prints a room's recent-bullet pool from Redis
 * (key {@code danmaku:{room:N}:bullets}, written by the node's Redis sink) in sequence order, one
 * line per bullet: {@code EPOCH SEQ TIMESTAMP_MS USER NAME: CONTENT [COLOUR]}.
 *
 * <p>Pool value layout (the engine's {@code RedisKeys}), big-endian: format u8 = 1, epoch u32,
 * sequence u64, accept time i64, user level u8, then the codec batch entry: timestamp i64, user
 * id u64, name / content / colour each u16 length + UTF-8.
 */
public final class RedisReplay {
    private RedisReplay() {
    }

    /**
     * Prints the pool of {@code room} to {@code out}.
     *
     * @param uri  {@code redis://HOST:PORT} or {@code redis-cluster://HOST:PORT[,HOST:PORT...]}
     * @return bullets printed
     * @throws IllegalArgumentException for a malformed URI; Lettuce exceptions if Redis is unreachable
     */
    public static int print(String uri, long room, PrintStream out) {
        List<byte[]> values = read(uri, ("danmaku:{room:" + Long.toUnsignedString(room) + "}:bullets")
                .getBytes(StandardCharsets.UTF_8));
        for (byte[] v : values) {
            out.println(format(v));
        }
        return values.size();
    }

    /** The pool of {@code room} as bullets (for {@code danmaku client replay --from redis}). */
    public static List<ReplayCommand.Replayed> room(String uri, long room) {
        List<ReplayCommand.Replayed> out = new ArrayList<>();
        for (byte[] v : read(uri, ("danmaku:{room:" + Long.toUnsignedString(room) + "}:bullets")
                .getBytes(StandardCharsets.UTF_8))) {
            if (v.length < 44 || v[0] != 1) {
                throw new IllegalArgumentException("a pool value of an unknown format (" + v.length + " bytes)");
            }
            ByteBuffer b = ByteBuffer.wrap(v);
            String[] s = new String[3];
            int p = 38;
            for (int i = 0; i < 3; i++) {
                int n = b.getShort(p) & 0xFFFF;
                s[i] = new String(v, p + 2, Math.min(n, v.length - p - 2), StandardCharsets.UTF_8);
                p += 2 + n;
            }
            out.add(new ReplayCommand.Replayed(room, b.getInt(1) & 0xFFFF_FFFFL, b.getLong(5), b.getLong(22),
                    b.getLong(30), s[0], s[1], s[2], b.getLong(13)));
        }
        return out;
    }

    private static List<byte[]> read(String uri, byte[] key) {
        Duration timeout = Duration.ofSeconds(5);
        if (uri.startsWith("redis-cluster://")) {
            List<RedisURI> seeds = new ArrayList<>();
            for (String hp : uri.substring("redis-cluster://".length()).split(",")) {
                int colon = hp.lastIndexOf(':');
                if (colon <= 0) {
                    throw new IllegalArgumentException("expected HOST:PORT, got '" + hp + "'");
                }
                seeds.add(RedisURI.builder().withHost(hp.substring(0, colon).trim())
                        .withPort(Integer.parseInt(hp.substring(colon + 1).trim())).withTimeout(timeout).build());
            }
            RedisClusterClient client = RedisClusterClient.create(seeds);
            try (var c = client.connect(ByteArrayCodec.INSTANCE)) {
                return c.sync().lrange(key, 0, -1);
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        }
        if (!uri.startsWith("redis://")) {
            throw new IllegalArgumentException("expected redis://HOST:PORT or redis-cluster://HOST:PORT[,HOST:PORT], got '"
                    + uri + "'");
        }
        RedisURI r = RedisURI.create(uri);
        r.setTimeout(timeout);
        RedisClient client = RedisClient.create(r);
        try (var c = client.connect(ByteArrayCodec.INSTANCE)) {
            return c.sync().lrange(key, 0, -1);
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    /** One pool value as a line; a value of an unknown format is printed as such, not thrown. */
    static String format(byte[] v) {
        ByteBuffer b = ByteBuffer.wrap(v);
        if (v.length < 44 || v[0] != 1) {
            return "? unknown value format (" + v.length + " bytes)";
        }
        long epoch = b.getInt(1) & 0xFFFF_FFFFL;
        long seq = b.getLong(5);
        long ts = b.getLong(22);
        long user = b.getLong(30);
        int p = 38;
        String[] s = new String[3];
        for (int i = 0; i < 3; i++) {
            int n = b.getShort(p) & 0xFFFF;
            s[i] = new String(v, p + 2, Math.min(n, v.length - p - 2), StandardCharsets.UTF_8);
            p += 2 + n;
        }
        return epoch + " " + Long.toUnsignedString(seq) + " " + ts + " " + Long.toUnsignedString(user) + " " + s[0]
                + ": " + s[1] + " [" + s[2] + "]";
    }
}
