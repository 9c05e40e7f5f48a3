package dev.danmaku.router.store;

import dev.danmaku.router.RoomIds;
import dev.danmaku.router.ShardMap;
import dev.danmaku.router.ShardMapJson;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/**
 * The cluster's shared state in Redis (standalone or Cluster): the shard map, node registrations
 * with leases, the rooms each node still has to hand over, and the handoff documents themselves.
 * Nothing here is a protocol of our own: a map change is a compare-and-set on the version (one Lua
 * script), leases are scores in a sorted set against Redis's own clock, and changes are announced
 * by pub/sub (every reader also polls, so a lost message only delays).
 *
 * <p>Keys (docs/cluster.md, "The map in Redis"); every cluster-wide key carries the hash tag
 * {@code {danmaku:CLUSTER}} so the scripts touch one slot in Redis Cluster; handoff documents are
 * tagged by room, so they spread over the cluster:
 * <pre>
 *  danmaku:{danmaku:C}:map            string  the map's JSON ({@link ShardMapJson})
 *  danmaku:{danmaku:C}:version        string  the map's version (the compare-and-set compares this)
 *  danmaku:{danmaku:C}:registry       hash    node id -> {@link Registration} JSON
 *  danmaku:{danmaku:C}:leases         zset    node id -> lease expiry, Redis server time in ms
 *  danmaku:{danmaku:C}:synced         hash    node id -> map version its outgoing set is complete for
 *  danmaku:{danmaku:C}:incoming:ID    set     rooms handed over to node ID whose documents it has not taken yet
 *  danmaku:{danmaku:C}:outgoing:ID    set     rooms node ID holds and must hand over
 *  danmaku:{danmaku:C}:events         channel "map V", "outgoing ID", "handoff ROOM FROM TO"
 *  danmaku:handoff:{C:ROOM}           string  a room's handoff document (binary), with a TTL
 * </pre>
 *
 * <p>Every call is a blocking Redis round trip bounded by the endpoint's command timeout and
 * throws Lettuce's {@code RedisException} on failure; callers run it off the hot path. Thread-safe.
 */
public final class ClusterStore implements AutoCloseable {
    private static final String CAS = """
            local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
            if cur ~= tonumber(ARGV[1]) then return {0, cur} end
            redis.call('SET', KEYS[1], ARGV[2])
            redis.call('SET', KEYS[2], ARGV[3])
            redis.call('PUBLISH', ARGV[4], 'map ' .. ARGV[2])
            return {1, tonumber(ARGV[2])}
            """;
    private static final String RENEW = """
            if redis.replicate_commands then redis.replicate_commands() end
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
            redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
            return now
            """;
    private static final String REPLACE_OUTGOING = """
            if ARGV[1] == '1' then redis.call('DEL', KEYS[1]) end
            for i = 4, #ARGV do redis.call('SADD', KEYS[1], ARGV[i]) end
            if ARGV[2] ~= '' then
              redis.call('HSET', KEYS[2], ARGV[3], ARGV[2])
              redis.call('PUBLISH', KEYS[3], 'outgoing ' .. ARGV[3])
            end
            return 1
            """;
    private static final String RELEASE = """
            redis.call('ZREM', KEYS[1], ARGV[1])
            return 1
            """;

    private final RedisEndpoint endpoint;
    private final String cluster;
    private final String prefix;
    private final StatefulConnection<String, String> text;
    private final RedisClusterCommands<String, String> cmd;
    private final StatefulConnection<String, byte[]> binary;
    private final RedisClusterCommands<String, byte[]> bin;
    private StatefulRedisPubSubConnection<String, String> pubsub;

    /**
     * @param cluster the cluster's name (several clusters can share one Redis); [A-Za-z0-9._-]+
     * @throws io.lettuce.core.RedisException if Redis cannot be reached
     */
    public ClusterStore(RedisEndpoint endpoint, String cluster) {
        if (!cluster.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException("cluster name must be 1-64 characters of A-Z a-z 0-9 . _ -, got '" + cluster + "'");
        }
        this.endpoint = endpoint;
        this.cluster = cluster;
        this.prefix = "danmaku:{danmaku:" + cluster + "}:";
        this.text = endpoint.connect(StringCodec.UTF8);
        this.cmd = RedisEndpoint.sync(text);
        this.binary = endpoint.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
        this.bin = RedisEndpoint.sync(binary);
    }

