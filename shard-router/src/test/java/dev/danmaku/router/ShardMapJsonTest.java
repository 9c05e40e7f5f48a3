package dev.danmaku.router;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ShardMapJsonTest {
    @Test
    void shouldRoundTripEveryField() {
        ShardMap m = new ShardMap(7, List.of(
                new Member("b", "ws://127.0.0.1:7002/ws", "http://127.0.0.1:7003", 2.5, NodeState.DRAINING),
                new Member("a", "ws://127.0.0.1:7000/ws", "http://127.0.0.1:7001", 1, NodeState.ACTIVE)),
                Map.of(-1L, "b", 9001L, "a"), 2500, 1_764_750_000_000L, "router: add b");
        String json = ShardMapJson.write(m);
        assertThat(json).contains("\"18446744073709551615\":\"b\"").contains("\"state\":\"draining\"");
        ShardMap back = ShardMapJson.read(json);
        assertThat(back).isEqualTo(m);
        assertThat(back.members().get(0).id()).isEqualTo("a");
    }

    @Test
    void shouldIgnoreUnknownFieldsFromANewerWriter() {
        ShardMap m = ShardMapJson.read("""
                {"version":1,"nodes":[{"id":"a","address":"ws://h:1/ws","admin":"http://h:2","weight":1,
                "state":"active","zone":"x"}],"relays":[5]}""");
        assertThat(m.ownerId(5)).isEqualTo("a");
        assertThat(m.moveWindowMs()).isEqualTo(ShardMap.DEFAULT_MOVE_WINDOW_MS);
    }

    @Test
    void shouldRejectInvalidMapsWithOneLineReasons() {
        String node = "{\"id\":\"a\",\"address\":\"ws://h:1/ws\",\"admin\":\"http://h:2\",\"weight\":1,\"state\":\"active\"}";
        assertThatThrownBy(() -> ShardMapJson.read("nope")).hasMessageStartingWith("shard map is not JSON");
        assertThatThrownBy(() -> ShardMapJson.read("[]")).hasMessage("shard map must be a JSON object");
        assertThatThrownBy(() -> ShardMapJson.read("{\"nodes\":[]}")).hasMessage("shard map: 'version' must be an integer");
        assertThatThrownBy(() -> ShardMapJson.read("{\"version\":1}")).hasMessage("shard map: 'nodes' must be an array");
        assertThatThrownBy(() -> ShardMapJson.read("{\"version\":1,\"nodes\":[" + node + "," + node + "]}"))
                .hasMessage("node a listed twice");
        assertThatThrownBy(() -> ShardMapJson.read("{\"version\":1,\"nodes\":[" + node.replace("active", "sleepy") + "]}"))
                .hasMessageContaining("unknown node state 'sleepy'");
        assertThatThrownBy(() -> ShardMapJson.read("{\"version\":1,\"nodes\":[" + node.replace("ws://h:1/ws", "http://h:1") + "]}"))
                .hasMessageContaining("address must be ws://HOST:PORT");
        assertThatThrownBy(() -> ShardMapJson.read("{\"version\":1,\"nodes\":[" + node.replace("\"weight\":1", "\"weight\":0") + "]}"))
                .hasMessageContaining("weight of a must be in (0, 1000]");
        assertThatThrownBy(() -> ShardMapJson.read("{\"version\":1,\"nodes\":[" + node + "],\"overrides\":{\"5\":\"zz\"}}"))
                .hasMessage("override of room 5 names unknown node zz");
        assertThatThrownBy(() -> ShardMapJson.read("{\"version\":1,\"nodes\":[" + node + "],\"overrides\":{\"x\":\"a\"}}"))
                .hasMessage("room id must be an unsigned decimal number, got 'x'");
        assertThatThrownBy(() -> new Member("bad id", "ws://h:1/ws", "http://h:2", 1, NodeState.ACTIVE))
                .hasMessageContaining("node id must be");
    }
}
