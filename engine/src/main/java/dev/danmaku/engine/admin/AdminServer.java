package dev.danmaku.engine.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.danmaku.engine.filter.BanList;
import dev.danmaku.engine.filter.CurrentBanList;
import dev.danmaku.engine.stage.FanoutHandler.RoomSummary;
import org.agrona.concurrent.EpochClock;

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
 *   <li>{@code GET /rooms/{id}}: one room with its top senders, 404 if unknown;</li>
 *   <li>{@code GET|POST|DELETE /bans}: user and IPv4 bans, applied by the admit stage at once;</li>
 *   <li>{@code GET /}: the browser player ({@link WebAssets}, with {@code web.enabled}).</li>
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

    // --- shared ban store (Redis) ---
    /**
     * Where bans are kept when they are shared between nodes (Redis): POST/DELETE /bans go through it
     * (it writes the store, tells the other nodes, and updates the local {@link CurrentBanList}); a
     * failure answers 503 and changes nothing. Without one, bans are local to this node.
     */
    public interface BanStore {
        void banUser(long userId, long untilMs) throws Exception;

        void unbanUser(long userId) throws Exception;

        void banIpv4(int address, long untilMs) throws Exception;

        void unbanIpv4(int address) throws Exception;
    }

    private volatile BanStore banStore;

    /** Routes ban changes through {@code store} from now on (call once at startup). */
    public void banStore(BanStore store) {
        this.banStore = store;
    }
    // --- end shared ban store ---

    private final HttpServer server;
    private final ExecutorService executor;

    public AdminServer(String host, int port, NodeMetrics metrics, Supplier<List<RoomSummary>> rooms, Health health,
                       CurrentBanList bans, EpochClock clock) throws IOException {
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
        server.createContext("/bans", ex -> bans(ex, bans, clock, banStore));
        server.start();
    }

    /**
     * {@code GET /bans} lists bans; {@code POST /bans} with {@code {"user":ID}} or {@code {"ip":"a.b.c.d"}}
     * and optional {@code "durationMs"} (default permanent) adds one; {@code DELETE /bans?user=ID} or
     * {@code ?ip=a.b.c.d} removes one. A new snapshot is published to the admit stage at once.
     */
    private static void bans(HttpExchange ex, CurrentBanList bans, EpochClock clock, BanStore store)
            throws IOException {
        try {
            if (store != null && !"GET".equals(ex.getRequestMethod())) {
                storeBan(ex, store, clock);
                return;
            }
            switch (ex.getRequestMethod()) {
                case "GET" -> {
                    ObjectNode body = JSON.createObjectNode();
                    ArrayNode users = body.putArray("users");
                    ArrayNode ips = body.putArray("ips");
                    BanList current = bans.current();
                    current.forEachUserBan((user, until) -> users.addObject().put("user", Long.toUnsignedString(user))
                            .put("expiresAtMs", until == BanList.PERMANENT ? -1 : until));
                    current.forEachIpv4Ban((ip, until) -> ips.addObject().put("ip", ipv4((int) ip))
                            .put("expiresAtMs", until == BanList.PERMANENT ? -1 : until));
                    send(ex, 200, "application/json", JSON.writeValueAsString(body));
                }
                case "POST" -> {
                    com.fasterxml.jackson.databind.JsonNode req = JSON.readTree(ex.getRequestBody());
                    long duration = req.path("durationMs").asLong(0);
                    long until = duration <= 0 ? BanList.PERMANENT : clock.time() + duration;
                    synchronized (bans) {
                        BanList.Builder next = bans.current().toBuilder().pruneExpired(clock.time());
                        if (req.hasNonNull("user")) {
                            next.banUser(Long.parseUnsignedLong(req.get("user").asText()), until);
                        } else if (req.hasNonNull("ip")) {
                            next.banIpv4(parseIpv4(req.get("ip").asText()), until);
                        } else {
                            throw new IllegalArgumentException("give \"user\" or \"ip\"");
                        }
                        bans.publish(next.build());
                    }
                    send(ex, 200, "application/json", "{\"ok\":true}");
                }
                case "DELETE" -> {
                    String q = ex.getRequestURI().getQuery() == null ? "" : ex.getRequestURI().getQuery();
                    synchronized (bans) {
                        BanList.Builder next = bans.current().toBuilder();
                        if (q.startsWith("user=")) {
                            next.unbanUser(Long.parseUnsignedLong(q.substring(5)));
                        } else if (q.startsWith("ip=")) {
                            next.unbanIpv4(parseIpv4(q.substring(3)));
                        } else {
                            throw new IllegalArgumentException("give ?user=ID or ?ip=a.b.c.d");
                        }
                        bans.publish(next.build());
                    }
                    send(ex, 200, "application/json", "{\"ok\":true}");
                }
                default -> send(ex, 405, "application/json", "{\"error\":\"method not allowed\"}");
            }
        } catch (IllegalArgumentException | com.fasterxml.jackson.core.JsonProcessingException e) {
            send(ex, 400, "application/json", JSON.writeValueAsString(JSON.createObjectNode().put("error",
                    e.getMessage() == null ? "bad request" : e.getMessage())));
        }
    }

    /** POST/DELETE /bans through the shared store (same requests and answers as the local path). */
    private static void storeBan(HttpExchange ex, BanStore store, EpochClock clock) throws IOException {
        try {
            switch (ex.getRequestMethod()) {
                case "POST" -> {
                    com.fasterxml.jackson.databind.JsonNode req = JSON.readTree(ex.getRequestBody());
                    long duration = req.path("durationMs").asLong(0);
                    long until = duration <= 0 ? BanList.PERMANENT : clock.time() + duration;
                    if (req.hasNonNull("user")) {
                        store.banUser(Long.parseUnsignedLong(req.get("user").asText()), until);
                    } else if (req.hasNonNull("ip")) {
                        store.banIpv4(parseIpv4(req.get("ip").asText()), until);
                    } else {
                        throw new IllegalArgumentException("give \"user\" or \"ip\"");
                    }
                }
                case "DELETE" -> {
                    String q = ex.getRequestURI().getQuery() == null ? "" : ex.getRequestURI().getQuery();
                    if (q.startsWith("user=")) {
                        store.unbanUser(Long.parseUnsignedLong(q.substring(5)));
                    } else if (q.startsWith("ip=")) {
                        store.unbanIpv4(parseIpv4(q.substring(3)));
                    } else {
                        throw new IllegalArgumentException("give ?user=ID or ?ip=a.b.c.d");
                    }
                }
                default -> {
                    send(ex, 405, "application/json", "{\"error\":\"method not allowed\"}");
                    return;
                }
            }
            send(ex, 200, "application/json", "{\"ok\":true}");
        } catch (IllegalArgumentException | com.fasterxml.jackson.core.JsonProcessingException e) {
            send(ex, 400, "application/json", JSON.writeValueAsString(JSON.createObjectNode().put("error",
                    e.getMessage() == null ? "bad request" : e.getMessage())));
        } catch (Exception e) {
            send(ex, 503, "application/json", JSON.writeValueAsString(JSON.createObjectNode().put("error",
                    "ban store unavailable: " + e)));
        }
    }

    /** Parses a dotted IPv4 address to an int, network order. */
    public static int parseIpv4(String text) {
        String[] parts = text.trim().split("\\.");
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + text);
        }
        int ip = 0;
        for (String part : parts) {
            int b = Integer.parseInt(part);
            if (b < 0 || b > 255) {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            ip = (ip << 8) | b;
        }
        return ip;
    }

    /** Formats an IPv4 address (network order int) as a.b.c.d. */
    public static String ipv4(int ip) {
        return ((ip >>> 24) & 0xFF) + "." + ((ip >>> 16) & 0xFF) + "." + ((ip >>> 8) & 0xFF) + "." + (ip & 0xFF);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /**
     * Serves the browser player and client library at {@code /} (everything no other context takes);
     * call once at startup, when {@code web.enabled} is true.
     */
    public void serveWeb(WebAssets assets) {
        server.createContext("/", assets);
    }

    private static ObjectNode room(RoomSummary r, boolean detail) {
        ObjectNode o = JSON.createObjectNode();
        o.put("room", Long.toUnsignedString(r.id()));
        o.put("epoch", r.epoch());
        o.put("lastSeq", r.lastSequence());
        o.put("viewers", r.viewers());
        o.put("historyFirstSeq", r.firstRetainedSequence());
        o.put("historyEntries", r.historyEntries());
        o.put("historyBytes", r.historyBytes());
        o.put("leaderboardUsers", r.leaderboardUsers());
        if (detail) {
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
