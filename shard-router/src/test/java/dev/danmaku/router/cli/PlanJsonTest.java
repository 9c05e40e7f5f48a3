package dev.danmaku.router.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.danmaku.router.Member;
import dev.danmaku.router.NodeState;
import dev.danmaku.router.ShardMap;
import dev.danmaku.router.plan.Plan;
import dev.danmaku.router.plan.Planner;
import dev.danmaku.router.plan.RoomLoad;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PlanJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Member node(String id, int port) {
        return new Member(id, "ws://127.0.0.1:" + port + "/ws", "http://127.0.0.1:" + (port + 1), 1, NodeState.ACTIVE);
    }

    private static final ShardMap TWO = new ShardMap(7, List.of(node("n1", 7000), node("n2", 7002)), Map.of(), 4000,
            1_764_750_000_000L, "two");

    /** Rooms 1..300 and two past 2^63 (negative as Java longs), on their owners. */
    private static Plan addN3() {
        List<RoomLoad> rooms = new ArrayList<>();
        for (long r = 1; r <= 300; r++) {
            rooms.add(new RoomLoad(r, TWO.ownerId(r), (int) (r % 4), r * 10));
        }
        rooms.add(new RoomLoad(-1L, TWO.ownerId(-1L), 9, 1));
        rooms.add(new RoomLoad(-2L, TWO.ownerId(-2L), 0, 0));
        ShardMap target = Planner.add(TWO, node("n3", 7004));
        target = new ShardMap(8, target.members(), Map.of(-2L, "n3"), target.moveWindowMs(), 1_764_750_001_000L,
                "router: add n3");
        return Planner.plan(TWO, target, "add n3", rooms);
    }

    private static String valid() {
        return PlanJson.write(new PlanJson.Document(addN3(), "default", 1_764_750_002_000L));
    }

    @Test
    void shouldReadBackExactlyThePlanItWrote() {
        Plan plan = addN3();
        assertThat(plan.moves()).extracting(m -> m.room()).contains(-2L);
        PlanJson.Document doc = PlanJson.read(PlanJson.write(new PlanJson.Document(plan, "c1", 42)));
        assertThat(doc.plan()).isEqualTo(plan);
        assertThat(doc.cluster()).isEqualTo("c1");
        assertThat(doc.createdAtMs()).isEqualTo(42);
        assertThat(valid()).contains("\"room\" : \"18446744073709551614\"").endsWith("}\n");
    }

    @Test
    void shouldReadAMinimalPlanWithoutTheOptionalFields() throws Exception {
        ObjectNode n = (ObjectNode) JSON.readTree(valid());
        n.remove(List.of("cluster", "createdAtMs", "rooms", "share", "roomsBefore", "roomsAfter"));
        n.put("futureField", true);
        PlanJson.Document doc = PlanJson.read(n.toString());
        assertThat(doc.cluster()).isNull();
        assertThat(doc.plan().rooms()).isEqualTo(doc.plan().moves().size());
        assertThat(doc.plan().moves()).isEqualTo(addN3().moves());
        assertThat(doc.plan().share()).isEmpty();
    }

    private static void assertRejected(Consumer<ObjectNode> edit, String message) throws Exception {
        ObjectNode n = (ObjectNode) JSON.readTree(valid());
        edit.accept(n);
        assertThatThrownBy(() -> PlanJson.read(n.toString())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    private static ObjectNode move(ObjectNode n, int i) {
        return (ObjectNode) n.withArray("moves").get(i);
    }

    @Test
    void shouldRejectFilesThatAreNotPlansWithOneLine() {
        assertThatThrownBy(() -> PlanJson.read("")).hasMessage("not a plan: expected a JSON object");
        assertThatThrownBy(() -> PlanJson.read("[1]")).hasMessage("not a plan: expected a JSON object");
        assertThatThrownBy(() -> PlanJson.read("{\"fromVersion\": 1,")).hasMessageStartingWith("not a plan: not JSON (")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThatThrownBy(() -> PlanJson.read("{\"fromVersion\": 1, \"fromVersion\": 2}"))
                .hasMessageStartingWith("not a plan: not JSON (Duplicate field 'fromVersion'");
    }

    @Test
    void shouldRejectMissingOrMistypedFields() throws Exception {
        assertRejected(n -> n.remove("fromVersion"), "plan: 'fromVersion' must be an integer");
        assertRejected(n -> n.put("fromVersion", "7"), "plan: 'fromVersion' must be an integer");
        assertRejected(n -> n.put("fromVersion", -1), "plan: 'fromVersion' must be >= 0, got -1");
        assertRejected(n -> n.put("fromVersion", 6), "plan: the target map's version must be fromVersion + 1 = 7, got 8");
        assertRejected(n -> n.putNull("description"), "plan: 'description' must be a string");
        assertRejected(n -> n.put("target", "{}"), "plan: 'target' must be an object (a shard map)");
        assertRejected(n -> ((ObjectNode) n.get("target")).remove("nodes"), "plan: target: shard map: 'nodes' must be an array");
        assertRejected(n -> n.putObject("moves"), "plan: 'moves' must be an array");
        assertRejected(n -> n.put("cluster", 5), "plan: 'cluster' must be a string");
        assertRejected(n -> n.put("rooms", 1), "plan: 'rooms' (1) must be at least the number of moves ("
                + addN3().moves().size() + ")");
        assertRejected(n -> ((ObjectNode) n.get("share")).put("n1", "half"), "plan: 'share.n1' must be a number");
    }

    @Test
    void shouldRejectMovesTheTargetMapDoesNotMake() throws Exception {
        Plan plan = addN3();
        String first = Long.toUnsignedString(plan.moves().get(0).room());
        assertRejected(n -> move(n, 0).put("room", plan.moves().get(0).room()),
                "plan: move 0: 'room' must be a string (unsigned decimal room id)");
        assertRejected(n -> move(n, 0).put("room", "0"), "plan: move 0: room id must not be 0");
        assertRejected(n -> move(n, 0).put("room", "x"), "plan: move 0: room id must be an unsigned decimal number, got 'x'");
        assertRejected(n -> move(n, 1).put("room", first), "plan: move of room " + first + " is listed twice");
        assertRejected(n -> move(n, 0).put("to", "n1"), "plan: move of room " + first + " goes to n1 but the target map "
                + "gives it to n3");
        assertRejected(n -> move(n, 0).put("from", "n3"), "plan: move of room " + first + " goes from n3 to itself");
        assertRejected(n -> move(n, 0).put("from", "a b"), "plan: move of room " + first + ": 'from': node id must be 1-64 "
                + "characters of A-Z a-z 0-9 . _ -, got 'a b'");
        assertRejected(n -> move(n, 0).remove("to"), "plan: move of room " + first + ": 'to' must be a node id or null");
        assertRejected(n -> move(n, 0).put("viewers", -1), "plan: move of room " + first
                + ": 'viewers' and 'bytes' must be >= 0");
        assertRejected(n -> move(n, 0).put("bytes", 1.5), "plan: move of room " + first + ": 'bytes' must be an integer");
    }
}