    public String cluster() {
        return cluster;
    }

    public RedisEndpoint endpoint() {
        return endpoint;
    }

    String key(String name) {
        return prefix + name;
    }

    /** The pub/sub channel of this cluster's events. */
    public String channel() {
        return key("events");
    }

    // ---- the map ---------------------------------------------------------------------------------

    /** The current map, or {@link ShardMap#EMPTY} if none was ever written. */
    public ShardMap readMap() {
        String json = cmd.get(key("map"));
        return json == null ? ShardMap.EMPTY : ShardMapJson.read(json);
    }

    /** The current map's version (0 if none), one small read. */
    public long version() {
        String v = cmd.get(key("version"));
        return v == null ? 0 : Long.parseLong(v);
    }

    /**
     * Installs {@code next} (written at version {@code expectedVersion + 1}) if the stored version is
     * still {@code expectedVersion}, and announces it.
     *
     * @return the map as stored
     * @throws StaleMapException if the stored version is another one
     */
    public ShardMap compareAndSet(long expectedVersion, ShardMap next) throws StaleMapException {
        ShardMap stored = next.atVersion(expectedVersion + 1);
        List<Object> r = cmd.eval(CAS, ScriptOutputType.MULTI, new String[]{key("version"), key("map")},
                Long.toString(expectedVersion), Long.toString(stored.version()), ShardMapJson.write(stored), channel());
        if (((Number) r.get(0)).longValue() != 1) {
            throw new StaleMapException(expectedVersion, ((Number) r.get(1)).longValue());
        }
        return stored;
    }

    // ---- registrations and leases ----------------------------------------------------------------

    /**
     * Registers (or re-registers) a node and renews its lease for {@code leaseMs} from now by Redis's
     * clock.
     *
     * @return Redis's clock, Unix ms
     */
    public long renew(Registration r, long leaseMs) {
        Object now = cmd.eval(RENEW, ScriptOutputType.INTEGER, new String[]{key("leases"), key("registry")}, r.id(),
                Long.toString(leaseMs), r.toJson());
        return ((Number) now).longValue();
    }

    /** Ends a node's lease now (a clean shutdown); its registration stays for the operator to see. */
    public void releaseLease(String nodeId) {
        cmd.eval(RELEASE, ScriptOutputType.INTEGER, new String[]{key("leases")}, nodeId);
    }

    /** Forgets a node's registration and lease (after the router removed it). */
    public void unregister(String nodeId) {
        cmd.hdel(key("registry"), nodeId);
        cmd.zrem(key("leases"), nodeId);
        cmd.hdel(key("synced"), nodeId);
        cmd.del(key("outgoing:" + nodeId));
        cmd.del(key("incoming:" + nodeId));
    }

    /** Every registration, by node id. */
    public Map<String, Registration> registrations() {
        Map<String, Registration> out = new TreeMap<>();
        for (Map.Entry<String, String> e : cmd.hgetall(key("registry")).entrySet()) {
            try {
                out.put(e.getKey(), Registration.fromJson(e.getValue()));
            } catch (IllegalArgumentException ignored) {
                // A registration this build cannot read: not a node it can talk to.
            }
        }
        return out;
    }

    /** Leases as seen now: node id -> expiry (Redis ms), with Redis's clock. */
    public Leases leases() {
        List<String> t = cmd.time();
        long now = Long.parseLong(t.get(0)) * 1000 + Long.parseLong(t.get(1)) / 1000;
        Map<String, Long> expiry = new TreeMap<>();
        for (ScoredValue<String> v : cmd.zrangeWithScores(key("leases"), 0, -1)) {
            expiry.put(v.getValue(), (long) v.getScore());
        }
        return new Leases(now, expiry);
    }

    /**
     * Leases at one instant.
     *
     * @param nowMs  Redis's clock when read
     * @param expiry node id -> lease expiry
     */
    public record Leases(long nowMs, Map<String, Long> expiry) {
        /** True if {@code id} holds a lease that has not expired. */
        public boolean live(String id) {
            Long e = expiry.get(id);
            return e != null && e - nowMs > 0;
        }
    }

