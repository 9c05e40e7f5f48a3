package dev.danmaku.router.cli;

import dev.danmaku.router.NodeState;
import dev.danmaku.router.ShardMap;
import dev.danmaku.router.plan.Move;
import dev.danmaku.router.plan.Plan;
import dev.danmaku.router.store.RedisEndpoint;
import dev.danmaku.testkit.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code router apply} and {@code router drain} against a real redis-server; the nodes' side of a
 * move (outgoing sets, the destination listing the room) is played by the test.
 */
@Timeout(90)
class ApplyCommandIT {
    private static RedisServer redis;
    private static RedisEndpoint endpoint;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        redis = RedisServer.start();
        endpoint = RedisEndpoint.of(redis.uri(), 2000);
    }

    @AfterAll
    static void stop() {
        endpoint.close();
        redis.close();
    }

    private String[] args(TwoNodeCluster c, String... rest) {
        List<String> a = new ArrayList<>(List.of("router", "--redis", redis.uri(), "--cluster", c.name));
        a.addAll(List.of(rest));
        return a.toArray(new String[0]);
    }

    private Path planAdd(TwoNodeCluster c) throws Exception {
        Path file = tmp.resolve(c.name + ".json");
        Cli.Result r = Cli.run(args(c, "plan", "--add", "n3", "--out", file.toString()));
        assertThat(r.code()).as(r.toString()).isZero();
        return file;
    }

    private static Plan read(Path file) throws Exception {
        return PlanJson.read(Files.readString(file)).plan();
    }

    /** Sources' moves by node, as the nodes would list them in their outgoing sets. */
    private static Map<String, List<Long>> bySource(Plan plan) {
        Map<String, List<Long>> out = new TreeMap<>();
        for (Move m : plan.moves()) {
            out.computeIfAbsent(m.from(), k -> new ArrayList<>()).add(m.room());
        }
        return out;
    }

    /** Waits until the running command installed {@code version} (failing at once if the command ended). */
    private static void awaitVersion(TwoNodeCluster c, Cli.Running run, long version) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (c.store.version() != version) {
            if (run.code().isDone()) {
                throw new AssertionError("ended before installing version " + version + ": " + run.await(1));
            }
            assertThat(System.nanoTime() - deadline).as("map version " + version + " within 10 s").isNegative();
            Thread.sleep(20);
        }
    }

    @Test
    void shouldInstallTheMapWatchTheMovesToTheEndAndResumeOnASecondApply() throws Exception {
        try (TwoNodeCluster c = new TwoNodeCluster(endpoint, "apply-progress")) {
            Path file = planAdd(c);
            Plan plan = read(file);
            Cli.Running run = Cli.start(args(c, "apply", file.toString(), "--timeout", "30"));
            awaitVersion(c, run, 2);
            assertThat(c.store.readMap().sameOwnership(plan.target())).isTrue();
            assertThat(c.store.readMap().member("n3").state()).isEqualTo(NodeState.ACTIVE);

            // The sources see the map and list what they must hand over; the destination already lists
            // every room: not done while a source still has it to hand over.
            Map<String, List<Long>> sources = bySource(plan);
            sources.forEach((node, rooms) -> c.store.publishOutgoing(node, 2, rooms));
            for (Move m : plan.moves()) {
                c.n3.room(m.room(), m.viewers(), 1);
            }
            Thread.sleep(1_500);
            assertThat(run.code()).isNotDone();
            assertThat(run.out().toString()).contains("map version 1 -> 2 installed: add n3")
                    .contains("moves 0/" + plan.moves().size() + " done, " + sources.size() + " nodes still handing over, ");

            // Each room: the source drops it from its outgoing set.
            for (Move m : plan.moves()) {
                c.node(m.from()).drop(m.room());
                c.store.removeOutgoing(m.from(), m.room());
            }
            Cli.Result r = run.await(30);
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(r.out()).contains("moves " + plan.moves().size() + "/" + plan.moves().size()
                    + " done, 0 nodes still handing over")
                    .contains("all " + plan.moves().size() + " moves done in ");
            Move first = plan.moves().get(0);
            assertThat(r.out()).containsPattern(first.room() + "\\s+" + first.from() + "\\s+n3\\s+moved");
            assertThat(r.out()).doesNotContain("pending");

            // Again: the map is already there; the watch finds everything done.
            Cli.Result again = Cli.run(args(c, "apply", file.toString()));
            assertThat(again.code()).as(again.toString()).isZero();
            assertThat(again.out()).contains("map version 2 already gives every room this plan's owner (applied before)")
                    .contains("all " + plan.moves().size() + " moves done");
            assertThat(c.store.version()).isEqualTo(2);
        }
    }

    @Test
    void shouldRefuseAPlanMadeFromAnOlderMapWithExit3() throws Exception {
        try (TwoNodeCluster c = new TwoNodeCluster(endpoint, "apply-stale")) {
            Path file = planAdd(c);
            // Someone else changes the owners first.
            ShardMap now = c.store.readMap();
            c.store.compareAndSet(1, now.with(now.member("n2").withWeight(5)));
            Cli.Result r = Cli.run(args(c, "apply", file.toString()));
            assertThat(r.code()).isEqualTo(3);
            assertThat(r.err()).isEqualTo("error: stale plan: it was made from map version 1, the map is now at version 2 "
                    + "with other owners; make a new plan\n");
            assertThat(c.store.readMap().member("n3")).isNull();
        }
    }

    @Test
    void shouldTimeOutNamingThePendingRoomsAndWhy() throws Exception {
        try (TwoNodeCluster c = new TwoNodeCluster(endpoint, "apply-timeout")) {
            Path file = planAdd(c);
            Plan plan = read(file);
            c.store.publishOutgoing("n1", 2, bySource(plan).getOrDefault("n1", List.of()));
            c.store.publishOutgoing("n2", 1, List.of());
            Cli.Result r = Cli.run(args(c, "apply", file.toString(), "--timeout", "1"));
            assertThat(r.code()).as(r.toString()).isEqualTo(1);
            int n = plan.moves().size();
            assertThat(r.err().lines()).singleElement().asString()
                    .startsWith("error: timed out after 1 s: " + n + " of " + n + " moves pending (rooms "
                            + plan.moves().get(0).room() + ", ")
                    .endsWith(" and " + (n - 10) + " more)");
            assertThat(r.out()).contains("pending: n1 still has it to hand over")
                    .contains("pending: n2 has synced only to map version 1 (waiting for 2)");
            c.store.publishOutgoing("n2", 2, List.of());
            Cli.Result dest = Cli.run(args(c, "apply", file.toString(), "--timeout", "1"));
            assertThat(dest.code()).isEqualTo(1);
            assertThat(dest.out()).contains("pending: n3 does not list it yet");
            c.store.unregister("n1");
            Cli.Result dead = Cli.run(args(c, "apply", file.toString(), "--timeout", "1"));
            assertThat(dead.out()).contains("pending: n1 has published no outgoing rooms yet (waiting for 2); n1 is not live "
                    + "(lease none)");
        }
    }

    @Test
    void shouldRefuseAPlanForAnotherClusterOrABadFile() throws Exception {
        try (TwoNodeCluster c = new TwoNodeCluster(endpoint, "apply-files")) {
            Path file = planAdd(c);
            Cli.Result other = Cli.run("router", "--redis", redis.uri(), "--cluster", "elsewhere", "apply", file.toString());
            assertThat(other.code()).isEqualTo(1);
            assertThat(other.err()).isEqualTo("error: plan " + file + " is for cluster 'apply-files', not 'elsewhere' "
                    + "(give --cluster apply-files)\n");

            Cli.Result missing = Cli.run(args(c, "apply", tmp.resolve("nope.json").toString()));
            assertThat(missing.code()).isEqualTo(1);
            assertThat(missing.err()).isEqualTo("error: no plan file " + tmp.resolve("nope.json") + "\n");

            Path bad = tmp.resolve("bad.json");
            Files.writeString(bad, "{\"fromVersion\": 1}");
            Cli.Result invalid = Cli.run(args(c, "apply", bad.toString()));
            assertThat(invalid.code()).isEqualTo(1);
            assertThat(invalid.err()).isEqualTo("error: " + bad + ": plan: 'description' must be a string\n");
            assertThat(c.store.version()).isEqualTo(1);
        }
    }

    @Test
    void shouldDrainANodeInOneStep() throws Exception {
        try (TwoNodeCluster c = new TwoNodeCluster(endpoint, "drain")) {
            Path file = tmp.resolve("drain.json");
            Cli.Running run = Cli.start(args(c, "drain", "n2", "--window", "0", "--out", file.toString(), "--timeout", "30"));
            awaitVersion(c, run, 2);
            Plan plan = read(file);
            assertThat(plan.moves()).isNotEmpty().allSatisfy(m -> assertThat(m.to()).isEqualTo("n1"));
            c.store.publishOutgoing("n1", 2, List.of());
            c.store.publishOutgoing("n2", 2, List.of());
            // Handed over, but not done until the destination lists the rooms.
            Thread.sleep(1_200);
            assertThat(run.code()).isNotDone();
            assertThat(run.out().toString()).contains("moves 0/" + plan.moves().size() + " done, 1 node still handing over");
            for (Move m : plan.moves()) {
                c.n1.room(m.room(), 0, 0);
            }
            Cli.Result r = run.await(30);
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(r.out()).contains("change: drain n2, move window 0 ms").contains("all " + plan.moves().size()
                    + " moves done");
            assertThat(c.store.readMap().member("n2").state()).isEqualTo(NodeState.DRAINING);
        }
    }
}
