package dev.danmaku.router.cli;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A node's {@code GET /health} answer. Every field but {@link #sampledAtNanos} may be null: an
 * older node does not report it (printed as {@code -}).
 *
 * @param status         up, degraded or down
 * @param node           the node's id as it reports it
 * @param connections    open client connections
 * @param rooms          rooms it holds
 * @param viewers        joined viewers, all rooms
 * @param accepted       bullets accepted since start (a counter)
 * @param clusterName    its cluster's name
 * @param redis          its view of Redis: ok or unreachable
 * @param mapVersion     the map version it follows
 * @param state          its own state in that map
 * @param outgoing       rooms it still has to hand over
 * @param sampledAtNanos when the answer arrived ({@link System#nanoTime()})
 */
record NodeHealth(String status, String node, Long connections, Long rooms, Long viewers, Long accepted,
                  String clusterName, String redis, Long mapVersion, String state, Long outgoing,
                  long sampledAtNanos) {

    /** Parses what it can; fields of the wrong type count as missing. */
    static NodeHealth parse(JsonNode n, long sampledAtNanos) {
        JsonNode c = n.path("cluster");
        return new NodeHealth(text(n, "status"), text(n, "node"), number(n, "connections"), number(n, "rooms"),
                number(n, "viewers"), number(n, "accepted"), text(c, "name"), text(c, "redis"), number(c, "mapVersion"),
                text(c, "state"), number(c, "outgoing"), sampledAtNanos);
    }

    /** Bullets accepted per second between {@code earlier} and this sample, or null if unknown. */
    Double bulletsPerSecond(NodeHealth earlier) {
        if (earlier == null || accepted == null || earlier.accepted == null) {
            return null;
        }
        long dt = sampledAtNanos - earlier.sampledAtNanos;
        if (dt <= 0) {
            return null;
        }
        // A restarted node's counter starts again from 0: no rate rather than a negative one.
        long d = accepted - earlier.accepted;
        return d < 0 ? null : d * 1e9 / dt;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    private static Long number(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v != null && v.isIntegralNumber() && v.canConvertToLong() ? v.asLong() : null;
    }
}