    // ---- rooms to hand over ----------------------------------------------------------------------

    /**
     * Records the rooms {@code node} must hand over, complete up to map {@code version}.
     * The rooms are added before the version is, so a reader that sees the version sees them.
     */
    public void publishOutgoing(String node, long version, Collection<Long> rooms) {
        String k = key("outgoing:" + node);
        List<String> ids = new ArrayList<>(rooms.size());
        for (long r : rooms) {
            ids.add(RoomIds.format(r));
        }
        for (int i = 0; i < ids.size(); i += 1000) {
            cmd.sadd(k, ids.subList(i, Math.min(ids.size(), i + 1000)).toArray(new String[0]));
        }
        cmd.hset(key("synced"), node, Long.toString(version));
        cmd.publish(channel(), "outgoing " + node);
    }

    /**
     * Replaces {@code node}'s outgoing set with {@code rooms}, complete for map {@code version}. In
     * chunks of 5,000 rooms; the version is written with the last chunk, so a reader that sees the
     * version sees the whole set (until then it sees the node as not synced).
     */
    public void replaceOutgoing(String node, long version, long[] rooms, int count) {
        int chunk = 5_000;
        int i = 0;
        do {
            int n = Math.min(chunk, count - i);
            boolean last = i + n >= count;
            String[] args = new String[3 + n];
            args[0] = i == 0 ? "1" : "0";
            args[1] = last ? Long.toString(version) : "";
            args[2] = node;
            for (int j = 0; j < n; j++) {
                args[3 + j] = RoomIds.format(rooms[i + j]);
            }
            cmd.eval(REPLACE_OUTGOING, ScriptOutputType.INTEGER,
                    new String[]{key("outgoing:" + node), key("synced"), channel()}, args);
            i += n;
        } while (i < count);
    }

    /** {@code node} no longer holds {@code room} (handed over, or dropped). */
    public void removeOutgoing(String node, long room) {
        cmd.srem(key("outgoing:" + node), RoomIds.format(room));
    }

