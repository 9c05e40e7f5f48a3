package dev.danmaku.router.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.danmaku.router.RoomIds;

import java.util.ArrayList;
import java.util.List;

/**
 * One room in a node's {@code GET /rooms} answer, as far as planning needs it.
 *
 * @param room    room id (u64)
 * @param viewers joined viewers
 * @param bytes   state a handover carries, bytes: {@code historyBytes} if the node reports it, else
 *                the estimate {@code historyEntries * 100 + leaderboardUsers * 16}
 */
record RoomReport(long room, int viewers, long bytes) {
    /** Estimated bytes per history entry when the node does not report {@code historyBytes}. */
    static final long BYTES_PER_ENTRY = 100;
    /** Estimated bytes per leaderboard user. */
    static final long BYTES_PER_LEADERBOARD_USER = 16;

    /**
     * Parses {@code {"count":N,"rooms":[{"room":"9001","viewers":2,...}]}}.
     *
     * @throws IllegalArgumentException with a one-line reason if it is not that
     */
    static List<RoomReport> parseList(JsonNode body) {
        JsonNode rooms = body == null ? null : body.get("rooms");
        if (rooms == null || !rooms.isArray()) {
            throw new IllegalArgumentException("no 'rooms' array");
        }
        List<RoomReport> out = new ArrayList<>(rooms.size());
        for (JsonNode r : rooms) {
            JsonNode id = r.get("room");
            if (id == null || !(id.isTextual() || id.isIntegralNumber())) {
                throw new IllegalArgumentException("a room without a 'room' id");
            }
            long room = RoomIds.parse(id.asText());
            long history = r.path("historyBytes").isIntegralNumber() ? r.get("historyBytes").asLong()
                    : r.path("historyEntries").asLong(0) * BYTES_PER_ENTRY
                    + r.path("leaderboardUsers").asLong(0) * BYTES_PER_LEADERBOARD_USER;
            out.add(new RoomReport(room, Math.max(0, r.path("viewers").asInt(0)), Math.max(0, history)));
        }
        return out;
    }
}
