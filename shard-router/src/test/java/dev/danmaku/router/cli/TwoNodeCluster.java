package dev.danmaku.router.cli;

import dev.danmaku.router.Member;
import dev.danmaku.router.NodeState;
import dev.danmaku.router.ShardMap;
import dev.danmaku.router.plan.RoomLoad;
import dev.danmaku.router.store.ClusterStore;
import dev.danmaku.router.store.RedisEndpoint;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A cluster in a real Redis for plan and apply tests: n1 and n2 active in map version 1, holding
 * rooms 1..{@link #ROOMS} as that map assigns them (room r has r % 5 viewers and r % 7 history
 * entries), and n3 registered with a live lease but not in the map. Closing stops the fake admin
 * servers and the store.
 */
final class TwoNodeCluster implements AutoCloseable {
    static final int ROOMS = 200;

    final String name;
    final ClusterStore store;
    final FakeNode n1;
    final FakeNode n2;
    final FakeNode n3;
    final ShardMap map;

    TwoNodeCluster(RedisEndpoint endpoint, String name) throws Exception {
        this.name = name;
        this.store = new ClusterStore(endpoint, name);
        n1 = new FakeNode("n1");
        n2 = new FakeNode("n2");
        n3 = new FakeNode("n3");
        map = store.compareAndSet(0, ShardMap.EMPTY.with(member(n1)).with(member(n2)).next(1, "two nodes"));
        for (long r = 1; r <= ROOMS; r++) {
            (map.ownerId(r).equals("n1") ? n1 : n2).room(r, (int) (r % 5), (int) (r % 7));
        }
        for (FakeNode n : List.of(n1, n2, n3)) {
            store.renew(n.registration(), 60_000);
        }
    }

    static Member member(FakeNode n) {
        return new Member(n.id, n.address(), n.admin(), 1, NodeState.ACTIVE);
    }

    /** The rooms as the planner should see them (bytes estimated from history entries). */
    List<RoomLoad> rooms() {
        List<RoomLoad> out = new ArrayList<>();
        for (long r = 1; r <= ROOMS; r++) {
            out.add(new RoomLoad(r, map.ownerId(r), (int) (r % 5), (r % 7) * RoomReport.BYTES_PER_ENTRY));
        }
        return out;
    }

    FakeNode node(String id) {
        return switch (id) {
            case "n1" -> n1;
            case "n2" -> n2;
            case "n3" -> n3;
            default -> throw new IllegalArgumentException(id);
        };
    }

    @Override
    public void close() throws IOException {
        n1.close();
        n2.close();
        n3.close();
        store.close();
    }
}
