package dev.danmaku.testkit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A real single-node Kafka cluster (KRaft, broker and controller in one process) in a child JVM,
 * started from Kafka's own Maven jars on this JVM's classpath ({@code kafka_2.13}), listening on
 * free loopback ports. {@link #stop()} and {@link #start()} may be called repeatedly (an outage):
 * the ports and the log directory are kept, so clients reconnect to the same address and find
 * their data. The child is destroyed by {@link #close()} and, failing that, by a shutdown hook.
 *
 * <p>Not thread-safe: one test thread drives it. A broker needs ~400 MB RSS; it runs with
 * {@code -Xmx512m}.
 */
public final class KafkaBroker implements AutoCloseable {
    private static final String LOG_CONFIG = """
            <configuration>
              <appender name="FILE" class="ch.qos.logback.core.FileAppender">
                <file>%s</file>
                <encoder><pattern>%%d{HH:mm:ss.SSS} %%-5level [%%thread] %%logger{30} - %%msg%%n</pattern></encoder>
              </appender>
              <root level="WARN"><appender-ref ref="FILE"/></root>
              <logger name="kafka.server.KafkaRaftServer" level="INFO"/>
              <logger name="kafka.server.BrokerServer" level="INFO"/>
            </configuration>
            """;

    private final Path dir;
    private final int port;
    private final int controllerPort;
    private final Thread hook;
    private Process process;
    private boolean formatted;

    private KafkaBroker(Path dir) throws IOException {
        this.dir = dir;
        this.port = freePort();
        this.controllerPort = freePort();
        this.hook = new Thread(this::destroy, "kafka-broker-reaper");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Starts a new broker whose data lives in {@code dir}; returns once it accepts connections. */
    public static KafkaBroker start(Path dir) throws IOException, InterruptedException {
        KafkaBroker b = new KafkaBroker(dir);
        try {
            b.start();
        } catch (IOException | InterruptedException | RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    /** {@code 127.0.0.1:PORT}, for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public boolean running() {
        return process != null && process.isAlive();
    }

    /** The broker's log file (its own logging, WARN and up plus start/stop lines). */
    public Path logFile() {
        return dir.resolve("broker.log");
    }

    /**
     * Starts the broker process (formatting its storage the first time) and waits until it serves
     * metadata on its listener, at most 60 s.
     */
    public void start() throws IOException, InterruptedException {
        if (running()) {
            return;
        }
        Files.createDirectories(dir);
        Path props = dir.resolve("server.properties");
        if (!formatted) {
            Files.writeString(props, properties(), StandardCharsets.UTF_8);
            Files.writeString(dir.resolve("logback-broker.xml"),
                    String.format(LOG_CONFIG, logFile().toAbsolutePath()), StandardCharsets.UTF_8);
            format(props);
            formatted = true;
        }
        process = java("kafka.Kafka", props.toString());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!ready()) {
            if (!process.isAlive()) {
                throw new IllegalStateException("kafka broker exited with " + process.exitValue() + "; see "
                        + dir.resolve("kafka.Kafka.out") + " and " + logFile());
            }
            if (System.nanoTime() - deadline > 0) {
                destroy();
                throw new IllegalStateException("kafka broker not ready within 60 s; see " + logFile());
            }
            Thread.sleep(100);
        }
    }

    /**
     * Formats the storage (KRaft). One retry: a CI run once saw the tool exit non-zero within a second
     * on a fresh directory, cause unknown (its output was lost with the temp dir); the output of a
     * failed attempt goes to stderr so the next one can be diagnosed.
     */
    private void format(Path props) throws IOException, InterruptedException {
        Path out = dir.resolve("kafka.tools.StorageTool.out");
        // One id for both attempts: --ignore-formatted refuses a directory formatted with another one.
        String clusterId = Uuid.randomUuid().toString(); // what StorageTool random-uuid prints
        for (int attempt = 1; ; attempt++) {
            Process format = java("kafka.tools.StorageTool", "format", "--ignore-formatted", "-t", clusterId,
                    "-c", props.toString());
            if (!format.waitFor(60, TimeUnit.SECONDS)) {
                format.destroyForcibly();
                throw new IllegalStateException("kafka storage format timed out; see " + out);
            }
            if (format.exitValue() == 0) {
                return;
            }
            String output = Files.exists(out) ? Files.readString(out) : "(no output)";
            if (attempt == 2) {
                throw new IllegalStateException("kafka storage format failed twice (exit " + format.exitValue()
                        + "): " + output);
            }
            System.err.println("kafka storage format failed (exit " + format.exitValue() + "), retrying once: "
                    + output);
            Files.deleteIfExists(out);
        }
    }

    /** Stops the broker (SIGTERM, a controlled shutdown; SIGKILL after 20 s) and waits for it to exit. */
    public void stop() throws InterruptedException {
        Process p = process;
        if (p == null) {
            return;
        }
        p.destroy();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        process = null;
    }

    /** Kills the broker with SIGKILL (no controlled shutdown) and waits for it to exit. */
    public void kill() throws InterruptedException {
        Process p = process;
        if (p != null) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            process = null;
        }
    }

    /**
     * Every record of {@code topic} committed so far (read_committed), partition by partition in
     * offset order, read from the beginning to the end offsets at the time of the call.
     */
    public List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo info : c.partitionsFor(topic, Duration.ofSeconds(10))) {
                parts.add(new TopicPartition(topic, info.partition()));
            }
            parts.sort(java.util.Comparator.comparingInt(TopicPartition::partition));
            Map<TopicPartition, Long> end = c.endOffsets(parts, Duration.ofSeconds(10));
            for (TopicPartition tp : parts) {
                c.assign(List.of(tp));
                c.seekToBeginning(List.of(tp));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (c.position(tp, Duration.ofSeconds(10)) < end.get(tp)) {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                        if (r.offset() < end.get(tp)) {
                            out.add(r);
                        }
                    }
                    if (System.nanoTime() - deadline > 0) {
                        throw new IllegalStateException("could not read " + tp + " to offset " + end.get(tp));
                    }
                }
            }
        }
        return out;
    }

    private void destroy() {
        Process p = process;
        if (p != null && p.isAlive()) {
            p.destroyForcibly();
        }
    }

    @Override
    public void close() throws InterruptedException {
        try {
            stop();
        } finally {
            destroy();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // the hook runs anyway
            }
        }
    }

    /** True once the broker answers a metadata request on its client listener with itself in it. */
    private boolean ready() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        } catch (IOException e) {
            return false;
        }
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2_000);
        try (Admin admin = Admin.create(p)) {
            return !admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty();
        } catch (Exception e) {
            return false;
        }
    }

    private Process java(String main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx512m");
        cmd.add("-Xss1m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-Dlogback.configurationFile=" + dir.resolve("logback-broker.xml").toAbsolutePath());
        cmd.add("-Dlog4j2.disable.jmx=true");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main);
        cmd.addAll(List.of(args));
        Path out = dir.resolve(main + ".out");
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile())).start();
    }

    private String properties() {
        Path logs = dir.resolve("logs").toAbsolutePath();
        return String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "log.dirs=" + logs,
                "num.partitions=1",
                "auto.create.topics.enable=false",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "transaction.state.log.num.partitions=1",
                // Abort transactions that outlived their timeout promptly (default: checked every 10 s).
                "transaction.abort.timed.out.transaction.cleanup.interval.ms=1000",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "num.network.threads=2",
                "num.io.threads=2",
                "background.threads=2",
                "log.cleaner.enable=false",
                "");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }
}
