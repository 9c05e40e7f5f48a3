package dev.danmaku.router.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.danmaku.router.Member;

/**
 * What a running node tells the cluster about itself, renewed with its lease: enough for the router
 * to add it to the map and for other nodes to redirect to it while it still holds rooms.
 *
 * @param id          node id
 * @param address     WebSocket URL for clients
 * @param admin       admin HTTP base URL
 * @param startedAtMs when the process started (Unix ms): a changed value means a restart
 * @param pid         the OS process id (for {@code danmaku cluster down} on one machine)
 */
public record Registration(String id, String address, String admin, long startedAtMs, long pid) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public Registration {
        Member.requireId(id);
    }

    public String toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", id);
        n.put("address", address);
        n.put("admin", admin);
        n.put("startedAtMs", startedAtMs);
        n.put("pid", pid);
        return n.toString();
    }

    /** Parses {@link #toJson()}; throws {@link IllegalArgumentException} for anything else. */
    public static Registration fromJson(String text) {
        try {
            JsonNode n = JSON.readTree(text);
            return new Registration(n.path("id").asText(), n.path("address").asText(), n.path("admin").asText(),
                    n.path("startedAtMs").asLong(), n.path("pid").asLong());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("bad registration: " + e.getOriginalMessage());
        }
    }
}
