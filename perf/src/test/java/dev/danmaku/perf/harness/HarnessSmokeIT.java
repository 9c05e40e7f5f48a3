package dev.danmaku.perf.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.danmaku.engine.Node;
import dev.danmaku.engine.config.NodeConfig;
import dev.danmaku.perf.PerfMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The harness's smoke run (part of {@code mvn verify}): a few seconds of small load against an
 * in-JVM node and, in the same run, the naive baseline server; the report must be complete and its
 * counts must add up.
 */
class HarnessSmokeIT {
    private static final int ROOMS = 2;
    private static final int VIEWERS = 5;
    private static final int SAMPLED = 2;
    private static final int RATE = 200;
    private static final int WARMUP_S = 1;
    private static final int DURATION_S = 3;

    @TempDir
    Path tmp;

    /** An in-JVM node on free loopback ports with rate limits out of the way (as 'perf node-flags' says). */
    private static Node startNode(Path dataDir) throws Exception {
        return Node.start(NodeConfig.builder()
                .set(NodeConfig.WS_HOST, "127.0.0.1")
                .set(NodeConfig.WS_PORT, 0)
                .set(NodeConfig.ADMIN_PORT, 0)
                .set(NodeConfig.DATA_DIR, dataDir.toString())
                .set(NodeConfig.IO_THREADS, 2)
                .set(NodeConfig.RING_SIZE, 4096)
                .set(NodeConfig.DEDUP_CAPACITY, 1 << 16)
                .set(NodeConfig.RATE_KEYS, 1 << 16)
                .set(NodeConfig.USER_RATE, 1_000_000)
                .set(NodeConfig.USER_BURST, 1_000_000)
                .set(NodeConfig.IP_RATE, 10_000_000)
                .set(NodeConfig.IP_BURST, 10_000_000)
                .set(NodeConfig.MAX_CONNECTIONS_PER_IP, 100_000)
                .set(NodeConfig.BATCH_INTERVAL_MS, 10L)
                .set(NodeConfig.WORDS_FILE, "")
                .build());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldWriteACompleteReportWhoseCountsAddUpForNodeAndBaseline() throws Exception {
        Path out = tmp.resolve("report");
        try (Node node = startNode(tmp.resolve("data"))) {
            int code = PerfMain.execute("run",
                    "--node=ws://127.0.0.1:" + node.wsPort() + "/ws",
                    "--admin=http://127.0.0.1:" + node.adminPort(),
                    "--rooms=" + ROOMS, "--viewers=" + VIEWERS, "--sample=" + SAMPLED, "--senders=4",
                    "--rate=" + RATE, "--warmup=" + WARMUP_S, "--duration=" + DURATION_S,
                    "--node-batch-interval-ms=10", "--drain-ms=3000", "--baseline", "--out=" + out);
            assertThat(code).isZero();
        }

        String report = Files.readString(out.resolve("report.txt"));
        assertThat(report).contains("== node ==", "== baseline ==", "== side by side ==", "p50", "p90", "p99",
                "p99.9", "p99.99", "max", "latency is measured on", "BATCH headers");
        for (String target : new String[] {"node", "baseline"}) {
            String hgrm = Files.readString(out.resolve(target + ".hgrm"));
            assertThat(hgrm).contains("Value", "Percentile", "TotalCount", "#[Mean", "#[Max");
        }
        String svg = Files.readString(out.resolve("latency.svg"));
        assertThat(svg).startsWith("<svg").contains("<path", "node: p99", "baseline: p99").endsWith("</svg>\n");

        JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        assertThat(summary.get("environment").get("cores").asInt()).isPositive();
        JsonNode targets = summary.get("targets");
        assertThat(targets).hasSize(2);
        long bullets = (long) RATE * (WARMUP_S + DURATION_S);
        for (JsonNode t : targets) {
            String name = t.get("target").asText();
            JsonNode c = t.get("counts");
            assertThat(c.get("offered").asLong()).as(name + " offered").isEqualTo(bullets);
            assertThat(c.get("sent").asLong()).as(name + " sent").isEqualTo(bullets);
            assertThat(c.get("accepted").asLong()).as(name + " accepted == sent").isEqualTo(bullets);
            assertThat(c.get("acceptedRetry").asLong()).isZero();
            assertThat(c.get("errors").asLong()).as(name + " errors " + t.get("errorsByCode")).isZero();
            assertThat(c.get("unsent").asLong()).isZero();
            assertThat(c.get("gaps").asLong()).isZero();
            assertThat(c.get("disconnects").asLong()).isZero();
            assertThat(c.get("decodeFailures").asLong()).isZero();
            // one node, no faults: nothing of the cluster machinery fires, and the loss check passes
            for (String key : new String[] {"resumes", "notRecovered", "moved", "duplicates", "epochChanges",
                    "retries", "redirectsFollowed", "acksRepeated", "lateAnswers", "ackedNotDelivered",
                    "ackedNotDeliveredBullets"}) {
                assertThat(c.get(key).asLong()).as(name + " " + key).isZero();
            }
            // every accepted bullet reached every viewer of its room; sampled viewers decoded all of theirs
            assertThat(c.get("expectedDelivered").asLong()).isEqualTo(bullets * VIEWERS);
            assertThat(c.get("delivered").asLong()).as(name + " delivered").isEqualTo(bullets * VIEWERS);
            assertThat(c.get("expectedDeliveredSampled").asLong()).isEqualTo(bullets * SAMPLED);
            assertThat(c.get("deliveredSampled").asLong()).as(name + " sampled delivered").isEqualTo(bullets * SAMPLED);
            assertThat(c.get("latencySamples").asLong()).as(name + " latency samples")
                    .isEqualTo((long) RATE * DURATION_S * SAMPLED);
            assertThat(t.get("connections").get("viewers").asLong()).isEqualTo(ROOMS * VIEWERS);
            assertThat(t.get("connections").get("sampledViewers").asLong()).isEqualTo(ROOMS * SAMPLED);

            JsonNode lat = t.get("latencyMs");
            for (String p : new String[] {"p50", "p90", "p99", "p99.9", "p99.99", "max", "mean"}) {
                assertThat(lat.get(p).asDouble()).as(name + " " + p).isPositive();
            }
            assertThat(lat.get("p50").asDouble()).isLessThanOrEqualTo(lat.get("p99").asDouble());
            assertThat(lat.get("p99").asDouble()).isLessThanOrEqualTo(lat.get("max").asDouble());
            assertThat(t.get("ratesPerS").get("offered").asDouble()).isBetween(RATE * 0.9, RATE * 1.1);
            assertThat(t.get("generator").get("cpuSeconds").asDouble()).isPositive();
            assertThat(t.get("perSecond").size()).isGreaterThanOrEqualTo(WARMUP_S + DURATION_S);
            JsonNode checks = t.get("checks");
            assertThat(checks.get("deliveredEqualsAcceptedTimesViewers").asBoolean()).isTrue();
            assertThat(checks.get("sampledDeliveredEqualsAcceptedTimesSampledViewers").asBoolean()).isTrue();
            assertThat(checks.get("acceptedPlusErrorsEqualsSent").asBoolean()).isTrue();
        }
        JsonNode node = targets.get(0);
        assertThat(node.get("target").asText()).isEqualTo("node");
        assertThat(node.get("node").get("batchIntervalMs").asText()).isEqualTo("10");
        assertThat(node.get("checks").get("nodeAcceptedEqualsAcks").asBoolean())
                .as("the node's danmaku_bullets_accepted_total grew by exactly the ACKs received").isTrue();
        assertThat(node.get("node").get("metricsDelta").get("danmaku_bullets_delivered_total").asLong())
                .isEqualTo(bullets * VIEWERS);
    }
}
