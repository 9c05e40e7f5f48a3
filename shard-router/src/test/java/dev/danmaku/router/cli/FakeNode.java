package dev.danmaku.router.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.danmaku.router.RoomIds;
import dev.danmaku.router.store.Registration;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A node's admin API as the router sees it: a real HTTP server on 127.0.0.1 answering
 * {@code GET /health} and {@code GET /rooms} from state the test sets. Bullets are "accepted" at
 * {@link #RATE} per second of wall time, so two samples give a rate.
 */
final class FakeNode implements AutoCloseable {
    static final double RATE = 100;
    private static final ObjectMapper JSON = new ObjectMapper();

    final String id;
    private final HttpServer server;
    private final long startNanos = System.nanoTime();
    /** room -> {viewers, historyEntries} */
    private final Map<Long, int[]> rooms = new ConcurrentSkipListMap<>(Long::compareUnsigned);
    /** Answer /health with only a status (an older node). */
    volatile boolean minimalHealth;
    volatile long mapVersion = -1;

    FakeNode(String id) throws IOException {
        this.id = id;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/health", ex -> send(ex, health()));
        server.createContext("/rooms", ex -> send(ex, roomList()));
        server.start();
    }

    String admin() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** A WebSocket address unique to this node (nobody connects to it). */
    String address() {
        return "ws://127.0.0.1:" + server.getAddress().getPort() + "/ws";
    }

    Registration registration() {
        return new Registration(id, address(), admin(), 1_700_000_000_000L, ProcessHandle.current().pid());
    }

    FakeNode room(long room, int viewers, int historyEntries) {
        rooms.put(room, new int[]{viewers, historyEntries});
        return this;
    }

    void drop(long room) {
        rooms.remove(room);
    }

    private String health() {
        ObjectNode n = JSON.createObjectNode();
        n.put("status", "up");
        if (!minimalHealth) {
            n.put("node", id);
            n.put("connections", 7);
            n.put("rooms", rooms.size());
            n.put("viewers", rooms.values().stream().mapToInt(v -> v[0]).sum());
            n.put("accepted", (long) ((System.nanoTime() - startNanos) / 1e9 * RATE));
            ObjectNode c = n.putObject("cluster");
            c.put("name", "test");
            c.put("redis", "ok");
            if (mapVersion >= 0) {
                c.put("mapVersion", mapVersion);
            }
            c.put("state", "active");
            c.put("outgoing", 0);
        }
        return n.toString();
    }

    private String roomList() {
        ObjectNode body = JSON.createObjectNode();
        body.put("count", rooms.size());
        ArrayNode list = body.putArray("rooms");
        rooms.forEach((room, v) -> list.addObject().put("room", RoomIds.format(room)).put("epoch", 1).put("lastSeq", 5)
                .put("viewers", v[0]).put("historyFirstSeq", 1).put("historyEntries", v[1]));
        return body.toString();
    }

    private static void send(HttpExchange ex, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, b.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
