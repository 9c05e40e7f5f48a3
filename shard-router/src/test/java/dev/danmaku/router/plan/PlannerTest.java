package dev.danmaku.router.plan;

import dev.danmaku.router.Member;
import dev.danmaku.router.NodeState;
import dev.danmaku.router.ShardMap;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PlannerTest {
    private static Member node(String id) {
        return new Member(id, "ws://127.0.0.1:700" + id.charAt(1) + "/ws", "http://127.0.0.1:800" + id.charAt(1), 1,
                NodeState.ACTIVE);
    }

    private static final ShardMap THREE = new ShardMap(4, List.of(node("n1"), node("n2"), node("n3")), Map.of(),
            5000, 0, "");

    private static List<RoomLoad> rooms(ShardMap map, int count) {
        List<RoomLoad> rooms = new ArrayList<>();
        for (long r = 1; r <= count; r++) {
            rooms.add(new RoomLoad(r, map.ownerId(r), (int) (r % 7), 100 * r));
        }
        return rooms;
    }

    @Test
    void shouldListExactlyTheRoomsWhoseOwnerChanges() {
        ShardMap target = Planner.add(THREE, node("n4"));
        Plan plan = Planner.plan(THREE, target, "add n4", rooms(THREE, 1000));
        assertThat(plan.fromVersion()).isEqualTo(4);
        assertThat(plan.target().version()).isEqualTo(5);
        assertThat(plan.rooms()).isEqualTo(1000);
        assertThat(plan.moves()).isNotEmpty().allSatisfy(m -> {
            assertThat(m.to()).isEqualTo("n4");
            assertThat(m.from()).isEqualTo(THREE.ownerId(m.room()));
        });
        long expected = rooms(THREE, 1000).stream().filter(r -> !target.ownerId(r.room()).equals(r.node())).count();
        assertThat(plan.moves()).hasSize((int) expected);
        assertThat(plan.roomsAfter().get("n4")).isEqualTo(plan.moves().size());
        assertThat(plan.share().get("n4")).isEqualTo(0.25);
        assertThat(plan.viewersMoved()).isEqualTo(plan.moves().stream().mapToLong(Move::viewers).sum());
        // Deterministic.
        assertThat(Planner.plan(THREE, target, "add n4", rooms(THREE, 1000))).isEqualTo(plan);
    }

    @Test
    void shouldMoveEveryRoomOfARemovedOrDrainedNodeAndNothingElse() {
        for (ShardMap target : List.of(Planner.remove(THREE, "n2"), Planner.drain(THREE, "n2"))) {
            Plan plan = Planner.plan(THREE, target, "n2 out", rooms(THREE, 1000));
            assertThat(plan.moves()).isNotEmpty().allSatisfy(m -> {
                assertThat(m.from()).isEqualTo("n2");
                assertThat(m.to()).isIn("n1", "n3");
            });
            assertThat(plan.moves()).hasSize(plan.roomsBefore().get("n2"));
        }
    }

    @Test
    void shouldRefuseChangesThatNameNoNodeOrLeaveNoActiveOne() {
        assertThatThrownBy(() -> Planner.remove(THREE, "n9")).hasMessage("no node 'n9' in the map (version 4)");
        ShardMap one = new ShardMap(1, List.of(node("n1")), Map.of(), 0, 0, "");
        assertThatThrownBy(() -> Planner.remove(one, "n1")).hasMessage("removing n1 would leave no active node");
        assertThatThrownBy(() -> Planner.drain(one, "n1")).hasMessage("draining n1 would leave no active node");
        assertThatThrownBy(() -> Planner.weight(THREE, "n1", 0)).hasMessageContaining("weight of n1 must be in (0, 1000]");
    }
}
