package dev.danmaku.engine.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.danmaku.engine.stage.FanoutHandler.RoomSummary;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The admin HTTP API (off the hot path, its own two threads):
 * <ul>
 *   <li>{@code GET /health}: {@code {"status":"up"|"degraded"|"down", ...}}, HTTP 200 unless down;</li>
 *   <li>{@code GET /metrics}: Prometheus text format;</li>
 *   <li>{@code GET /rooms}: every room (id, epoch, last sequence, viewers, history);</li>
 *   <li>{@code GET /rooms/{id}}: one room with its top senders, 404 if unknown.</li>
 * </ul>
 * Room data is the fan-out stage's once-a-second snapshot.
 */
public final class AdminServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What /health reports. */
    public interface Health {
        /** "up", "degraded" or "down". */
        String status();

        /** Extra fields for the body. */
        void describe(ObjectNode body);
    }

    private final HttpServer server;
    private final ExecutorService executor;

    public AdminServer(String host, int port, NodeMetrics metrics, Supplier<List<RoomSummary>> rooms, Health health)
            throws IOException {
        server = HttpServer.create(new InetSocketAddress(host, port), 64);
        executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "danmaku-admin");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/health", ex -> {
            if (!get(ex)) {
                return;
            }
            ObjectNode body = JSON.createObjectNode();
            String status = health.status();
            body.put("status", status);
            health.describe(body);
            send(ex, status.equals("down") ? 503 : 200, "application/json", JSON.writeValueAsString(body));
        });
        server.createContext("/metrics", ex -> {
            if (get(ex)) {
                send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape());
            }
        });
        server.createContext("/rooms", ex -> {
            if (!get(ex)) {
                return;
            }
            String path = ex.getRequestURI().getPath();
            List<RoomSummary> all = rooms.get();
            if (path.equals("/rooms") || path.equals("/rooms/")) {
                ArrayNode list = JSON.createArrayNode();
                for (RoomSummary r : all) {
                    list.add(room(r, false));
                }
                ObjectNode body = JSON.createObjectNode();
                body.put("count", all.size());
                body.set("rooms", list);
                send(ex, 200, "application/json", JSON.writeValueAsString(body));
                return;
            }
            String id = path.substring("/rooms/".length());
            long roomId;
            try {
                roomId = Long.parseUnsignedLong(id);
            } catch (NumberFormatException e) {
                send(ex, 400, "application/json", "{\"error\":\"room id must be an unsigned decimal\"}");
                return;
            }
            for (RoomSummary r : all) {
                if (r.id() == roomId) {
                    send(ex, 200, "application/json", JSON.writeValueAsString(room(r, true)));
                    return;
                }
            }
            send(ex, 404, "application/json", "{\"error\":\"no such room\",\"room\":" + Long.toUnsignedString(roomId) + "}");
        });
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static ObjectNode room(RoomSummary r, boolean detail) {
        ObjectNode o = JSON.createObjectNode();
        o.put("room", Long.toUnsignedString(r.id()));
        o.put("epoch", r.epoch());
        o.put("lastSeq", r.lastSequence());
        o.put("viewers", r.viewers());
        o.put("historyFirstSeq", r.firstRetainedSequence());
        o.put("historyEntries", r.historyEntries());
        if (detail) {
            o.put("historyBytes", r.historyBytes());
            o.put("leaderboardUsers", r.leaderboardUsers());
            ArrayNode top = o.putArray("top");
            for (int i = 0; i < r.topUsers().length; i++) {
                ObjectNode t = top.addObject();
                t.put("user", Long.toUnsignedString(r.topUsers()[i]));
                t.put("score", r.topScores()[i]);
            }
        }
        return o;
    }

    private static boolean get(HttpExchange ex) throws IOException {
        if (!"GET".equals(ex.getRequestMethod())) {
            send(ex, 405, "application/json", "{\"error\":\"method not allowed\"}");
            return false;
        }
        return true;
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
