package dev.danmaku.engine.stage;

import dev.danmaku.codec.ErrorCode;
import dev.danmaku.codec.FrameType;
import dev.danmaku.engine.cluster.ClusterLink;
import dev.danmaku.engine.cluster.Ownership;
import dev.danmaku.engine.filter.AdmitCounters;
import dev.danmaku.engine.filter.DuplicateFilter;
import dev.danmaku.engine.ring.RingEvent;
import dev.danmaku.router.Member;
import dev.danmaku.router.NodeState;
import dev.danmaku.router.ShardMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongHashSet;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The journal stage's side of a handover: a released room answers ROOM_MOVING until the new owner installed it. */
class JournalHandlerClusterTest {
    private static int port(String id) {
        return 7000 + 2 * id.charAt(1);
    }

    private static Member node(String id) {
        return new Member(id, "ws://127.0.0.1:" + port(id) + "/ws", "http://127.0.0.1:" + (port(id) + 1), 1, NodeState.ACTIVE);
    }

    private static final ShardMap BOTH = new ShardMap(2, List.of(node("n1"), node("n2")), Map.of(), 1000, 0, "");

    private long now = 1_000_000;
    private final List<String> told = new ArrayList<>();
    private final JournalHandler stage = new JournalHandler(new NoJournal(), new DuplicateFilter(), new AdmitCounters(),
            () -> now, new SystemNanoClock(), 1000, new StageMetrics());

    private Ownership ownership(ShardMap map, long... handing) {
        LongHashSet h = new LongHashSet();
        for (long r : handing) {
            h.add(r);
        }
        return new Ownership(map, "n1", false, new Long2ObjectHashMap<>(), true, new LongHashSet(),
                Map.of("n1", node("n1").address(), "n2", node("n2").address()), false, new LongHashSet(), h);
    }

    private RingEvent cluster(int kind, long room, Object payload) {
        RingEvent e = new RingEvent();
        e.reset(kind, null, 0);
        e.roomId = room;
        e.payload = payload;
        stage.onEvent(e);
        stage.onEndOfBatch(e);
        return e;
    }

    private RingEvent request(FrameType type, long room) {
        RingEvent e = new RingEvent();
        e.reset(RingEvent.KIND_FRAME, null, 0);
        e.type = type.code();
        e.roomId = room;
        stage.onEvent(e);
        stage.onEndOfBatch(e);
        return e;
    }

    /** n1 alone in the map creates a room that n2 owns once it joins; returns the room. */
    private long roomCreatedHereThatN2WillOwn() {
        stage.cluster("n1", new Link());
        cluster(RingEvent.KIND_CLUSTER, 0, ownership(new ShardMap(1, List.of(node("n1")), Map.of(), 1000, 0, "")));
        long room = 1;
        while (!"n2".equals(BOTH.ownerId(room))) {
            room++;
        }
        assertThat(request(FrameType.CREATE_ROOM, room).status).isZero();
        return room;
    }

    @Test
    void shouldAnswerRoomMovingUntilTheNewOwnerInstalledItThenRedirect() {
        long room = roomCreatedHereThatN2WillOwn();
        // n2 joins and owns the room: n1 lists it as outgoing, then releases it.
        cluster(RingEvent.KIND_CLUSTER, 0, ownership(BOTH));
        assertThat(told).contains("outgoing v2 [" + room + "]");
        RingEvent released = cluster(RingEvent.KIND_RELEASE, room, null);
        assertThat(released.roomId).isEqualTo(room);
        assertThat(released.payload).isEqualTo("n2");

        assertThat(request(FrameType.JOIN, room).status).as("released, document not written")
                .isEqualTo(ErrorCode.ROOM_MOVING.code());
        now += 10_000; // however long the document waits (the Redis sink, an outage)
        cluster(RingEvent.KIND_CLUSTER, 0, ownership(BOTH, room));
        assertThat(request(FrameType.JOIN, room).status).isEqualTo(ErrorCode.ROOM_MOVING.code());
        assertThat(request(FrameType.BULLET, room).status).isEqualTo(ErrorCode.ROOM_MOVING.code());
        // Installed at the new owner (the cluster thread saw its document deleted): REDIRECT there.
        cluster(RingEvent.KIND_CLUSTER, 0, ownership(BOTH));
        RingEvent after = request(FrameType.JOIN, room);
        assertThat(after.status).isZero();
        assertThat(after.redirectAddress).isEqualTo(node("n2").address());
    }

    @Test
    void shouldDeferNotSkipAReleaseThatComesWhileTheOwnershipIsStale() {
        long room = roomCreatedHereThatN2WillOwn();
        cluster(RingEvent.KIND_CLUSTER, 0, ownership(BOTH));
        // Redis went quiet after the cluster thread sent the release: the room must stay held and listed.
        Ownership stale = new Ownership(BOTH, "n1", true, new Long2ObjectHashMap<>(), true, new LongHashSet(),
                Map.of(), false, new LongHashSet(), new LongHashSet());
        cluster(RingEvent.KIND_CLUSTER, 0, stale);
        RingEvent release = cluster(RingEvent.KIND_RELEASE, room, null);
        assertThat(release.roomId).as("nothing handed over").isZero();
        assertThat(told).contains("deferred " + room).doesNotContain("skipped " + room);
        assertThat(request(FrameType.JOIN, room).status).as("still served here").isZero();
        // Redis back: the retried release goes through.
        cluster(RingEvent.KIND_CLUSTER, 0, ownership(BOTH));
        assertThat(cluster(RingEvent.KIND_RELEASE, room, null).roomId).isEqualTo(room);
    }

    private final class Link implements ClusterLink {
        @Override
        public void outgoing(long version, long[] rooms, int count) {
            StringBuilder b = new StringBuilder("outgoing v" + version + " [");
            for (int i = 0; i < count; i++) {
                b.append(i == 0 ? "" : ",").append(rooms[i]);
            }
            told.add(b.append(']').toString());
        }

        @Override
        public void releaseSkipped(long room) {
            told.add("skipped " + room);
        }

        @Override
        public void releaseDeferred(long room) {
            told.add("deferred " + room);
        }

        @Override
        public void handedOver(long room, String toNode, byte[] document) {
        }

        @Override
        public void installed(long room, boolean ok) {
        }

        @Override
        public void probe(long room) {
        }

        @Override
        public void dropped(long[] rooms, int count) {
        }
    }

    private static final class NoJournal implements JournalHandler.Appender {
        @Override
        public boolean appendBullet(RingEvent e) {
            return true;
        }

        @Override
        public boolean appendRoom(long roomId, long epoch, long timeMs) {
            return true;
        }

        @Override
        public boolean appendReleased(long roomId, long epoch, long lastSequence, long timeMs) {
            return true;
        }

        @Override
        public boolean appendAdopted(long roomId, long epoch, long baseSequence, long previousEpoch, boolean exact,
                                     long timeMs) {
            return true;
        }

        @Override
        public long commit() {
            return 0;
        }
    }
}
