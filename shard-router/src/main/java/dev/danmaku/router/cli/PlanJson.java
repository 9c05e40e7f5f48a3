package dev.danmaku.router.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.danmaku.router.Member;
import dev.danmaku.router.RoomIds;
import dev.danmaku.router.ShardMap;
import dev.danmaku.router.ShardMapJson;
import dev.danmaku.router.plan.Move;
import dev.danmaku.router.plan.Plan;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A plan file, as {@code router plan} writes it and {@code router apply} reads it:
 * <pre>
 * {"fromVersion": 3, "description": "add n4", "cluster": "default", "createdAtMs": 1764750000000,
 *  "rooms": 1200,
 *  "target": {the map to install, in {@link ShardMapJson} form, version fromVersion + 1},
 *  "moves": [{"room": "9001", "from": "n1", "to": "n4", "viewers": 2, "bytes": 5016}, ...],
 *  "share": {"n1": 0.25, ...}, "roomsBefore": {"n1": 400, ...}, "roomsAfter": {"n1": 300, ...}}
 * </pre>
 * Room ids are unsigned decimal strings; {@code to} is null for a room no node can own. Reading is
 * strict: a missing or mistyped field, a duplicate key or room, or a move the target map does not
 * make is an error with a one-line reason. Unknown fields are ignored (a newer writer may add some);
 * {@code cluster}, {@code createdAtMs}, {@code rooms}, {@code share} and {@code rooms*} are optional.
 * Thread-safe.
 */
final class PlanJson {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private PlanJson() {
    }

    /**
     * A plan as stored.
     *
     * @param plan        the plan
     * @param cluster     the cluster it was made for, or null if the file does not say
     * @param createdAtMs when it was made (Unix ms), 0 if unknown
     */
    record Document(Plan plan, String cluster, long createdAtMs) {
    }

    /** The plan as indented JSON, ending with a newline. */
    static String write(Document doc) {
        Plan plan = doc.plan();
        ObjectNode root = JSON.createObjectNode();
        root.put("fromVersion", plan.fromVersion());
        root.put("description", plan.description());
        if (doc.cluster() != null) {
            root.put("cluster", doc.cluster());
        }
        root.put("createdAtMs", doc.createdAtMs());
        root.put("rooms", plan.rooms());
        try {
            root.set("target", JSON.readTree(ShardMapJson.write(plan.target())));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        ArrayNode moves = root.putArray("moves");
        for (Move m : plan.moves()) {
            ObjectNode n = moves.addObject();
            n.put("room", RoomIds.format(m.room()));
            n.put("from", m.from());
            if (m.to() == null) {
                n.putNull("to");
            } else {
                n.put("to", m.to());
            }
            n.put("viewers", m.viewers());
            n.put("bytes", m.bytes());
        }
        ObjectNode share = root.putObject("share");
        plan.share().forEach(share::put);
        ObjectNode before = root.putObject("roomsBefore");
        plan.roomsBefore().forEach(before::put);
        ObjectNode after = root.putObject("roomsAfter");
        plan.roomsAfter().forEach(after::put);
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Parses a plan file.
     *
     * @throws IllegalArgumentException with a one-line reason if it is not a valid plan
     */
    static Document read(String text) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a plan: not JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("not a plan: expected a JSON object");
        }
        long from = integer(root, "fromVersion", true, 0);
        if (from < 0) {
            throw new IllegalArgumentException("plan: 'fromVersion' must be >= 0, got " + from);
        }
        JsonNode d = root.get("description");
        if (d == null || !d.isTextual()) {
            throw new IllegalArgumentException("plan: 'description' must be a string");
        }
        String cluster = optionalText(root, "cluster");
        long createdAt = integer(root, "createdAtMs", false, 0);
        JsonNode t = root.get("target");
        if (t == null || !t.isObject()) {
            throw new IllegalArgumentException("plan: 'target' must be an object (a shard map)");
        }
        ShardMap target;
        try {
            target = ShardMapJson.read(t.toString());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("plan: target: " + e.getMessage());
        }
        if (target.version() != from + 1) {
            throw new IllegalArgumentException("plan: the target map's version must be fromVersion + 1 = " + (from + 1)
                    + ", got " + target.version());
        }
        List<Move> moves = moves(root.get("moves"), target);
        long rooms = integer(root, "rooms", false, moves.size());
        if (rooms < moves.size() || rooms > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("plan: 'rooms' (" + rooms + ") must be at least the number of moves ("
                    + moves.size() + ")");
        }
        Map<String, Double> share = new TreeMap<>();
        numbers(root, "share", (k, v) -> share.put(k, v.asDouble()));
        Map<String, Integer> before = new TreeMap<>();
        numbers(root, "roomsBefore", (k, v) -> before.put(k, v.asInt()));
        Map<String, Integer> after = new TreeMap<>();
        numbers(root, "roomsAfter", (k, v) -> after.put(k, v.asInt()));
        Plan plan = new Plan(from, target, d.asText(), (int) rooms, List.copyOf(moves), share, before, after);
        return new Document(plan, cluster, createdAt);
    }

