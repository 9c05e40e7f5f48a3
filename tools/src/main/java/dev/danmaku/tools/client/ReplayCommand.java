package dev.danmaku.tools.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.danmaku.codec.BulletDecoder;
import dev.danmaku.codec.Protocol;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Utils;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * {@code danmaku client replay --from kafka|redis|journal --room N}: prints a room's bullets as a
 * downstream store holds them, in sequence order (epoch, then sequence), one line each (or JSON
 * with {@code --json}). Duplicates, if a store had any, are printed, not hidden.
 *
 * <p>Sources: {@code kafka} reads the room's partition of the sink's topic (read_committed; record
 * format in docs/kafka.md). {@code journal} is read by the engine: {@code danmaku node replay
 * --data-dir DIR --room N} (tools do not depend on the engine). To add a source, add an enum
 * constant and a {@link Source} implementation in {@link #source}.
 *
 * <p>Exit codes: 0 ok, 1 the store could not be read, 2 usage error.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Print a room's bullets from Kafka (or Redis, or a node's journal) in sequence order.")
public final class ReplayCommand implements Callable<Integer> {
    /** Where to read from. */
    public enum From { kafka, redis, journal }

    /** One bullet as a store holds it. */
    public record Replayed(long room, long epoch, long seq, long timestamp, long user, String name, String content,
                           String color, long acceptMs) {
    }

    /** A downstream store that can list one room's bullets. */
    interface Source {
        List<Replayed> room(long room) throws Exception;
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--from", required = true, paramLabel = "kafka|redis|journal", description = "the store to read")
    From from;

    @Option(names = "--room", required = true, paramLabel = "N", description = "room id")
    String room;

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT[,HOST:PORT]", defaultValue = "127.0.0.1:9092",
            description = "Kafka bootstrap servers (--from kafka; default ${DEFAULT-VALUE})")
    String bootstrap;

    @Option(names = "--redis", paramLabel = "URI", defaultValue = "redis://127.0.0.1:6379",
            description = "with --from redis: redis://HOST:PORT or redis-cluster://HOST:PORT[,HOST:PORT] (default ${DEFAULT-VALUE})")
    String redisUri;

    @Option(names = "--topic", defaultValue = "danmaku.bullets",
            description = "Kafka topic (--from kafka; default ${DEFAULT-VALUE})")
    String topic;

    @Option(names = "--timeout-ms", defaultValue = "15000", description = "give up reading after this long")
    long timeoutMs;

    @Option(names = "--json", description = "one JSON object per line")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long roomId;
        try {
            roomId = Long.parseUnsignedLong(room);
        } catch (NumberFormatException e) {
            err.println("error: --room: not a room id: " + room);
            return 2;
        }
        Source source = source(err);
        if (source == null) {
            return 2;
        }
        List<Replayed> bullets;
        try {
            bullets = new ArrayList<>(source.room(roomId));
        } catch (ReplayException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
        bullets.sort(Comparator.comparingLong(Replayed::epoch).thenComparingLong(Replayed::seq));
        for (Replayed b : bullets) {
            out.println(json ? json(b) : line(b));
        }
        out.flush();
        return 0;
    }

    private Source source(PrintWriter err) {
        switch (from) {
            case kafka:
                return this::fromKafka;
            case journal:
                err.println("error: the journal is read by the engine: bin/danmaku node replay --data-dir DIR --room " + room);
                return null;
            case redis:
                return r -> {
                    try {
                        return RedisReplay.room(redisUri, r);
                    } catch (IllegalArgumentException e) {
                        throw new ReplayException("redis: " + e.getMessage());
                    } catch (RuntimeException e) {
                        throw new ReplayException("redis at " + redisUri + ": " + e.getMessage());
                    }
                };
            default:
                err.println("error: --from " + from + " is not available in this build");
                return null;
        }
    }

    /** {@code e EPOCH #SEQ USER/NAME: CONTENT} (the same line as {@code danmaku node replay}). */
    public static String line(Replayed b) {
        return "e" + b.epoch() + " #" + b.seq() + " " + Long.toUnsignedString(b.user())
                + (b.name().isEmpty() ? "" : "/" + TerminalColor.sanitize(b.name())) + ": "
                + TerminalColor.sanitize(b.content());
    }

    static String json(Replayed b) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("room", new BigInteger(Long.toUnsignedString(b.room())));
        o.put("epoch", b.epoch());
        o.put("seq", b.seq());
        o.put("timestamp", b.timestamp());
        o.put("user", new BigInteger(Long.toUnsignedString(b.user())));
        o.put("name", b.name());
        o.put("color", b.color());
        o.put("text", b.content());
        o.put("acceptMs", b.acceptMs());
        return o.toString();
    }

    // ---- --from kafka ----

    /** The room's partition (Kafka's default partitioner on the 8-byte key), read to its end. */
    private List<Replayed> fromKafka(long roomId) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "danmaku-replay");
        Duration timeout = Duration.ofMillis(timeoutMs);
        byte[] key = ByteBuffer.allocate(8).putLong(roomId).array();
        List<Replayed> out = new ArrayList<>();
        BulletDecoder decoder = new BulletDecoder();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> parts;
            try {
                parts = c.partitionsFor(topic, timeout);
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                throw new ReplayException("no answer from Kafka at " + bootstrap + " within " + timeoutMs + " ms");
            }
            if (parts == null || parts.isEmpty()) {
                throw new ReplayException("topic " + topic + " not found at " + bootstrap);
            }
            TopicPartition tp = new TopicPartition(topic, Utils.toPositive(Utils.murmur2(key)) % parts.size());
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp), timeout).get(tp);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (c.position(tp, timeout) < end) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.offset() >= end || r.key() == null || !java.util.Arrays.equals(r.key(), key)) {
                        continue;
                    }
                    if (decoder.wrap(new UnsafeBuffer(r.value()), 0, r.value().length) != Protocol.OK) {
                        throw new ReplayException("record at " + tp + "@" + r.offset() + " is not a BULLET frame");
                    }
                    out.add(new Replayed(roomId, u32(r, "danmaku.epoch"), u64(r, "danmaku.seq"), decoder.timestamp(),
                            decoder.userId(), decoder.name(), decoder.content(), decoder.color(),
                            u64(r, "danmaku.accept-ms")));
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new ReplayException("reading " + tp + " to offset " + end + " took longer than " + timeoutMs + " ms");
                }
            }
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new ReplayException("kafka: " + e.getMessage());
        }
        return out;
    }

    private static long u64(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value().length != 8 ? -1 : ByteBuffer.wrap(h.value()).getLong();
    }

    private static long u32(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value().length != 4 ? -1 : ByteBuffer.wrap(h.value()).getInt() & 0xFFFF_FFFFL;
    }

    /** A store could not be read; the message is the one line the user sees. */
    static final class ReplayException extends RuntimeException {
        ReplayException(String message) {
            super(message);
        }
    }
}
