package dev.danmaku.router.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.danmaku.router.Member;
import dev.danmaku.router.NodeState;
import dev.danmaku.router.ShardMap;
import dev.danmaku.router.store.ClusterStore;
import dev.danmaku.router.store.RedisEndpoint;
import dev.danmaku.router.store.Registration;
import dev.danmaku.testkit.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code router status} against a real redis-server and nodes' admin APIs served by {@link FakeNode}. */
@Timeout(60)
class StatusCommandIT {
    private static RedisServer redis;
    private static RedisEndpoint endpoint;

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

    private static Member member(FakeNode n) {
        return new Member(n.id, n.address(), n.admin(), 1, NodeState.ACTIVE);
    }

    /** n1 live with rooms and an outgoing room, n2 in the map with an expired lease, n3 registered only. */
    private static void threeNodes(String cluster, FakeNode n1, FakeNode n2, FakeNode n3) throws Exception {
        try (ClusterStore store = new ClusterStore(endpoint, cluster)) {
            n1.room(9001, 2, 5).room(9002, 3, 5).room(9003, 0, 0);
            n1.mapVersion = 1;
            store.compareAndSet(0, ShardMap.EMPTY.with(member(n1)).with(member(n2)).next(1, "test"));
            store.renew(n1.registration(), 60_000);
            store.renew(n2.registration(), 1);
            store.renew(n3.registration(), 60_000);
            store.publishOutgoing("n1", 1, List.of(9003L));
            Thread.sleep(20);
        }
    }

    private static String line(String out, String node) {
        return Arrays.stream(out.split("\n")).filter(l -> l.startsWith(node + " ")).findFirst().orElseThrow(
                () -> new AssertionError("no line for " + node + " in:\n" + out));
    }

    @Test
    void shouldListMapMembersAndRegisteredNodesWithLeasesRoomsAndRates() throws Exception {
        try (FakeNode n1 = new FakeNode("n1"); FakeNode n2 = new FakeNode("n2"); FakeNode n3 = new FakeNode("n3")) {
            threeNodes("status-text", n1, n2, n3);
            // --redis after the subcommand works as well as before it.
            Cli.Result r = Cli.run("router", "--cluster", "status-text", "status", "--redis", redis.uri());
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(r.err()).isEmpty();
            assertThat(r.out()).contains("cluster status-text at " + redis.uri())
                    .contains("map version 1, move window 10000 ms").contains("(test)");
            assertThat(line(r.out(), "n1").split("\\s+")).startsWith("n1", "active", "1", n1.address(), "live", "3", "5");
            assertThat(line(r.out(), "n1").split("\\s+")[8]).isEqualTo("1"); // outgoing
            assertThat(line(r.out(), "n2")).contains("active").containsPattern("expired \\d+ s ago");
            assertThat(line(r.out(), "n3")).contains("registered").contains("live")
                    .contains("not in the map: 'router plan --add n3'");
        }
    }

    @Test
    void shouldPrintTheSameAsOneJsonObject() throws Exception {
        try (FakeNode n1 = new FakeNode("n1"); FakeNode n2 = new FakeNode("n2"); FakeNode n3 = new FakeNode("n3")) {
            threeNodes("status-json", n1, n2, n3);
            Cli.Result r = Cli.run("router", "--redis", redis.uri(), "--cluster", "status-json", "status", "--json");
            assertThat(r.code()).as(r.toString()).isZero();
            JsonNode root = new ObjectMapper().readTree(r.out());
            assertThat(root.path("version").asLong()).isEqualTo(1);
            assertThat(root.path("map").path("nodes")).hasSize(2);
            JsonNode nodes = root.path("nodes");
            assertThat(nodes).hasSize(3);
            JsonNode a = nodes.get(0);
            assertThat(a.path("id").asText()).isEqualTo("n1");
            assertThat(a.path("lease").asText()).isEqualTo("live");
            assertThat(a.path("rooms").asLong()).isEqualTo(3);
            assertThat(a.path("viewers").asLong()).isEqualTo(5);
            assertThat(a.path("outgoing").asInt()).isEqualTo(1);
            assertThat(a.path("syncedVersion").asLong()).isEqualTo(1);
            assertThat(a.path("bulletsPerSecond").asDouble()).isBetween(FakeNode.RATE / 2, FakeNode.RATE * 2);
            assertThat(nodes.get(1).path("lease").asText()).startsWith("expired ");
            assertThat(nodes.get(1).path("leaseExpiresInMs").asLong()).isNegative();
            assertThat(nodes.get(2).path("state").asText()).isEqualTo("registered");
            assertThat(nodes.get(2).path("weight").isNull()).isTrue();
        }
    }

    @Test
    void shouldPrintUnknownValuesAsDashesAndNameAnUnreachableAdmin() throws Exception {
        try (FakeNode old = new FakeNode("old")) {
            old.minimalHealth = true;
            FakeNode gone = new FakeNode("gone");
            Registration goneReg = gone.registration();
            gone.close();
            try (ClusterStore store = new ClusterStore(endpoint, "status-partial")) {
                store.compareAndSet(0, ShardMap.EMPTY.with(member(old)).next(1, ""));
                store.renew(old.registration(), 60_000);
                store.renew(goneReg, 60_000);
            }
            Cli.Result r = Cli.run("router", "--redis", redis.uri(), "--cluster", "status-partial", "status");
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(line(r.out(), "old").split("\\s+")).startsWith("old", "active", "1", old.address(), "live", "-", "-",
                    "-", "-");
            assertThat(line(r.out(), "gone")).contains("registered").contains("admin unreachable (connection refused)");
        }
    }

    @Test
    void shouldSayWhenThereIsNoMapAndNoNode() {
        Cli.Result r = Cli.run("router", "--redis", redis.uri(), "--cluster", "status-empty", "status");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("no map yet (version 0)").contains("no node in the map and none registered");
    }

    @Test
    void shouldFailWithOneLineWhenRedisIsUnreachable() throws Exception {
        int port = RedisServer.freePort();
        Cli.Result r = Cli.run("router", "--redis", "redis://127.0.0.1:" + port, "status");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().lines()).singleElement().asString()
                .startsWith("error: cannot reach Redis at redis://127.0.0.1:" + port + ": ");
    }

    @Test
    void shouldRefuseABadRedisUriAsAUsageError() {
        Cli.Result r = Cli.run("router", "--redis", "http://x", "status");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: --redis: expected redis://HOST:PORT");
    }
}
