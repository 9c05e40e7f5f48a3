package dev.danmaku.perf.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.danmaku.engine.it.ClusterFixture;
import dev.danmaku.perf.PerfMain;
import dev.danmaku.router.ShardMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The perf harness against real node processes in cluster mode (three, then four, and a real
 * redis-server, all on loopback): {@value #ROOMS} rooms with a sender load and a viewer each, and a
 * fourth node added to the map in the middle of the measured run. About a quarter of the rooms move
 * to it while bullets flow; the harness follows every REDIRECT and MOVED, and its report must show
 * nothing acknowledged lost, nothing delivered twice, no gap, and every moved viewer resumed
 * exactly. (The harness's own logic through a rebalance is {@link ClusterRebalanceIT}, against an
 * in-JVM stand-in; this is the same check with the engine's cluster mode doing the moving.)
 */
class RealClusterRebalanceIT {
    private static final int ROOMS = 1_000;
    private static final int RATE = 400;
    private static final int WARMUP_S = 3;
    private static final int DURATION_S = 14;
    /** When the fourth node joins the map, seconds into the run (warm-up included). */
    private static final int ADD_AT_S = 8;

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void shouldLoseNothingAndResumeEveryMovedViewerWhenANodeJoinsUnderLoad() throws Exception {
        String[] limits = {"transport.max-connections-per-ip=20000"};
        try (ClusterFixture cluster = new ClusterFixture(Files.createDirectories(tmp.resolve("cluster")), limits)) {
            for (String id : List.of("n1", "n2", "n3", "n4")) {
                cluster.startNode(id);
            }
            cluster.addActive(2_000, "n1", "n2", "n3");
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicReference<ShardMap> added = new AtomicReference<>();
            Thread rebalance = new Thread(() -> {
                try {
                    Thread.sleep(TimeUnit.SECONDS.toMillis(ADD_AT_S));
                    added.set(cluster.addActive(3_000, "n4"));
                    cluster.awaitMovesDone(60_000);
                } catch (Throwable e) {
                    failure.set(e);
                }
            }, "rebalance");
            rebalance.setDaemon(true);
            Path out = tmp.resolve("report");
            rebalance.start();
            int code = PerfMain.execute("run",
                    "--node=" + cluster.address("n1"), "--node=" + cluster.address("n2"),
                    "--node=" + cluster.address("n3"),
                    "--rooms=" + ROOMS, "--viewers=1", "--sample=1", "--senders=40", "--zipf=0",
                    "--rate=" + RATE, "--warmup=" + WARMUP_S, "--duration=" + DURATION_S,
                    "--drain-ms=10000", "--source-addresses=0", "--quiet", "--out=" + out);
            rebalance.join(TimeUnit.SECONDS.toMillis(90));
            assertThat(failure.get()).as("adding n4").isNull();
            String report = Files.readString(out.resolve("report.txt"));
            System.out.println(report);
            assertThat(code).as(report).isZero();

            ShardMap map = added.get();
            long toN4 = 0;
            for (long r = 1; r <= ROOMS; r++) {
                toN4 += "n4".equals(map.ownerId(harnessRoom(r))) ? 1 : 0;
            }
            JsonNode t = new ObjectMapper().readTree(out.resolve("summary.json").toFile()).get("targets").get(0);
            JsonNode c = t.get("counts");
            String why = t.toString();
            long bullets = (long) RATE * (WARMUP_S + DURATION_S);
            assertThat(c.get("offered").asLong()).as(why).isEqualTo(bullets);
            assertThat(c.get("accepted").asLong()).as("every bullet ACKed once " + why).isEqualTo(bullets);
            assertThat(c.get("unsent").asLong()).as(why).isZero();
            assertThat(c.get("errors").asLong()).as(t.get("errorsByCode").toString()).isZero();
            assertThat(c.get("ackedNotDelivered").asLong()).as("0 ACKed bullets lost " + why).isZero();
            assertThat(c.get("duplicates").asLong()).as("0 duplicates " + why).isZero();
            assertThat(c.get("gaps").asLong()).as(why).isZero();
            assertThat(c.get("notRecovered").asLong()).as(why).isZero();
            assertThat(c.get("delivered").asLong()).as(why).isEqualTo(c.get("expectedDelivered").asLong());
            assertThat(c.get("redirectsFollowed").asLong()).as("rooms first asked of the wrong node " + why)
                    .isPositive();
            // About a quarter of the rooms went to n4 (rendezvous: only to the new node), each viewer
            // told MOVED once and resumed there.
            assertThat(toN4).as("rooms moved to n4").isBetween(ROOMS / 4 - 60L, ROOMS / 4 + 60L);
            assertThat(c.get("moved").asLong()).as(why).isEqualTo(toN4);
            assertThat(c.get("resumes").asLong()).as("every moved viewer resumed " + why).isEqualTo(toN4);
            assertThat(cluster.rooms(cluster.node("n4")).size()).as("rooms held by n4").isEqualTo((int) toN4);
        }
    }

    /** The harness's room ids: 1,000,001 upwards (see {@code RunCommand --room-base}). */
    private static long harnessRoom(long i) {
        return 1_000_000L + i;
    }
}
