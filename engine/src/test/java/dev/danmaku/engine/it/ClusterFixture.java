package dev.danmaku.engine.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.danmaku.router.Member;
import dev.danmaku.router.NodeState;
import dev.danmaku.router.ShardMap;
import dev.danmaku.router.store.ClusterStore;
import dev.danmaku.router.store.Outgoing;
import dev.danmaku.router.store.RedisEndpoint;
import dev.danmaku.router.store.Registration;
import dev.danmaku.testkit.RedisServer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A cluster for tests: a real redis-server and node processes ({@link ChildNode}) on loopback, each
 * with its own ports and data directory, and the {@link ClusterStore} to read and change the map
 * as the router would. {@link #close()} kills every process it started.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
public final class ClusterFixture implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;
    private final RedisServer redis;
    private final RedisEndpoint endpoint;
    private final ClusterStore store;
    private final Map<String, ChildNode> nodes = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final String[] extra;

    /**
     * Starts redis; nodes start with {@link #startNode}. {@code extra} settings go to every node;
     * {@code {redis}} in them stands for the redis URI (e.g. {@code redis.uri={redis}} for the sink).
     */
    public ClusterFixture(Path dir, String... extra) throws Exception {
        this.dir = dir;
        this.extra = extra;
        this.redis = RedisServer.start();
        this.endpoint = RedisEndpoint.of(redis.uri(), 2_000);
        this.store = new ClusterStore(endpoint, "test");
    }

    public ClusterStore store() {
        return store;
    }

    public RedisServer redis() {
        return redis;
    }

    public ChildNode node(String id) {
        return nodes.get(id);
    }

    public Map<String, ChildNode> nodes() {
        return nodes;
    }

    /** Starts node {@code id} (a child JVM) and waits until it is registered with a live lease. */
    public ChildNode startNode(String id, String... settings) throws Exception {
        List<String> s = new ArrayList<>(List.of("cluster.redis-uri=" + redis.uri(), "cluster.name=test", "node.id=" + id,
                "cluster.lease-ms=2000", "cluster.renew-ms=200", "cluster.poll-ms=100"));
        for (String x : extra) {
            s.add(x.replace("{redis}", redis.uri()));
        }
        s.addAll(List.of(settings));
        ChildNode n = nodes.get(id);
        if (n == null) {
            n = new ChildNode(dir.resolve(id), s.toArray(new String[0]));
            nodes.put(id, n);
        }
        n.start(60_000);
        await(() -> store.leases().live(id) && store.registrations().containsKey(id), 20_000, id + " registered");
        return n;
    }

    /** The map with these registered nodes added as active members (one compare-and-set). */
    public ShardMap addActive(long moveWindowMs, String... ids) throws Exception {
        ShardMap map = store.readMap();
        Map<String, Registration> regs = store.registrations();
        for (String id : ids) {
            Registration r = regs.get(id);
            map = map.with(new Member(id, r.address(), r.admin(), 1, NodeState.ACTIVE));
        }
        ShardMap stored = store.compareAndSet(map.version(), map.withMoveWindowMs(moveWindowMs)
                .next(System.currentTimeMillis(), "test: add " + String.join(",", ids)));
        awaitVersion(stored.version());
        return stored;
    }

    /** Installs {@code next} (made from the current map) and waits until every live node follows it. */
    public ShardMap change(ShardMap next) throws Exception {
        ShardMap current = store.readMap();
        ShardMap stored = store.compareAndSet(current.version(), next.next(System.currentTimeMillis(), "test"));
        awaitVersion(stored.version());
        return stored;
    }

    /** Waits until every running node reports map version {@code v} in /health. */
    public void awaitVersion(long v) throws Exception {
        for (Map.Entry<String, ChildNode> e : nodes.entrySet()) {
            if (e.getValue().process() != null && e.getValue().process().isAlive()) {
                await(() -> health(e.getValue()).path("cluster").path("mapVersion").asLong() >= v, 20_000,
                        e.getKey() + " at map version " + v);
            }
        }
    }

    /** Waits until no live node has rooms left to hand over and all have published for the current map. */
    public void awaitMovesDone(long timeoutMs) throws Exception {
        await(() -> {
            long v = store.version();
            for (Map.Entry<String, ChildNode> e : nodes.entrySet()) {
                if (!store.leases().live(e.getKey())) {
                    continue;
                }
                Outgoing o = store.outgoing().get(e.getKey());
                if (o == null || o.syncedVersion() < v || !o.rooms().isEmpty()
                        || health(e.getValue()).path("cluster").path("outgoing").asInt(-1) != 0) {
                    return false;
                }
            }
            return true;
        }, timeoutMs, "every room handed over");
    }

    /** The node's /health JSON (an empty object if it does not answer). */
    public JsonNode health(ChildNode n) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.adminPort()
                    + "/health")).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (Exception e) {
            return JSON.createObjectNode();
        }
    }

    /** The node's /rooms list: room id -> that room's JSON. */
    public Map<Long, JsonNode> rooms(ChildNode n) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.adminPort()
                    + "/rooms")).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            Map<Long, JsonNode> out = new LinkedHashMap<>();
            for (JsonNode room : JSON.readTree(r.body()).path("rooms")) {
                out.put(Long.parseUnsignedLong(room.path("room").asText()), room);
            }
            return out;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The WebSocket URI of a member of the current map. */
    public URI address(String id) {
        return URI.create(store.readMap().member(id).address());
    }

    /** Polls {@code condition} every 50 ms until it holds or {@code timeoutMs} passes (then fails with {@code what}). */
    public static void await(BooleanSupplier condition, long timeoutMs, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException ignored) {
                // not yet (a node restarting, Redis briefly away)
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeoutMs + " ms waiting for: " + what);
            }
            Thread.sleep(50);
        }
    }

    @Override
    public void close() {
        for (ChildNode n : nodes.values()) {
            n.close();
        }
        store.close();
        endpoint.close();
        redis.close();
    }
}
