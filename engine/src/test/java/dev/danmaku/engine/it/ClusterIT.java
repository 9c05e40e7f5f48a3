package dev.danmaku.engine.it;

import dev.danmaku.codec.FrameDecoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.RedirectDecoder;
import dev.danmaku.codec.RoomInfoDecoder;
import dev.danmaku.engine.cluster.Epochs;
import dev.danmaku.router.ShardMap;
import dev.danmaku.router.plan.Planner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three, then four node processes and a real redis-server on loopback: REDIRECT for every request
 * type, and rooms moving live (a node added, a node removed) while senders and viewers keep going,
 * with nothing acknowledged lost, nothing duplicated and every viewer resumed.
 */
@Timeout(300)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
    @TempDir
    static Path dir;
    static ClusterFixture cluster;

    @BeforeAll
    static void start() throws Exception {
        // A retry must come inside the duplicate window to be recognised; the router case retries
        // after a whole drain, which on a loaded machine can take longer than the default 5 s.
        cluster = new ClusterFixture(dir, "filter.dedup-window-ms=60000");
        for (String id : List.of("n1", "n2", "n3")) {
            cluster.startNode(id);
        }
        cluster.addActive(2_000, "n1", "n2", "n3");
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static long roomOwnedBy(ShardMap map, String id, long from) {
        for (long r = from; ; r++) {
            if (id.equals(map.ownerId(r))) {
                return r;
            }
        }
    }

    @Test
    @Order(1)
    void shouldRedirectEveryRequestForARoomOwnedElsewhereAndServeItAtItsOwner() throws Exception {
        ShardMap map = cluster.store().readMap();
        long room = roomOwnedBy(map, "n2", 1000);
        String owner = map.member("n2").address();
        FrameDecoder d = FrameDecoder.forClient();
        try (WsTestClient other = WsTestClient.connect(cluster.address("n1"), true)) {
            for (FrameType type : List.of(FrameType.CREATE_ROOM, FrameType.CHECK_ROOM)) {
                other.roomRequest(type, room, 7);
                other.await(FrameType.REDIRECT, d, 5_000);
                assertThat(d.redirect().kind()).as(type.name()).isEqualTo(RedirectDecoder.KIND_REDIRECT);
                assertThat(d.redirect().address()).isEqualTo(owner);
                assertThat(d.redirect().roomId()).isEqualTo(room);
            }
            other.join(room, 0);
            other.await(FrameType.REDIRECT, d, 5_000);
            assertThat(d.redirect().address()).isEqualTo(owner);
            other.bullet(room, 7, "u7", "hello", "");
            other.await(FrameType.REDIRECT, d, 5_000);
            assertThat(d.redirect().address()).isEqualTo(owner);
        }
        try (WsTestClient at = WsTestClient.connect(URI.create(owner), true)) {
            at.roomRequest(FrameType.CREATE_ROOM, room, 7);
            at.await(FrameType.ROOM_INFO, d, 5_000);
            RoomInfoDecoder info = d.roomInfo();
            assertThat(info.flags() & RoomInfoDecoder.FLAG_CREATED).isNotZero();
            assertThat(info.epoch()).as("a room created under map v%d", map.version()).isEqualTo(Epochs.term(map.version()));
            at.bullet(room, 7, "u7", "hello", "");
            at.await(FrameType.ACK, d, 5_000);
            assertThat(d.ack().sequence()).isEqualTo(1);
        }
    }

    /** A sender and a viewer per room, started at arbitrary nodes (they follow redirects). */
    private static final class Load {
        final List<Long> ids;
        final Map<Long, FollowingPeers.Viewer> viewers = new HashMap<>();
        final Map<Long, FollowingPeers.Sender> senders = new HashMap<>();

        Load(List<Long> ids, List<URI> seeds) throws Exception {
            this.ids = ids;
            ShardMap map = cluster.store().readMap();
            FrameDecoder d = FrameDecoder.forClient();
            for (long r : ids) {
                try (WsTestClient c = WsTestClient.connect(URI.create(map.owner(r).address()), true)) {
                    c.roomRequest(FrameType.CREATE_ROOM, r, 1);
                    c.await(FrameType.ROOM_INFO, d, 5_000);
                }
            }
            for (long r : ids) {
                FollowingPeers.Viewer v = new FollowingPeers.Viewer(seeds.get(0), r);
                v.seeds = seeds;
                viewers.put(r, v.start());
            }
            ClusterFixture.await(() -> viewers.values().stream().allMatch(FollowingPeers.Viewer::joined), 20_000, "viewers joined");
            for (long r : ids) {
                FollowingPeers.Sender s = new FollowingPeers.Sender(seeds.get(seeds.size() - 1), r, 100 + r, 100_000, 20);
                s.seeds = seeds;
                senders.put(r, s.start());
            }
        }

        /** Stops the senders, waits for the viewers, checks: every ack delivered once, gapless; returns viewers moved. */
        int finishAndCheck() throws Exception {
            for (FollowingPeers.Sender s : senders.values()) {
                s.stop();
            }
            for (FollowingPeers.Sender s : senders.values()) {
                s.join(15_000);
                assertThat(s.failure()).isNull();
            }
            Map<Long, Long> lastAcked = new HashMap<>();
            for (long r : ids) {
                lastAcked.put(r, senders.get(r).acks.values().stream().mapToLong(a -> a[1]).max().orElse(0));
            }
            ClusterFixture.await(() -> ids.stream().allMatch(r -> viewers.get(r).lastSeq() >= lastAcked.get(r)), 20_000,
                    "every viewer caught up with the last acknowledged bullet");
            int movedViewers = 0;
            for (long r : ids) {
                FollowingPeers.Viewer v = viewers.get(r);
                v.stop();
                FollowingPeers.Sender s = senders.get(r);
                assertThat(v.failure()).as("viewer of %d", r).isNull();
                assertThat(v.problems).as("viewer of room %d", r).isEmpty();
                assertThat(s.errors).as("sender of room %d", r).isEmpty();
                // Every acknowledged bullet delivered, exactly once: the acked seqs are distinct and all seen.
                TreeSet<Long> acked = new TreeSet<>();
                for (long[] a : s.acks.values()) {
                    assertThat(acked.add(a[1])).as("room %d: seq %d acknowledged twice", r, a[1]).isTrue();
                }
                assertThat(new TreeSet<>(v.seqs)).as("room %d delivered", r).containsAll(acked);
                assertThat(acked).as("room %d: acknowledged seqs are gapless from 1", r)
                        .containsExactlyElementsOf(range(1, acked.size()));
                System.out.printf("room %d: acked %d (retry acks %d, redirects %d, retries %d); viewer delivered %d, "
                                + "moved %d, recovered %d, epochs crossed %d%n", r, acked.size(), s.retryAcks.get(),
                        s.redirects.get(), s.retries.get(), v.delivered(), v.moved.get(), v.recovered.get(),
                        v.epochsCrossed.get());
                if (v.moved.get() > 0) {
                    movedViewers++; // (a MOVED before the first JOINED is answered by a fresh JOIN, not a resume)
                }
            }
            return movedViewers;
        }
    }

    private static List<Long> rooms(long from, int n) {
        List<Long> ids = new ArrayList<>();
        for (long r = from; ids.size() < n; r++) {
            ids.add(r);
        }
        return ids;
    }

    @Test
    @Order(2)
    void shouldMoveRoomsToAnAddedNodeAndFromARemovedOneWithoutLosingOrDuplicatingABullet() throws Exception {
        List<Long> ids = rooms(50_001, 16);
        Load load = new Load(ids, List.of(cluster.address("n1"), cluster.address("n2"), cluster.address("n3")));
        Thread.sleep(1_500);

        // Add n4: about a quarter of the rooms move to it, spread over the 2 s window.
        cluster.startNode("n4");
        ShardMap added = cluster.addActive(2_000, "n4");
        List<Long> toN4 = ids.stream().filter(r -> "n4".equals(added.ownerId(r))).toList();
        cluster.awaitMovesDone(30_000);
        Thread.sleep(1_000);
        ClusterFixture.await(() -> cluster.rooms(cluster.node("n4")).keySet().containsAll(toN4), 5_000,
                "the moved rooms listed at n4");

        // Remove n1: its rooms go to the others.
        ShardMap before = cluster.store().readMap();
        List<Long> fromN1 = ids.stream().filter(r -> "n1".equals(before.ownerId(r))).toList();
        ShardMap removed = cluster.change(Planner.remove(before, "n1"));
        cluster.awaitMovesDone(30_000);
        Thread.sleep(1_000);
        ClusterFixture.await(() -> cluster.rooms(cluster.node("n1")).isEmpty(), 5_000, "n1 holds nothing");
        assertThat(removed.member("n1")).isNull();

        int moved = load.finishAndCheck();
        assertThat(toN4.size() + fromN1.size()).as("some rooms moved").isPositive();
        assertThat(moved).as("viewers told MOVED").isGreaterThanOrEqualTo(toN4.size() + fromN1.size());
    }

    /** Posts {@code n} bullets to {@code room} at {@code node}, waiting for each ACK. */
    private static void post(String node, long room, int n, String what) throws Exception {
        FrameDecoder d = FrameDecoder.forClient();
        try (WsTestClient c = WsTestClient.connect(cluster.address(node), true)) {
            for (int i = 0; i < n; i++) {
                c.bullet(room, 7, "u7", what + " in " + room + ": " + i, "");
                byte[] f = c.poll(5_000);
                while (f != null && d.decode(new org.agrona.concurrent.UnsafeBuffer(f), 0, f.length) == 0
                        && d.type() != FrameType.ACK && d.type() != FrameType.ERROR && d.type() != FrameType.REDIRECT) {
                    f = c.poll(5_000);
                }
                assertThat(f).as("an answer to bullet %d in room %d at %s", i, room, node).isNotNull();
                assertThat(d.type()).as("the answer to bullet %d in room %d at %s: %s", i, room, node,
                        d.type() == FrameType.ERROR ? "ERROR " + d.error().code() : d.type()).isEqualTo(FrameType.ACK);
            }
        }
    }

    /** Moves rooms with per-room overrides and waits until each is listed at its node. */
    private static void pin(Map<Long, String> rooms) throws Exception {
        cluster.change(cluster.store().readMap().withOverrides(rooms).withMoveWindowMs(200));
        cluster.awaitMovesDone(30_000);
        for (Map.Entry<Long, String> e : rooms.entrySet()) {
            ClusterFixture.await(() -> cluster.rooms(cluster.node(e.getValue())).containsKey(e.getKey()), 10_000,
                    "room " + e.getKey() + " listed at " + e.getValue());
        }
    }

    @Test
    @Order(3)
    void shouldResumeExactlyFromTheFirstEpochOfARoomMovedTwiceInARow() throws Exception {
        ShardMap map = cluster.store().readMap();
        long quiet = roomOwnedBy(map, "n2", 70_001);
        long busy = roomOwnedBy(map, "n2", quiet + 1);
        FrameDecoder d = FrameDecoder.forClient();
        Map<Long, long[]> seen = new HashMap<>();
        for (long r : List.of(quiet, busy)) {
            try (WsTestClient c = WsTestClient.connect(cluster.address("n2"), true)) {
                c.roomRequest(FrameType.CREATE_ROOM, r, 1);
                c.await(FrameType.ROOM_INFO, d, 5_000);
            }
            post("n2", r, 5, "at n2");
            try (WsTestClient c = WsTestClient.connect(cluster.address("n2"), true)) {
                c.join(r, 0);
                c.await(FrameType.JOINED, d, 5_000);
                seen.put(r, new long[]{d.joined().epoch(), d.joined().lastSequence()});
            }
        }
        // n2 -> n3; the busy room gets 3 bullets there; n3 -> n4 at once.
        pin(Map.of(quiet, "n3", busy, "n3"));
        post("n3", busy, 3, "at n3");
        pin(Map.of(quiet, "n4", busy, "n4"));
        try (WsTestClient c = WsTestClient.connect(cluster.address("n4"), true)) {
            for (long r : List.of(quiet, busy)) {
                long[] from = seen.get(r);
                c.resume(r, from[0], from[1]);
                c.await(FrameType.JOINED, d, 5_000);
                assertThat(d.joined().status()).as("room %d resumed from n2's epoch %d seq %d at its third owner", r,
                        from[0], from[1]).isEqualTo(dev.danmaku.codec.JoinedDecoder.STATUS_RECOVERED);
                long n4Epoch = d.joined().epoch();
                long last = d.joined().lastSequence();
                assertThat(n4Epoch).as("a new epoch at n4").isNotEqualTo(from[0]);
                if (r == busy) {
                    assertThat(last).isEqualTo(8);
                    // The three bullets of n3's epoch, in order, labelled with n3's epoch.
                    long next = 6;
                    long n3Epoch = 0;
                    while (next <= 8) {
                        c.await(FrameType.BATCH, d, 5_000);
                        assertThat(d.batch().firstSequence()).isEqualTo(next);
                        n3Epoch = n3Epoch == 0 ? d.batch().epoch() : n3Epoch;
                        assertThat(d.batch().epoch()).isEqualTo(n3Epoch).isNotIn(from[0], n4Epoch);
                        next = d.batch().lastSequence() + 1;
                    }
                } else {
                    assertThat(last).isEqualTo(5);
                }
            }
        }
        pin(Map.of());
    }

    @Test
    @Order(4)
    void shouldFinishARebalanceAcrossARedisRestart() throws Exception {
        List<Long> ids = rooms(60_001, 12);
        Load load = new Load(ids, List.of(cluster.address("n2"), cluster.address("n3"), cluster.address("n4")));
        Thread.sleep(1_000);
        // n1 (still running, no rooms) back in, with a 4 s window; Redis stops (SIGTERM, AOF flushed)
        // a second into it and comes back 3 s later, past the 2 s lease: nodes go stale meanwhile.
        ShardMap map = cluster.addActive(4_000, "n1");
        List<Long> toN1 = ids.stream().filter(r -> "n1".equals(map.ownerId(r))).toList();
        Thread.sleep(1_000);
        cluster.redis().stop();
        Thread.sleep(3_000);
        cluster.redis().restart();
        cluster.awaitMovesDone(60_000);
        ClusterFixture.await(() -> cluster.rooms(cluster.node("n1")).keySet().containsAll(toN1), 10_000,
                "the moved rooms listed at n1");
        assertThat(cluster.store().readMap().version()).as("the map survived the restart").isEqualTo(map.version());
        load.finishAndCheck();
        assertThat(toN1).as("some rooms moved").isNotEmpty();
    }

    /** Runs {@code danmaku router ...} in this JVM against the test cluster; returns the exit code and output. */
    private static String[] router(String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        picocli.CommandLine cl = dev.danmaku.router.cli.RouterMain.commandLine();
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setErr(new java.io.PrintWriter(out, true));
        List<String> all = new ArrayList<>(List.of("router", "--redis", cluster.redis().uri(), "--cluster", "test"));
        all.addAll(List.of(args));
        int code = cl.execute(all.toArray(new String[0]));
        return new String[]{Integer.toString(code), out.toString()};
    }

    @Test
    @Order(5)
    void shouldMoveRoomsWithTheRouterAndResumeAnInterruptedApply() throws Exception {
        List<Long> ids = rooms(80_001, 12);
        Load load = new Load(ids, List.of(cluster.address("n2"), cluster.address("n4")));
        Thread.sleep(500);
        // A bullet acknowledged by n3, whose sender will retry it (same timestamp) after the room moved.
        ShardMap beforeDrain = cluster.store().readMap();
        long retried = roomOwnedBy(beforeDrain, "n3", 90_001);
        FrameDecoder d = FrameDecoder.forClient();
        long ts = System.currentTimeMillis();
        long[] original;
        try (WsTestClient c = WsTestClient.connect(cluster.address("n3"), true)) {
            c.roomRequest(FrameType.CREATE_ROOM, retried, 5);
            c.await(FrameType.ROOM_INFO, d, 5_000);
            c.bullet(ts, retried, 5, "u5", "once only", "");
            c.await(FrameType.ACK, d, 5_000);
            original = new long[]{d.ack().epoch(), d.ack().sequence()};
        }
        Path plan = dir.resolve("drain-n3.json");
        String[] planned = router("plan", "--drain", "n3", "--window", "3000", "--out", plan.toString());
        assertThat(planned[0]).as(planned[1]).isEqualTo("0");
        assertThat(planned[1]).contains("map version").contains("rooms moving");
        // An apply stopped before the moves are done (its 1 s timeout here; Ctrl-C is the same): exit 1 ...
        String[] first = router("apply", plan.toString(), "--timeout", "1");
        assertThat(first[0]).as(first[1]).isEqualTo("1");
        // ... and run again: it finds its map installed and watches the rest through.
        String[] again = router("apply", plan.toString(), "--timeout", "60");
        assertThat(again[0]).as(again[1]).isEqualTo("0");
        assertThat(again[1]).contains("done");
        ClusterFixture.await(() -> cluster.rooms(cluster.node("n3")).isEmpty(), 10_000, "n3 drained");
        String newOwner = cluster.store().readMap().ownerId(retried);
        assertThat(newOwner).isNotEqualTo("n3");
        try (WsTestClient c = WsTestClient.connect(cluster.address(newOwner), true)) {
            c.bullet(ts, retried, 5, "u5", "once only", "");
            c.await(FrameType.ACK, d, 5_000);
            assertThat(d.ack().retry()).as("the retry is recognised at the new owner").isTrue();
            assertThat(new long[]{d.ack().epoch(), d.ack().sequence()}).as("its original ACK").containsExactly(original);
            c.join(retried, 10);
            c.await(FrameType.JOINED, d, 5_000);
            assertThat(d.joined().lastSequence()).as("posted once").isEqualTo(original[1]);
        }
        // Two operators plan from the same map: the first apply wins, the second plan is refused as stale.
        Path a = dir.resolve("weight-n2.json");
        Path b = dir.resolve("weight-n4.json");
        assertThat(router("plan", "--weight", "n2=2", "--window", "1000", "--out", a.toString())[0]).isEqualTo("0");
        assertThat(router("plan", "--weight", "n4=2", "--window", "1000", "--out", b.toString())[0]).isEqualTo("0");
        String[] won = router("apply", a.toString(), "--timeout", "60");
        assertThat(won[0]).as(won[1]).isEqualTo("0");
        String[] refused = router("apply", b.toString());
        assertThat(refused[0]).as(refused[1]).isEqualTo("3");
        assertThat(refused[1]).contains("stale");
        assertThat(cluster.store().readMap().member("n4").weight()).isEqualTo(1.0);
        load.finishAndCheck();
    }

    @Test
    @Order(6)
    void shouldRefuseAnOlderMapThanTheOneItFollows() throws Exception {
        ShardMap current = cluster.store().readMap();
        // Redis losing writes (say, restored from an old snapshot): an older version appears.
        try (var raw = dev.danmaku.router.store.RedisEndpoint.of(cluster.redis().uri(), 2_000)) {
            var c = raw.connect(io.lettuce.core.codec.StringCodec.UTF8);
            var cmd = dev.danmaku.router.store.RedisEndpoint.sync(c);
            ShardMap older = current.atVersion(current.version() - 1).with(
                    current.member("n2").withState(dev.danmaku.router.NodeState.DRAINING));
            cmd.set("danmaku:{danmaku:test}:map", dev.danmaku.router.ShardMapJson.write(older));
            cmd.set("danmaku:{danmaku:test}:version", Long.toString(older.version()));
            for (Map.Entry<String, ChildNode> e : cluster.nodes().entrySet()) {
                ClusterFixture.await(() -> cluster.health(e.getValue()).path("cluster").path("refusedMapVersion").asLong()
                        == older.version(), 10_000, e.getKey() + " refusing the older map");
                var h = cluster.health(e.getValue());
                assertThat(h.path("cluster").path("mapVersion").asLong()).as(e.getKey()).isEqualTo(current.version());
                assertThat(h.path("status").asText()).as(e.getKey()).isEqualTo("degraded");
            }
            // Put the right map back; the nodes go on.
            cmd.set("danmaku:{danmaku:test}:map", dev.danmaku.router.ShardMapJson.write(current));
            cmd.set("danmaku:{danmaku:test}:version", Long.toString(current.version()));
            c.close();
        }
        ClusterFixture.await(() -> cluster.nodes().values().stream().allMatch(n ->
                cluster.health(n).path("cluster").path("refusedMapVersion").asLong() == 0), 10_000, "nodes healthy again");
    }

    private static List<Long> range(long from, int n) {
        List<Long> r = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            r.add(from + i);
        }
        return r;
    }
}
