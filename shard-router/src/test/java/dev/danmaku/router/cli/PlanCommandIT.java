package dev.danmaku.router.cli;

import dev.danmaku.router.plan.Move;
import dev.danmaku.router.plan.Plan;
import dev.danmaku.router.plan.Planner;
import dev.danmaku.router.store.RedisEndpoint;
import dev.danmaku.router.store.Registration;
import dev.danmaku.testkit.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code router plan} against a real redis-server and {@link FakeNode} admin APIs. */
@Timeout(60)
class PlanCommandIT {
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

    private Cli.Result plan(String cluster, String... change) {
        String[] args = new String[6 + change.length];
        System.arraycopy(new String[]{"router", "--redis", redis.uri(), "--cluster", cluster, "plan"}, 0, args, 0, 6);
        System.arraycopy(change, 0, args, 6, change.length);
        return Cli.run(args);
    }

    @Test
    void shouldPlanAddingARegisteredNodeWithEveryMoveGoingToItAsThePlannerSays() throws Exception {
        try (TwoNodeCluster c = new TwoNodeCluster(endpoint, "plan-add")) {
            Path file = tmp.resolve("add.json");
            Cli.Result r = plan(c.name, "--add", c.n3.address(), "--out", file.toString());
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(r.err()).isEmpty();

            Plan expected = Planner.plan(c.map, Planner.add(c.map, TwoNodeCluster.member(c.n3)),
                    "add n3 (" + c.n3.address() + ")", c.rooms());
            PlanJson.Document doc = PlanJson.read(Files.readString(file));
            Plan got = doc.plan();
            assertThat(doc.cluster()).isEqualTo("plan-add");
            assertThat(got.fromVersion()).isEqualTo(1);
            assertThat(got.target().version()).isEqualTo(2);
            assertThat(got.target().sameOwnership(expected.target())).isTrue();
            assertThat(got.rooms()).isEqualTo(TwoNodeCluster.ROOMS);
            assertThat(got.moves()).isNotEmpty().allSatisfy(m -> assertThat(m.to()).isEqualTo("n3"));
            assertThat(got.moves()).isEqualTo(expected.moves());
            assertThat(got.roomsAfter()).isEqualTo(expected.roomsAfter());

            int moved = got.moves().size();
            assertThat(r.out()).contains("change: add n3 (" + c.n3.address() + ")")
                    .contains("map version 1 -> 2, move window 10000 ms")
                    .contains("rooms moving: " + moved + " of 200 (")
                    .contains("ideal 33.3%)")
                    .contains("to hand over: " + got.viewersMoved() + " viewers, ")
                    .containsPattern("n3\\s+active\\s+1\\s+0\\s+" + moved + "\\s+33\\.3%")
                    .contains("plan written to " + file);

            // By id it is the same plan.
            Path byId = tmp.resolve("by-id.json");
            assertThat(plan(c.name, "--add", "n3", "--out", byId.toString()).code()).isZero();
            assertThat(PlanJson.read(Files.readString(byId)).plan().moves()).isEqualTo(got.moves());
        }
    }

    @Test
    void shouldPlanDrainRemoveAndWeightAndKeepANewWindow() throws Exception {
        try (TwoNodeCluster c = new TwoNodeCluster(endpoint, "plan-kinds")) {
            Path drain = tmp.resolve("drain.json");
            assertThat(plan(c.name, "--drain", "n2", "--window", "2500", "--out", drain.toString()).code()).isZero();
            Plan d = PlanJson.read(Files.readString(drain)).plan();
            assertThat(d.moves()).hasSize(d.roomsBefore().get("n2")).allSatisfy(m -> {
                assertThat(m.from()).isEqualTo("n2");
                assertThat(m.to()).isEqualTo("n1");
            });
            assertThat(d.target().moveWindowMs()).isEqualTo(2500);
            assertThat(d.target().member("n2").state().label()).isEqualTo("draining");

            Path remove = tmp.resolve("remove.json");
            assertThat(plan(c.name, "--remove", "n1", "--out", remove.toString()).code()).isZero();
            Plan rm = PlanJson.read(Files.readString(remove)).plan();
            assertThat(rm.target().member("n1")).isNull();
            assertThat(rm.moves()).extracting(Move::from).containsOnly("n1");

            Path weight = tmp.resolve("weight.json");
            Cli.Result w = plan(c.name, "--weight", "n1=3", "--out", weight.toString());
            assertThat(w.code()).as(w.toString()).isZero();
            assertThat(PlanJson.read(Files.readString(weight)).plan().share().get("n1")).isEqualTo(0.75);
            assertThat(w.out()).contains("ideal 25.0%");
        }
    }

