package dev.danmaku.engine.sink;

import dev.danmaku.codec.AckDecoder;
import dev.danmaku.codec.FrameDecoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.Protocol;
import dev.danmaku.engine.config.NodeConfig;
import dev.danmaku.engine.it.TestNode;
import dev.danmaku.engine.it.WsTestClient;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Helpers of the Kafka sink tests: a node config with the sink on, steady senders, the downstream oracle. */
final class KafkaTesting {
    private KafkaTesting() {
    }

    /** TestNode's config with the Kafka sink on and rate limits out of the way. */
    static NodeConfig.Builder config(Path dataDir, String bootstrap, String topic) {
        return TestNode.config(dataDir)
                .set(NodeConfig.USER_RATE, 100_000).set(NodeConfig.USER_BURST, 100_000)
                .set(NodeConfig.IP_RATE, 1_000_000).set(NodeConfig.IP_BURST, 1_000_000)
                .set(NodeConfig.KAFKA_BOOTSTRAP, bootstrap)
                .set(NodeConfig.KAFKA_TOPIC, topic)
                .set(NodeConfig.KAFKA_PARTITIONS, 4)
                .set(NodeConfig.KAFKA_TIMEOUT_MS, 5_000L);
    }

    static void createRooms(int wsPort, long... rooms) throws Exception {
        FrameDecoder d = FrameDecoder.forClient();
        try (WsTestClient admin = WsTestClient.connect(wsPort)) {
            for (long room : rooms) {
                admin.roomRequest(FrameType.CREATE_ROOM, room, 1);
                admin.await(FrameType.ROOM_INFO, d, 5000);
            }
        }
    }

    /**
     * One sender per room, each sending a bullet and waiting for its ACK, pausing {@code pauseMs}
     * between bullets. Records acknowledged sequences; stops on {@link #stop()} or when the
     * connection fails (a killed node).
     */
    static final class Senders implements AutoCloseable {
        final Map<Long, Set<Long>> acked = new ConcurrentHashMap<>();
        final AtomicLong sent = new AtomicLong();
        final List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        private final List<Thread> threads = new ArrayList<>();
        private volatile boolean running = true;
        /** Distinguishes this sender set's contents from an earlier one's (a restarted node remembers 5 s of them). */
        /** Letters only: a run of seven digits in a bullet would trip the link rule (a phone/QQ number). */
        private final String runId = Long.toString(System.nanoTime()).chars().mapToObj(c -> String.valueOf((char) ('a' + c - '0'))).collect(java.util.stream.Collectors.joining());

        Senders(int wsPort, long pauseMs, long... rooms) {
            for (long room : rooms) {
                acked.put(room, ConcurrentHashMap.newKeySet());
                Thread t = new Thread(() -> run(wsPort, room, pauseMs), "sender-" + room);
                t.setDaemon(true);
                threads.add(t);
            }
            threads.forEach(Thread::start);
        }

        private void run(int port, long room, long pauseMs) {
            FrameDecoder d = FrameDecoder.forClient();
            long user = 1000 + room;
            try (WsTestClient c = WsTestClient.connect(port)) {
                int i = 0;
                while (running) {
                    c.bullet(room, user, "u" + user, "bullet " + i++ + " in " + room + " run " + runId, "white");
                    sent.incrementAndGet();
                    byte[] f = c.poll(30_000); // generous: a 2-core box shared with a broker JVM (re)starting
                    if (f == null) {
                        throw new AssertionError("no ACK within 30 s in room " + room);
                    }
                    assertThat(d.decode(new UnsafeBuffer(f), 0, f.length)).isEqualTo(Protocol.OK);
                    assertThat(d.type()).as("reply in room %d", room).isEqualTo(FrameType.ACK);
                    AckDecoder a = d.ack();
                    acked.get(room).add(a.sequence());
                    if (pauseMs > 0) {
                        Thread.sleep(pauseMs);
                    }
                }
            } catch (Throwable e) {
                if (running) {
                    failures.add(e);
                }
            }
        }

        /** Stops sending; waits for the senders to finish their last bullet. */
        void stop() throws InterruptedException {
            running = false;
            for (Thread t : threads) {
                t.join(15_000);
            }
        }

