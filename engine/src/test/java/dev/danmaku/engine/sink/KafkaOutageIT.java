package dev.danmaku.engine.sink;

import dev.danmaku.engine.Node;
import dev.danmaku.engine.config.NodeConfig;
import dev.danmaku.testkit.KafkaBroker;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * RELIABILITY scenario 13 (shortened to 20 s): with bullets flowing, Kafka stops and comes back.
 * The node keeps accepting with its ACK p99 unchanged (its own histogram), the sink's lag rises and
 * drains to 0, /health is degraded meanwhile, and downstream nothing is missing or doubled.
 */
@Timeout(150)
class KafkaOutageIT {
    private static final long[] ROOMS = {701, 702, 703};

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
    void aKafkaOutageShouldLeaveTheHotPathAloneAndLoseOrDoubleNothing() throws Exception {
        String topic = "bullets-outage";
        try (Node node = Node.start(KafkaTesting.config(dir, broker.bootstrapServers(), topic)
                .set(NodeConfig.NODE_ID, "outage").build())) {
            KafkaTesting.createRooms(node.wsPort(), ROOMS);
            KafkaTesting.Senders senders = new KafkaTesting.Senders(node.wsPort(), 2, ROOMS);
            // Watch lag and health from the outside while it runs.
            AtomicLong maxLag = new AtomicLong();
            AtomicBoolean sawDegraded = new AtomicBoolean();
            AtomicBoolean watching = new AtomicBoolean(true);
            HttpClient http = HttpClient.newHttpClient();
            Thread watcher = new Thread(() -> {
                while (watching.get()) {
                    maxLag.accumulateAndGet(node.kafkaSink().lag(), Math::max);
                    try {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + node.adminPort() + "/health")).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 200 && r.body().contains("\"status\":\"degraded\"")) {
                            sawDegraded.set(true);
                        }
                        Thread.sleep(200);
                    } catch (Exception e) {
                        return;
                    }
                }
            }, "health-watcher");
            watcher.setDaemon(true);
            watcher.start();

            Thread.sleep(6_000); // warm-up + baseline
            Histogram baseline = node.metrics().cumulative("danmaku_ack_latency_seconds");
            long ackedBefore = senders.ackedCount();

            broker.stop();
            long stopped = System.nanoTime();
            Thread.sleep(20_000);
            assertThat(node.kafkaSink().lag()).as("lag while Kafka is down").isGreaterThan(0);
            assertThat(node.kafkaSink().degraded()).isTrue();
            broker.start();
            long outageMs = (System.nanoTime() - stopped) / 1_000_000;
            Thread.sleep(4_000); // keep sending after Kafka is back
            senders.stop();
            assertThat(senders.failures).as("the node kept accepting").isEmpty();
            assertThat(senders.ackedCount() - ackedBefore).as("accepted during and after the outage").isGreaterThan(1_000);

            Histogram after = node.metrics().cumulative("danmaku_ack_latency_seconds");
            Histogram outage = after.copy();
            outage.subtract(baseline);
            double baseP99Ms = baseline.getValueAtPercentile(99) / 1e6;
            double outageP99Ms = outage.getValueAtPercentile(99) / 1e6;
            System.out.printf("ACK p99: baseline %.3f ms (%d), outage+recovery %.3f ms (%d); Kafka down %d ms%n",
                    baseP99Ms, baseline.getTotalCount(), outageP99Ms, outage.getTotalCount(), outageMs);
            assertThat(outageP99Ms).as("ACK p99 during the outage vs baseline").isLessThanOrEqualTo(2 * baseP99Ms + 50);

            assertThat(KafkaTesting.await(60_000, () -> node.kafkaSink().lag() == 0 && !node.kafkaSink().degraded()))
                    .as("lag drains to 0 (now %d)", node.kafkaSink().lag()).isTrue();
            watching.set(false);
            assertThat(maxLag.get()).as("lag rose").isGreaterThan(0);
            assertThat(sawDegraded.get()).as("/health said degraded").isTrue();
            assertThat(node.metrics().scrape()).contains("danmaku_sink_lag{sink=\"kafka\"} 0");
            assertThat(node.kafkaSink().metrics().errors.get()).as("failed writes were counted").isGreaterThan(0);

            assertThat(KafkaTesting.await(30_000, () -> broker.readAll(topic).size() >= senders.ackedCount())).isTrue();
            Thread.sleep(500);
            KafkaTesting.assertExactlyOnceInOrder(broker.readAll(topic), "outage", senders.acked);
        }
    }
}
