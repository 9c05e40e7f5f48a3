package dev.danmaku.perf.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.danmaku.perf.PerfMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The harness through a rebalance, against {@link FakeCluster} (two nodes in this JVM standing in for the
 * engine's cluster mode, which is being written): every room is first asked of the node that does not own
 * it (REDIRECT for CREATE_ROOM, JOIN and BULLET), then every room migrates twice under load (MOVED to each
 * viewer, ROOM_MOVING while the new owner installs it, epochs jumping with the sequence continuing, ACKs
 * delayed so that a REDIRECT overtakes the ACK of an earlier bullet). The report must prove: 0 ACKed
 * bullets lost, 0 duplicates delivered, every viewer resumed (RECOVERED) after every move. The engine's
 * own cluster ITs can drive the same run ({@code PerfMain.execute("run", "--node=A", "--node=B", ...)}) and
 * assert the same keys of summary.json.
 */
class ClusterRebalanceIT {
    private static final int ROOMS = 4;
    private static final int VIEWERS = 3;
    private static final int RATE = 200;
    private static final int WARMUP_S = 1;
    private static final int DURATION_S = 3;
    private static final int MOVES = 2;

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldLoseNoAckedBulletDeliverNoDuplicateAndResumeEveryViewerAcrossARebalance() throws Exception {
        assertClean(rebalance(1, false));
    }

    /** Viewers and senders split over two generator processes: the loss check meets in the coordinator. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldMergeTheLossCheckOfSeveralGeneratorProcesses() throws Exception {
        assertClean(rebalance(2, false));
    }

    /**
     * The check can fail: a handover that loses the last ACKed bullets of the old epoch, while the new epoch
     * continues after the last bullet the viewers saw (so their streams look continuous), is reported.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldReportAckedBulletsThatAHandoverLost() throws Exception {
        JsonNode t = rebalance(1, true);
        JsonNode c = t.get("counts");
        assertThat(c.get("ackedNotDelivered").asLong()).as(t.toString()).isPositive();
        assertThat(c.get("ackedNotDeliveredBullets").asLong()).isPositive();
        assertThat(t.get("checks").get("ackedAllDelivered").asBoolean()).isFalse();
        assertThat(c.get("epochChanges").asLong()).as("the streams look continuous " + t).isZero();
        assertThat(c.get("gaps").asLong()).isZero();
        assertThat(Files.readString(tmp.resolve("report").resolve("report.txt")))
                .containsPattern("acked_not_delivered: [1-9]\\d* rooms .*: room 100000\\d: epoch \\d+ acked to \\d+, "
                        + "slowest viewer at \\d+");
    }

    /** Runs the load through {@value #MOVES} moves of every room; returns the target of summary.json. */
    private JsonNode rebalance(int processes, boolean loseOnMove) throws Exception {
        Path out = tmp.resolve("report");
        long bullets = (long) RATE * (WARMUP_S + DURATION_S);
        AtomicReference<Throwable> moverFailure = new AtomicReference<>();
        try (FakeCluster cluster = new FakeCluster(2, 0)) {
            cluster.ackDelayMs = 15;
            Thread mover = new Thread(() -> {
                try {
                    for (int m = 1; m <= MOVES; m++) {
                        long at = bullets * m / (MOVES + 1);
                        while (cluster.acked.get() < at) {
                            Thread.sleep(5);
                        }
                        boolean lose = loseOnMove && m == 1;
                        if (lose) {
                            cluster.holdFanout = true;
                            Thread.sleep(100);
                        }
                        for (int r = 0; r < ROOMS; r++) {
                            long room = 1_000_001L + r;
                            cluster.move(room, 1 - cluster.owner(room), 120, lose);
                        }
                        cluster.holdFanout = false;
                    }
                } catch (Throwable e) {
                    moverFailure.set(e);
                }
            }, "rebalance");
            mover.setDaemon(true);
            mover.start();
            int code = PerfMain.execute("run",
                    "--node=" + cluster.uri(0), "--node=" + cluster.uri(1),
                    "--rooms=" + ROOMS, "--viewers=" + VIEWERS, "--sample=1", "--senders=3",
                    "--rate=" + RATE, "--warmup=" + WARMUP_S, "--duration=" + DURATION_S,
                    "--drain-ms=5000", "--source-addresses=0", "--processes=" + processes, "--quiet",
                    "--out=" + out);
            assertThat(code).isZero();
            mover.join(5_000);
            assertThat(moverFailure.get()).isNull();
            assertThat(cluster.movedSent.get()).as("MOVED sent").isEqualTo((long) ROOMS * VIEWERS * MOVES);
            assertThat(cluster.movingSent.get()).as("ROOM_MOVING answered while installing").isPositive();
            for (int r = 0; r < ROOMS; r++) {
                assertThat(cluster.epoch(1_000_001L + r)).as("two moves, two higher epochs").isGreaterThan(512);
            }
        }
        String report = Files.readString(out.resolve("report.txt"));
        System.out.println(report);
        assertThat(report).contains("cluster: moved ", "acked_not_delivered: ");
        return new ObjectMapper().readTree(out.resolve("summary.json").toFile()).get("targets").get(0);
    }

    private static void assertClean(JsonNode t) {
        long bullets = (long) RATE * (WARMUP_S + DURATION_S);
        JsonNode c = t.get("counts");
        String why = t.toString();
        assertThat(c.get("offered").asLong()).as(why).isEqualTo(bullets);
        assertThat(c.get("sent").asLong()).as(why).isEqualTo(bullets);
        assertThat(c.get("accepted").asLong()).as("every bullet ACKed once " + why).isEqualTo(bullets);
        assertThat(c.get("unsent").asLong()).as(why).isZero();
        assertThat(c.get("errors").asLong()).as(t.get("errorsByCode").toString()).isZero();
        assertThat(c.get("ackedNotDelivered").asLong()).as("0 ACKed bullets lost " + why).isZero();
        assertThat(c.get("ackedNotDeliveredBullets").asLong()).as(why).isZero();
        assertThat(c.get("duplicates").asLong()).as("0 duplicates " + why).isZero();
        assertThat(c.get("gaps").asLong()).as(why).isZero();
        assertThat(c.get("epochChanges").asLong()).as("the moves continue the sequence " + why).isZero();
        assertThat(c.get("notRecovered").asLong()).as(why).isZero();
        long moved = (long) ROOMS * VIEWERS * MOVES;
        assertThat(c.get("moved").asLong()).as(why).isEqualTo(moved);
        assertThat(c.get("resumes").asLong()).as("every viewer resumed after every move " + why).isEqualTo(moved);
        assertThat(c.get("disconnects").asLong()).as("a MOVED is no disconnect " + why).isZero();
        assertThat(c.get("redirectsFollowed").asLong()).as("first asked of the wrong node " + why).isPositive();
        assertThat(c.get("retries").asLong()).as("ROOM_MOVING re-sent " + why).isPositive();
        assertThat(t.get("retriesByCode").has("302 ROOM_MOVING")).as(why).isTrue();
        assertThat(c.get("delivered").asLong()).as(why).isEqualTo(c.get("expectedDelivered").asLong());
        assertThat(c.get("expectedDelivered").asLong()).isEqualTo(bullets * VIEWERS);
        assertThat(t.get("connections").get("viewers").asLong()).isEqualTo(ROOMS * VIEWERS);
        JsonNode checks = t.get("checks");
        for (String check : new String[] {"acceptedPlusErrorsEqualsSent", "deliveredEqualsAcceptedTimesViewers",
                "noErrors", "noGaps", "ackedAllDelivered", "noDuplicates", "noEpochChanges", "nothingUnsent"}) {
            assertThat(checks.get(check).asBoolean()).as(check + " " + checks).isTrue();
        }
    }
}