        long ackedCount() {
            return acked.values().stream().mapToLong(Set::size).sum();
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }
    }

    /** room -> (epoch, seq) of its records in partition order; asserts every record is well formed. */
    static Map<Long, List<long[]>> byRoom(List<ConsumerRecord<byte[], byte[]>> records, String node) {
        Map<Long, List<long[]>> out = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            long room = ByteBuffer.wrap(r.key()).getLong();
            assertThat(KafkaRecordFormat.fromNode(r.headers(), node.getBytes())).isTrue();
            assertThat(r.partition()).isEqualTo(KafkaRecordFormat.partition(room, 4));
            long seq = KafkaRecordFormat.longHeader(r.headers(), KafkaRecordFormat.SEQ, -1);
            out.computeIfAbsent(room, k -> new ArrayList<>()).add(new long[] {KafkaRecordFormat.epoch(r.headers()), seq});
        }
        return out;
    }

    /**
     * The downstream oracle: in Kafka, each room's sequences within its epoch are 1, 2, ..., N in
     * partition order (so: none missing, none twice, in order), and every acknowledged one is there.
     *
     * @return room -> N
     */
    static Map<Long, Long> assertExactlyOnceInOrder(List<ConsumerRecord<byte[], byte[]>> records, String node,
                                                    Map<Long, Set<Long>> acked) {
        Map<Long, List<long[]>> rooms = byRoom(records, node);
        Map<Long, Long> counts = new HashMap<>();
        for (Map.Entry<Long, Set<Long>> e : acked.entrySet()) {
            List<long[]> got = rooms.getOrDefault(e.getKey(), List.of());
            List<Long> seqs = new ArrayList<>();
            long epoch = got.isEmpty() ? -1 : got.get(0)[0];
            for (long[] es : got) {
                assertThat(es[0]).as("one epoch in room %d", e.getKey()).isEqualTo(epoch);
                seqs.add(es[1]);
            }
            List<Long> expected = new ArrayList<>();
            for (long s = 1; s <= seqs.size(); s++) {
                expected.add(s);
            }
            if (!seqs.equals(expected)) {
                java.util.TreeMap<Long, Integer> seen = new java.util.TreeMap<>();
                List<String> outOfOrder = new ArrayList<>();
                for (int i = 0; i < seqs.size(); i++) {
                    seen.merge(seqs.get(i), 1, Integer::sum);
                    if (i > 0 && seqs.get(i) != seqs.get(i - 1) + 1 && outOfOrder.size() < 10) {
                        outOfOrder.add("[" + i + "] " + seqs.get(i - 1) + " -> " + seqs.get(i));
                    }
                }
                List<Long> dups = seen.entrySet().stream().filter(x -> x.getValue() > 1).map(Map.Entry::getKey).limit(10).toList();
                List<Long> missing = new ArrayList<>();
                long max = seen.isEmpty() ? 0 : seen.lastKey();
                for (long s = 1; s <= max && missing.size() < 10; s++) {
                    if (!seen.containsKey(s)) {
                        missing.add(s);
                    }
                }
                throw new AssertionError("room " + e.getKey() + " in Kafka is not 1..N once each in order: "
                        + seqs.size() + " records, max seq " + max + ", duplicates " + dups + ", missing " + missing
                        + ", breaks " + outOfOrder);
            }
            assertThat(seqs).as("room %d: every acknowledged bullet is in Kafka", e.getKey()).containsAll(e.getValue());
            counts.put(e.getKey(), (long) seqs.size());
        }
        return counts;
    }

    /** JVM flags for a child JVM running a node: this JVM's module flags. */
    static List<String> childJvmFlags() {
        List<String> flags = new ArrayList<>();
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-") || arg.startsWith("--enable-native-access") || arg.startsWith("--sun-misc")
                    || arg.startsWith("-XX:+IgnoreUnrecognizedVMOptions") || arg.startsWith("-Dchronicle.")) {
                flags.add(arg);
            }
        }
        return flags;
    }

    /** Polls until {@code check} is true or {@code timeoutMs} passes. */
    static boolean await(long timeoutMs, java.util.function.BooleanSupplier check) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (!check.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }
}
