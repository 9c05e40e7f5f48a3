package dev.danmaku.router;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shard map's JSON form, as stored in Redis and printed by {@code danmaku router status --json}
 * (docs/cluster.md, "The map in Redis"):
 * <pre>
 * {"version": 3, "moveWindowMs": 10000, "updatedAtMs": 1764750000000, "note": "router: add n3",
 *  "nodes": [{"id": "n1", "address": "ws://127.0.0.1:7000/ws", "admin": "http://127.0.0.1:7001",
 *             "weight": 1.0, "state": "active"}, ...],
 *  "overrides": {"9001": "n2"}}
 * </pre>
 * Room ids are unsigned decimal strings (JSON numbers lose precision past 2^53). Unknown fields are
 * ignored (a newer writer may add some); a missing or invalid required field is an error.
 * Thread-safe.
 */
public final class ShardMapJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ShardMapJson() {
    }

    /** The map as one line of JSON. */
    public static String write(ShardMap map) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", map.version());
        root.put("moveWindowMs", map.moveWindowMs());
        root.put("updatedAtMs", map.updatedAtMs());
        root.put("note", map.note());
        ArrayNode nodes = root.putArray("nodes");
        for (Member m : map.members()) {
            ObjectNode n = nodes.addObject();
            n.put("id", m.id());
            n.put("address", m.address());
            n.put("admin", m.admin());
            n.put("weight", m.weight());
            n.put("state", m.state().label());
        }
        ObjectNode o = root.putObject("overrides");
        for (Map.Entry<Long, String> e : map.overrides().entrySet()) {
            o.put(Long.toUnsignedString(e.getKey()), e.getValue());
        }
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Parses a map.
     *
     * @throws IllegalArgumentException with a one-line reason if the text is not a valid map
     */
    public static ShardMap read(String text) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("shard map is not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("shard map must be a JSON object");
        }
        long version = requiredLong(root, "version");
        long window = root.has("moveWindowMs") ? requiredLong(root, "moveWindowMs") : ShardMap.DEFAULT_MOVE_WINDOW_MS;
        long updated = root.has("updatedAtMs") ? requiredLong(root, "updatedAtMs") : 0;
        String note = root.path("note").asText("");
        JsonNode nodes = root.get("nodes");
        if (nodes == null || !nodes.isArray()) {
            throw new IllegalArgumentException("shard map: 'nodes' must be an array");
        }
        List<Member> members = new ArrayList<>();
        for (JsonNode n : nodes) {
            if (!n.isObject()) {
                throw new IllegalArgumentException("shard map: every node must be an object");
            }
            JsonNode w = n.get("weight");
            if (w == null || !w.isNumber()) {
                throw new IllegalArgumentException("shard map: node " + n.path("id").asText("?") + " has no numeric weight");
            }
            members.add(new Member(requiredText(n, "id"), requiredText(n, "address"), requiredText(n, "admin"),
                    w.asDouble(), NodeState.parse(requiredText(n, "state"))));
        }
        Map<Long, String> overrides = new LinkedHashMap<>();
        JsonNode o = root.get("overrides");
        if (o != null && !o.isNull()) {
            if (!o.isObject()) {
                throw new IllegalArgumentException("shard map: 'overrides' must be an object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                overrides.put(RoomIds.parse(e.getKey()), e.getValue().asText());
            }
        }
        return new ShardMap(version, members, overrides, window, updated, note);
    }

    private static long requiredLong(JsonNode root, String field) {
        JsonNode v = root.get(field);
        if (v == null || !v.canConvertToLong() || !v.isIntegralNumber()) {
            throw new IllegalArgumentException("shard map: '" + field + "' must be an integer");
        }
        return v.asLong();
    }

    private static String requiredText(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("shard map: node field '" + field + "' must be a string");
        }
        return v.asText();
    }
}