    private static List<Move> moves(JsonNode moves, ShardMap target) {
        if (moves == null || !moves.isArray()) {
            throw new IllegalArgumentException("plan: 'moves' must be an array");
        }
        List<Move> out = new ArrayList<>(moves.size());
        Set<Long> seen = new HashSet<>();
        int i = 0;
        for (JsonNode m : moves) {
            String where = "plan: move " + i++;
            if (!m.isObject()) {
                throw new IllegalArgumentException(where + " must be an object");
            }
            JsonNode r = m.get("room");
            if (r == null || !r.isTextual()) {
                throw new IllegalArgumentException(where + ": 'room' must be a string (unsigned decimal room id)");
            }
            long room;
            try {
                room = RoomIds.parse(r.asText());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage());
            }
            where = "plan: move of room " + RoomIds.format(room);
            if (!seen.add(room)) {
                throw new IllegalArgumentException(where + " is listed twice");
            }
            JsonNode f = m.get("from");
            if (f == null || !f.isTextual()) {
                throw new IllegalArgumentException(where + ": 'from' must be a node id");
            }
            String from = f.asText();
            try {
                Member.requireId(from);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": 'from': " + e.getMessage());
            }
            JsonNode to = m.get("to");
            if (to == null || !(to.isTextual() || to.isNull())) {
                throw new IllegalArgumentException(where + ": 'to' must be a node id or null");
            }
            String dest = to.isNull() ? null : to.asText();
            String owner = target.ownerId(room);
            if (!java.util.Objects.equals(dest, owner)) {
                throw new IllegalArgumentException(where + " goes to " + dest + " but the target map gives it to " + owner);
            }
            if (from.equals(dest)) {
                throw new IllegalArgumentException(where + " goes from " + from + " to itself");
            }
            long viewers = integer(m, "viewers", true, 0, where);
            long bytes = integer(m, "bytes", true, 0, where);
            if (viewers < 0 || viewers > Integer.MAX_VALUE || bytes < 0) {
                throw new IllegalArgumentException(where + ": 'viewers' and 'bytes' must be >= 0");
            }
            out.add(new Move(room, from, dest, (int) viewers, bytes));
        }
        return out;
    }

    private static long integer(JsonNode n, String field, boolean required, long absent) {
        return integer(n, field, required, absent, "plan");
    }

    private static long integer(JsonNode n, String field, boolean required, long absent, String where) {
        JsonNode v = n.get(field);
        if (v == null && !required) {
            return absent;
        }
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new IllegalArgumentException(where + ": '" + field + "' must be an integer");
        }
        return v.asLong();
    }

    private static String optionalText(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException("plan: '" + field + "' must be a string");
        }
        return v.asText();
    }

    private static void numbers(JsonNode root, String field, java.util.function.BiConsumer<String, JsonNode> put) {
        JsonNode o = root.get(field);
        if (o == null || o.isNull()) {
            return;
        }
        if (!o.isObject()) {
            throw new IllegalArgumentException("plan: '" + field + "' must be an object of node id to number");
        }
        for (Map.Entry<String, JsonNode> e : o.properties()) {
            if (!e.getValue().isNumber()) {
                throw new IllegalArgumentException("plan: '" + field + "." + e.getKey() + "' must be a number");
            }
            put.accept(e.getKey(), e.getValue());
        }
    }
}