    /** Every node's outgoing set and synced version. */
    public Map<String, Outgoing> outgoing() {
        Map<String, Outgoing> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : cmd.hgetall(key("synced")).entrySet()) {
            Set<Long> rooms = new HashSet<>();
            for (String s : cmd.smembers(key("outgoing:" + e.getKey()))) {
                rooms.add(Long.parseUnsignedLong(s));
            }
            out.put(e.getKey(), new Outgoing(e.getKey(), Long.parseLong(e.getValue()), rooms));
        }
        return out;
    }

    // ---- handoff documents -----------------------------------------------------------------------

    private String handoffKey(long room) {
        return "danmaku:handoff:{" + cluster + ":" + RoomIds.format(room) + "}";
    }

    /** A handoff document to write with {@link #putHandoffs}. */
    public record Handoff(long room, String to, byte[] document) {
    }

    /**
     * Writes handoff documents (each with {@code ttlMs}), then takes their rooms out of
     * {@code from}'s outgoing set and announces each: two pipelined round trips for all of them,
     * the documents first (their leaving the outgoing set is the new owners' cue to fetch them).
     *
     * @throws RuntimeException (Redis) if any command failed; every one of them may be repeated
     */
    public void putHandoffs(String from, List<Handoff> docs, long ttlMs) {
        RedisClusterAsyncCommands<String, byte[]> b = RedisEndpoint.async(binary);
        List<RedisFuture<?>> written = new ArrayList<>(docs.size());
        for (Handoff h : docs) {
            written.add(b.set(handoffKey(h.room()), h.document(), SetArgs.Builder.px(ttlMs)));
        }
        await(written);
        RedisClusterAsyncCommands<String, String> t = RedisEndpoint.async(text);
        List<RedisFuture<?>> cued = new ArrayList<>(docs.size() * 3);
        for (Handoff h : docs) {
            // One connection, in order: on the new owner's incoming list before out of the outgoing
            // set, so a reader of both (outgoing first) never finds the room in neither.
            cued.add(t.sadd(key("incoming:" + h.to()), RoomIds.format(h.room())));
            cued.add(t.srem(key("outgoing:" + from), RoomIds.format(h.room())));
            cued.add(t.publish(channel(), "handoff " + RoomIds.format(h.room()) + " " + from + " " + h.to()));
        }
        await(cued);
    }

    /**
     * For each of the first {@code n} rooms, true while its handoff document is in Redis: the old
     * owner's way to see that the new owner installed it (and deleted it), or that it expired. One
     * pipelined round trip.
     */
    public boolean[] handoffsPending(long[] rooms, int n) {
        RedisClusterAsyncCommands<String, byte[]> b = RedisEndpoint.async(binary);
        List<RedisFuture<Long>> exists = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            exists.add(b.exists(handoffKey(rooms[i])));
        }
        await(exists);
        boolean[] pending = new boolean[n];
        for (int i = 0; i < n; i++) {
            pending[i] = exists.get(i).toCompletableFuture().join() > 0;
        }
        return pending;
    }

    /** Waits for every future (each bounded by the endpoint's command timeout); the first failure is thrown. */
    private static void await(List<? extends RedisFuture<?>> futures) {
        for (RedisFuture<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RedisException("interrupted waiting for Redis");
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new RedisException(e.getCause());
            }
        }
    }

    /**
     * Rooms handed over to {@code node} whose documents it has not taken yet (see
     * {@link #putHandoffs}, {@link #takenHandoffs}). Read after {@link #outgoing()}: a room that left
     * a holder's set is here by then.
     */
    public Set<Long> incoming(String node) {
        Set<Long> rooms = new HashSet<>();
        for (String s : cmd.smembers(key("incoming:" + node))) {
            rooms.add(Long.parseUnsignedLong(s));
        }
        return rooms;
    }

    /** The handoff documents of the first {@code n} rooms (null where there is none), in one pipelined round trip. */
    public List<byte[]> handoffs(long[] rooms, int n) {
        RedisClusterAsyncCommands<String, byte[]> b = RedisEndpoint.async(binary);
        List<RedisFuture<byte[]>> gets = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            gets.add(b.get(handoffKey(rooms[i])));
        }
        await(gets);
        List<byte[]> docs = new ArrayList<>(n);
        for (RedisFuture<byte[]> g : gets) {
            docs.add(g.toCompletableFuture().join());
        }
        return docs;
    }

    /**
     * {@code node} took (installed, refused, or found gone) the handoffs of the first {@code n}
     * rooms: documents deleted, off its incoming list, in one pipelined round trip.
     */
    public void takenHandoffs(String node, long[] rooms, int n) {
        RedisClusterAsyncCommands<String, byte[]> b = RedisEndpoint.async(binary);
        RedisClusterAsyncCommands<String, String> t = RedisEndpoint.async(text);
        List<RedisFuture<?>> f = new ArrayList<>(2 * n);
        for (int i = 0; i < n; i++) {
            f.add(b.del(handoffKey(rooms[i])));
            f.add(t.srem(key("incoming:" + node), RoomIds.format(rooms[i])));
        }
        await(f);
    }

    /** Takes {@code room} off {@code node}'s incoming list only (its document is another node's now, or unreadable). */
    public void forgetIncoming(String node, long room) {
        cmd.srem(key("incoming:" + node), RoomIds.format(room));
    }

    /** A room's handoff document, or null. */
    public byte[] handoff(long room) {
        return bin.get(handoffKey(room));
    }

    // ---- events ----------------------------------------------------------------------------------

    /**
     * Subscribes to this cluster's events; {@code listener} runs on a Lettuce thread and must not
     * block. Lettuce re-subscribes after a reconnect by itself.
     */
    public synchronized void subscribe(Consumer<String> listener) {
        if (pubsub == null) {
            pubsub = endpoint.connectPubSub(StringCodec.UTF8);
        }
        pubsub.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String message) {
                listener.accept(message);
            }
        });
        pubsub.sync().subscribe(channel());
    }

    @Override
    public synchronized void close() {
        if (pubsub != null) {
            pubsub.close();
        }
        text.close();
        binary.close();
    }
}