    @Test
    void shouldRefuseUnknownNodesAndAddressesWithOneLine() throws Exception {
        try (TwoNodeCluster c = new TwoNodeCluster(endpoint, "plan-errors")) {
            Cli.Result unknown = plan(c.name, "--remove", "n9", "--out", tmp.resolve("x.json").toString());
            assertThat(unknown.code()).isEqualTo(1);
            assertThat(unknown.err()).isEqualTo("error: no node 'n9' in the map (version 1)\n");

            Cli.Result address = plan(c.name, "--add", "ws://127.0.0.1:1/ws");
            assertThat(address.code()).isEqualTo(1);
            assertThat(address.err().lines()).singleElement().asString()
                    .startsWith("error: no registered node has address ws://127.0.0.1:1/ws in cluster plan-errors (registered: n1 ");

            Cli.Result id = plan(c.name, "--add", "n7");
            assertThat(id.code()).isEqualTo(1);
            assertThat(id.err()).startsWith("error: no node 'n7' is registered in cluster plan-errors");

            FakeNode n4 = new FakeNode("n4");
            Registration stale = n4.registration();
            n4.close();
            c.store.renew(stale, 1);
            Thread.sleep(20);
            Cli.Result expired = plan(c.name, "--add", "n4");
            assertThat(expired.code()).isEqualTo(1);
            assertThat(expired.err().lines()).singleElement().asString()
                    .matches("error: node n4 \\(ws://.*\\) is registered but its lease expired \\d+ s ago: is it running\\?");

            Cli.Result already = plan(c.name, "--add", "n1");
            assertThat(already.code()).isEqualTo(1);
            assertThat(already.err()).startsWith("error: nothing to change: node n1 is already active in map version 1");

            assertThat(Files.list(tmp)).isEmpty();
        }
    }

    @Test
    void shouldAskForExactlyOneChange() {
        Cli.Result two = plan("plan-usage", "--add", "n1", "--drain", "n2");
        assertThat(two.code()).isEqualTo(2);
        assertThat(two.err()).isEqualTo("error: 2 changes given: a plan makes exactly one of --add, --remove, --weight, --drain\n"
                + "try 'danmaku router plan --help'\n");
        Cli.Result none = plan("plan-usage");
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.err()).startsWith("error: no change given: a plan makes exactly one of");
        Cli.Result weight = plan("plan-usage", "--weight", "n1");
        assertThat(weight.code()).isEqualTo(2);
        assertThat(weight.err()).startsWith("error: --weight must be NODE=WEIGHT, got 'n1'");
        Cli.Result window = plan("plan-usage", "--drain", "n1", "--window", "-1");
        assertThat(window.code()).isEqualTo(2);
        assertThat(window.err()).startsWith("error: --window must be 0-3600000 ms, got -1");
    }

    @Test
    void shouldRefuseToPlanWithoutTheRoomsOfAnUnreachableNodeUnlessTold() throws Exception {
        try (TwoNodeCluster c = new TwoNodeCluster(endpoint, "plan-unreachable")) {
            c.n2.close();
            Cli.Result refused = plan(c.name, "--add", "n3", "--out", tmp.resolve("p.json").toString());
            assertThat(refused.code()).isEqualTo(1);
            assertThat(refused.err().lines()).singleElement().asString()
                    .startsWith("error: n2's admin " + c.n2.admin() + " did not answer /rooms (connection refused)")
                    .endsWith("; --ignore-unreachable plans without its rooms");

            Cli.Result told = plan(c.name, "--add", "n3", "--ignore-unreachable", "--out", tmp.resolve("p.json").toString());
            assertThat(told.code()).as(told.toString()).isZero();
            assertThat(told.err()).startsWith("warning: n2's admin").contains("its rooms are not in this plan");
            Plan p = PlanJson.read(Files.readString(tmp.resolve("p.json"))).plan();
            assertThat(p.moves()).extracting(Move::from).containsOnly("n1");
        }
    }
}
