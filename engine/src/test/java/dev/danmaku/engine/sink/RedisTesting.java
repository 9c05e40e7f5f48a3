package dev.danmaku.engine.sink;

import dev.danmaku.router.store.RedisEndpoint;
import dev.danmaku.codec.AckDecoder;
import dev.danmaku.codec.FrameDecoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.Protocol;
import dev.danmaku.engine.it.WsTestClient;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.StringCodec;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** Helpers for the Redis ITs: reading what the sink wrote, and senders that record their ACKs. */
final class RedisTesting {
    private RedisTesting() {
    }

    /** One pool entry, decoded. */
    record Entry(long epoch, long seq, long user, long timestamp, String content) {
    }

    /** A bullet as acknowledged to its sender. */
    record Ack(long room, long epoch, long seq, long user, long timestamp) {
    }

    /** Reads a Redis deployment (standalone or cluster) through the node's own endpoint class. */
    static final class Reader implements AutoCloseable {
        final RedisEndpoint endpoint;
        final StatefulConnection<byte[], byte[]> bytes;
        final StatefulConnection<String, String> strings;

        Reader(String uri) {
            endpoint = RedisEndpoint.of(uri, 5_000);
            bytes = endpoint.connect(ByteArrayCodec.INSTANCE);
            strings = endpoint.connect(StringCodec.UTF8);
        }

        RedisClusterAsyncCommands<String, String> s() {
            return RedisEndpoint.async(strings);
        }

        List<Entry> pool(long room) throws Exception {
            List<byte[]> values = RedisEndpoint.async(bytes)
                    .lrange(RedisKeys.pool(room).getBytes(), 0, -1).get(10, TimeUnit.SECONDS);
            List<Entry> out = new ArrayList<>();
            for (byte[] v : values) {
                out.add(decode(v));
            }
            return out;
        }

        Map<Long, Long> zset(String key) throws Exception {
            Map<Long, Long> m = new HashMap<>();
            for (ScoredValue<String> sv : s().zrangeWithScores(key, 0, -1).get(10, TimeUnit.SECONDS)) {
                m.put(Long.parseUnsignedLong(sv.getValue()), (long) sv.getScore());
            }
            return m;
        }

        void flushAll() throws Exception {
            if (endpoint.isCluster()) {
                ((io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands<String, String>) s())
                        .flushall().get(10, TimeUnit.SECONDS);
            } else {
                s().flushall().get(10, TimeUnit.SECONDS);
            }
        }

        @Override
        public void close() {
            bytes.close();
            strings.close();
            endpoint.close();
        }
    }

    static Entry decode(byte[] v) {
        ByteBuffer b = ByteBuffer.wrap(v);
        if (b.get(0) != RedisKeys.VALUE_FORMAT) {
            throw new AssertionError("unknown value format " + b.get(0));
        }
        long epoch = b.getInt(1) & 0xFFFF_FFFFL;
        long seq = b.getLong(5);
        long ts = b.getLong(22);
        long user = b.getLong(30);
        int p = 38;
        int n = b.getShort(p) & 0xFFFF;
        p += 2 + n;
        int c = b.getShort(p) & 0xFFFF;
        String content = new String(v, p + 2, c, java.nio.charset.StandardCharsets.UTF_8);
        return new Entry(epoch, seq, user, ts, content);
    }

    /**
     * Sends bullets as {@code user} into {@code room} one at a time (next after the ACK), pausing
     * {@code pauseMs}, until stopped; records every ACK. Reconnects when the connection drops
     * (a killed node), so it survives a node restart on the same port.
     */
    static final class Sender extends Thread {
        final List<Ack> acks = new CopyOnWriteArrayList<>();
        final List<String> errors = new CopyOnWriteArrayList<>();
        private final int port;
        private final long room;
        private final long user;
        private final long pauseMs;
        private volatile boolean running = true;

        Sender(int port, long room, long user, long pauseMs) {
            super("sender-" + user);
            this.port = port;
            this.room = room;
            this.user = user;
            this.pauseMs = pauseMs;
            setDaemon(true);
        }

        /** Letters only: a run of seven digits in a bullet would trip the link rule (a phone/QQ number). */
        private final String runId = Long.toString(System.nanoTime()).chars().mapToObj(c -> String.valueOf((char) ('a' + c - '0'))).collect(java.util.stream.Collectors.joining());

        @Override
        public void run() {
            FrameDecoder d = FrameDecoder.forClient();
            int i = 0;
            while (running) {
                try (WsTestClient c = WsTestClient.connect(port)) {
                    while (running) {
                        // The run id keeps contents distinct from an earlier sender's (a restarted node remembers 5 s of them).
                        long ts = c.bullet(room, user, "u" + user, "bullet " + (i++) + " of " + user + " run " + runId,
                                "white");
                        while (true) {
                            byte[] f = c.poll(5_000);
                            if (f == null) {
                                throw new IllegalStateException("no reply in 5 s");
                            }
                            if (d.decode(new UnsafeBuffer(f), 0, f.length) != Protocol.OK) {
                                continue;
                            }
                            if (d.type() == FrameType.ACK) {
                                AckDecoder a = d.ack();
                                if (a.timestamp() == ts) {
                                    acks.add(new Ack(room, a.epoch(), a.sequence(), user, ts));
                                    break;
                                }
                            } else if (d.type() == FrameType.ERROR) {
                                errors.add("code " + d.error().code());
                                break;
                            }
                        }
                        if (pauseMs > 0) {
                            Thread.sleep(pauseMs);
                        }
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    try {
                        Thread.sleep(100); // node down: try again
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }

        void finish() throws InterruptedException {
            running = false;
            join(10_000);
        }
    }
}
