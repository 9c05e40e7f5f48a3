package dev.danmaku.engine.sink;

import dev.danmaku.engine.Node;
import dev.danmaku.engine.NodeMain;
import dev.danmaku.engine.config.NodeConfig;
import dev.danmaku.engine.it.TestNode;
import dev.danmaku.testkit.KafkaBroker;
import dev.danmaku.tools.Main;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Kafka sink against a real broker (KRaft, child process, one per class): every accepted bullet
 * is in Kafka exactly once, in order (by room + sequence), across a lost position file and across
 * kill -9 of the node; the replay commands print what Kafka and the journal hold.
 */
@Timeout(120)
class KafkaSinkIT {
    private static final long[] ROOMS = {501, 502, 503};

    @TempDir
    static Path brokerDir;
    static KafkaBroker broker;

    @TempDir
    Path dir;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = KafkaBroker.start(brokerDir);
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void everyAcceptedBulletShouldAppearInKafkaExactlyOnceInOrder() throws Exception {
        String topic = "bullets-once";
        Map<Long, Set<Long>> acked;
        try (Node node = Node.start(KafkaTesting.config(dir, broker.bootstrapServers(), topic)
                .set(NodeConfig.NODE_ID, "once").build())) {
            KafkaTesting.createRooms(node.wsPort(), ROOMS);
            KafkaTesting.Senders senders = new KafkaTesting.Senders(node.wsPort(), 1, ROOMS);
            Thread.sleep(3_000);
            senders.stop();
            assertThat(senders.failures).isEmpty();
            acked = senders.acked;
            assertThat(senders.ackedCount()).isGreaterThan(100);
            assertThat(KafkaTesting.await(30_000, () -> broker.readAll(topic).size() == senders.ackedCount()))
                    .as("Kafka catches up with %d acknowledged bullets (has %d; sink %s)", senders.ackedCount(),
                            broker.readAll(topic).size(), node.kafkaSink().metrics().records).isTrue();
            assertThat(KafkaTesting.await(5_000, () -> node.kafkaSink().lag() == 0 && !node.kafkaSink().degraded()))
                    .as("lag back to 0, sink not degraded").isTrue();
            assertThat(node.metrics().scrape()).contains("danmaku_sink_lag{sink=\"kafka\"} 0")
                    .contains("danmaku_sink_up{sink=\"kafka\"} 1");
        }
        List<ConsumerRecord<byte[], byte[]>> records = broker.readAll(topic);
        Map<Long, Long> counts = KafkaTesting.assertExactlyOnceInOrder(records, "once", acked);
        for (long room : ROOMS) {
            assertThat(counts.get(room)).isEqualTo(acked.get(room).size());
        }

        // The downstream reader and the journal reader print the same lines for a room.
        StringWriter kafkaOut = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(kafkaOut));
        assertThat(cli.execute("client", "replay", "--from", "kafka", "--bootstrap", broker.bootstrapServers(),
                "--topic", topic, "--room", Long.toString(ROOMS[0]))).isEqualTo(0);
        List<String> fromKafka = kafkaOut.toString().lines().toList();
        assertThat(fromKafka).hasSize(acked.get(ROOMS[0]).size());
        assertThat(fromKafka.get(0)).startsWith("e1 #1 " + (1000 + ROOMS[0]) + "/u" + (1000 + ROOMS[0]) + ": bullet 0 in "
                + ROOMS[0] + " run ");
        assertThat(nodeReplay(dir, ROOMS[0])).isEqualTo(fromKafka);
    }

    @Test
    void aSinkThatLostItsSavedPositionShouldRecoverItFromKafkaWithoutDuplicates() throws Exception {
        String topic = "bullets-lost-position";
        NodeConfig config = KafkaTesting.config(dir, broker.bootstrapServers(), topic)
                .set(NodeConfig.NODE_ID, "lost").build();
        Map<Long, Set<Long>> acked;
        try (Node node = Node.start(config)) {
            KafkaTesting.createRooms(node.wsPort(), ROOMS);
            KafkaTesting.Senders senders = new KafkaTesting.Senders(node.wsPort(), 1, ROOMS);
            Thread.sleep(1_500);
            senders.stop();
            acked = senders.acked;
            assertThat(KafkaTesting.await(30_000, () -> broker.readAll(topic).size() == senders.ackedCount())).isTrue();
        }
        Path positionFile = dir.resolve("sinks").resolve("kafka.position");
        assertThat(positionFile).exists();
        Files.delete(positionFile);
        try (Node node = Node.start(config)) {
            // The tailer starts from the beginning of the journal: Kafka's own records say where it got to.
            assertThat(KafkaTesting.await(30_000, () -> node.kafkaSink().metrics().batches.get() > 0
                    || (node.kafkaSink().lag() == 0 && Files.exists(positionFile)))).isTrue();
            KafkaTesting.Senders more = new KafkaTesting.Senders(node.wsPort(), 1, ROOMS);
            Thread.sleep(1_000);
            more.stop();
            assertThat(more.failures).isEmpty();
            for (long room : ROOMS) {
                acked.get(room).addAll(more.acked.get(room));
            }
            long total = acked.values().stream().mapToLong(Set::size).sum();
            assertThat(KafkaTesting.await(30_000, () -> broker.readAll(topic).size() >= total)).isTrue();
            Thread.sleep(500); // a duplicate, if any, would arrive now
        }
        KafkaTesting.assertExactlyOnceInOrder(broker.readAll(topic), "lost", acked);
    }

    @Test
    void sinksShouldResumeExactlyOnceAfterTheNodeIsKilledMidStream() throws Exception {
        String topic = "bullets-kill";
        int wsPort = freePort();
        int adminPort = freePort();
        Map<Long, Set<Long>> acked = new java.util.HashMap<>();
        for (long room : ROOMS) {
            acked.put(room, new java.util.TreeSet<>());
        }
        Process node = startChild(topic, wsPort, adminPort);
        try {
            KafkaTesting.createRooms(wsPort, ROOMS);
            KafkaTesting.Senders senders = new KafkaTesting.Senders(wsPort, 1, ROOMS);
            Thread.sleep(2_500);
            node.destroyForcibly(); // SIGKILL, mid-stream
            assertThat(node.waitFor(10, TimeUnit.SECONDS)).isTrue();
            senders.stop();
            assertThat(senders.ackedCount()).isGreaterThan(50);
            senders.acked.forEach((room, seqs) -> acked.get(room).addAll(seqs));

            node = startChild(topic, wsPort, adminPort);
            KafkaTesting.Senders more = new KafkaTesting.Senders(wsPort, 1, ROOMS);
            Thread.sleep(1_500);
            more.stop();
            assertThat(more.failures).isEmpty();
            more.acked.forEach((room, seqs) -> acked.get(room).addAll(seqs));
            // Done when each room's newest acknowledged sequence is in Kafka.
            long expected = acked.values().stream().mapToLong(s -> ((java.util.TreeSet<Long>) s).last()).sum();
            assertThat(KafkaTesting.await(30_000, () -> broker.readAll(topic).size() >= expected))
                    .as("Kafka catches up to %d bullets", expected).isTrue();
            Thread.sleep(500);
            node.destroy(); // graceful: the journal is closed
            assertThat(node.waitFor(20, TimeUnit.SECONDS)).isTrue();
        } finally {
            node.destroyForcibly();
        }
        Map<Long, Long> counts = KafkaTesting.assertExactlyOnceInOrder(broker.readAll(topic), "killed", acked);
        for (long room : ROOMS) {
            // Kafka holds exactly what the journal holds: acknowledged, plus any journaled but unacknowledged at the kill.
            assertThat(nodeReplay(dir.resolve("node"), room)).hasSize(counts.get(room).intValue());
        }
    }

    private Process startChild(String topic, int wsPort, int adminPort) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(KafkaTesting.childJvmFlags());
        cmd.addAll(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                NodeMain.class.getName(), "--data-dir", dir.resolve("node").toString(), "--ws-port", Integer.toString(wsPort),
                "--admin-port", Integer.toString(adminPort), "--kafka", broker.bootstrapServers()));
        for (String kv : List.of("node.id=killed", "kafka.topic=" + topic, "kafka.partitions=4", "kafka.timeout-ms=5000",
                "transport.host=127.0.0.1", "transport.io-threads=2", "ring.size=4096",
                "filter.user-rate-per-second=100000", "filter.user-burst=100000", "filter.ip-rate-per-second=1000000",
                "filter.ip-burst=1000000", "filter.dedup-capacity=65536", "filter.rate-limiter-keys=65536",
                "filter.words-file=" + TestNode.repo().resolve("config/words.txt"))) {
            cmd.add("--set");
            cmd.add(kv);
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("node.log").toFile())).start();
        boolean up = KafkaTesting.await(30_000, () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", wsPort), 200);
                return true;
            } catch (java.io.IOException e) {
                return !p.isAlive();
            }
        });
        assertThat(up && p.isAlive()).as("child node up; log: %s", dir.resolve("node.log")).isTrue();
        return p;
    }

    /** Runs {@code danmaku node replay} and returns its lines. */
    private static List<String> nodeReplay(Path dataDir, long room) {
        PrintStream saved = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code;
        synchronized (KafkaSinkIT.class) {
            System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            try {
                code = new CommandLine(new NodeMain()).execute("replay", "--data-dir", dataDir.toString(),
                        "--room", Long.toString(room));
            } finally {
                System.setOut(saved);
            }
        }
        assertThat(code).isEqualTo(0);
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }
}
