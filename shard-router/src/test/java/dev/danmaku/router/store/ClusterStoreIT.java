package dev.danmaku.router.store;

import dev.danmaku.router.Member;
import dev.danmaku.router.NodeState;
import dev.danmaku.router.ShardMap;
import dev.danmaku.testkit.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The cluster's state in a real redis-server: compare-and-set, leases, outgoing sets, handoffs, events. */
@Timeout(60)
class ClusterStoreIT {
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

    private static Member node(String id, int port) {
        return new Member(id, "ws://127.0.0.1:" + port + "/ws", "http://127.0.0.1:" + (port + 1), 1, NodeState.ACTIVE);
    }

    @Test
    void shouldInstallAMapOnlyFromTheVersionItWasMadeFrom() throws Exception {
        try (ClusterStore store = new ClusterStore(endpoint, "cas")) {
            assertThat(store.readMap()).isEqualTo(ShardMap.EMPTY);
            LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();
            store.subscribe(events::add);
            ShardMap one = store.compareAndSet(0, ShardMap.EMPTY.with(node("a", 7000)).next(1, "first"));
            assertThat(one.version()).isEqualTo(1);
            assertThat(store.readMap()).isEqualTo(one);
            assertThat(store.version()).isEqualTo(1);
            assertThat(events.poll(5, TimeUnit.SECONDS)).isEqualTo("map 1");

            ShardMap two = store.compareAndSet(1, one.with(node("b", 7002)));
            assertThat(two.version()).isEqualTo(2);
            // A second writer that read version 1 is refused and nothing changes.
            assertThatThrownBy(() -> store.compareAndSet(1, one.with(node("c", 7004))))
                    .isInstanceOf(StaleMapException.class)
                    .hasMessage("the shard map is at version 2, not 1 (someone changed it; plan again)");
            assertThat(store.readMap()).isEqualTo(two);
            assertThat(store.readMap().member("c")).isNull();
        }
    }

    @Test
    void shouldKeepALeaseOnlyWhileItIsRenewed() throws Exception {
        try (ClusterStore store = new ClusterStore(endpoint, "leases")) {
            Registration r = new Registration("a", "ws://127.0.0.1:7000/ws", "http://127.0.0.1:7001", 5, 42);
            long now = store.renew(r, 400);
            assertThat(Math.abs(now - System.currentTimeMillis())).isLessThan(5_000);
            assertThat(store.leases().live("a")).isTrue();
            assertThat(store.registrations()).containsEntry("a", r);
            Thread.sleep(600);
            assertThat(store.leases().live("a")).isFalse();
            store.renew(r, 10_000);
            assertThat(store.leases().live("a")).isTrue();
            store.releaseLease("a");
            assertThat(store.leases().live("a")).isFalse();
            assertThat(store.registrations()).containsKey("a");
            store.unregister("a");
            assertThat(store.registrations()).doesNotContainKey("a");
        }
    }

    @Test
    void shouldTrackOutgoingRoomsAndHandoffDocuments() throws Exception {
        try (ClusterStore store = new ClusterStore(endpoint, "handoff")) {
            LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();
            store.subscribe(events::add);
            store.publishOutgoing("a", 3, List.of(5L, -2L));
            assertThat(events.poll(5, TimeUnit.SECONDS)).isEqualTo("outgoing a");
            assertThat(store.outgoing()).containsEntry("a", new Outgoing("a", 3, Set.of(5L, -2L)));
            byte[] doc = {1, 2, 3, 0, (byte) 0xFF};
            store.putHandoffs("a", List.of(new ClusterStore.Handoff(-2L, "b", doc)), 10_000);
            assertThat(events.poll(5, TimeUnit.SECONDS)).isEqualTo("handoff 18446744073709551614 a b");
            assertThat(store.handoff(-2L)).containsExactly(doc);
            assertThat(store.outgoing().get("a").rooms()).containsExactly(5L);
            store.takenHandoffs("b", new long[]{-2L}, 1);
            assertThat(store.handoff(-2L)).isNull();
            assertThat(store.handoff(5L)).isNull();
        }
    }

    @Test
    void shouldWriteManyHandoffsAndCheckThemInOneRoundTripEach() throws Exception {
        try (ClusterStore store = new ClusterStore(endpoint, "batch")) {
            LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();
            store.subscribe(events::add);
            store.publishOutgoing("a", 4, List.of(1L, 2L, 3L));
            assertThat(events.poll(5, TimeUnit.SECONDS)).isEqualTo("outgoing a");
            store.putHandoffs("a", List.of(new ClusterStore.Handoff(1, "b", new byte[]{1}),
                    new ClusterStore.Handoff(2, "c", new byte[]{2, 2})), 10_000);
            // Documents first, then out of the outgoing set, each announced.
            assertThat(store.handoff(1)).containsExactly(1);
            assertThat(store.handoff(2)).containsExactly(2, 2);
            assertThat(store.outgoing().get("a").rooms()).containsExactly(3L);
            assertThat(List.of(events.poll(5, TimeUnit.SECONDS), events.poll(5, TimeUnit.SECONDS)))
                    .containsExactly("handoff 1 a b", "handoff 2 a c");
            // ... and on each new owner's incoming list until it takes the document.
            assertThat(store.incoming("b")).containsExactly(1L);
            assertThat(store.incoming("c")).containsExactly(2L);
            List<byte[]> fetched = store.handoffs(new long[]{2, 1, 9}, 3);
            assertThat(fetched.get(0)).containsExactly(2, 2);
            assertThat(fetched.get(1)).containsExactly(1);
            assertThat(fetched.get(2)).isNull();
            store.takenHandoffs("b", new long[]{1}, 1);
            assertThat(store.incoming("b")).isEmpty();
            store.forgetIncoming("c", 2);
            assertThat(store.incoming("c")).isEmpty();
            assertThat(store.handoffsPending(new long[]{1, 2, 3}, 3)).containsExactly(false, true, false);
            assertThat(store.handoffsPending(new long[]{2}, 0)).isEmpty();
        }
    }

    @Test
    void shouldRefuseABadClusterName() {
        assertThatThrownBy(() -> new ClusterStore(endpoint, "a b")).hasMessageContaining("cluster name must be");
    }
}
