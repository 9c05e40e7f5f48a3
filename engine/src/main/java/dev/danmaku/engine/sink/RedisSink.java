package dev.danmaku.engine.sink;

import dev.danmaku.router.store.RedisEndpoint;
import dev.danmaku.engine.journal.JournalLayout;
import dev.danmaku.engine.journal.JournalRecord;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.event.connection.DisconnectedEvent;
import io.lettuce.core.cluster.event.ClusterTopologyChangedEvent;
import org.agrona.collections.Long2ObjectHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import static java.nio.charset.StandardCharsets.US_ASCII;

/**
 * The Redis sink: writes each journal batch to Redis as one pipeline of Lua scripts (see
 * {@link RedisKeys} for the keys and {@link RedisScript} for the scripts): per room one
 * {@link RedisScript#APPLY_ROOM} (recent-bullet pool, room ranking, applied marker; all in the room's
 * slot), and one {@link RedisScript#APPLY_GLOBAL} for the batch (global ranking, active rooms, per-room
 * applied markers; all in the {@code {global}} slot). Both skip what was already applied, so the
 * tailer's replays (after a failure or a kill -9) double-count nothing. {@link #write} returns only
 * when every script of the batch has succeeded, so the tailer advances only then.
 *
 * <p><b>Failover.</b> Redis replicates asynchronously: a master killed right after acknowledging
 * a script may take it to its grave, and the replica promoted in its place never saw it. The sink
 * therefore keeps the scripts of its recent batches (up to {@code replayWindowBullets} bullets and
 * {@code replayWindowMs}) and sends them again, ahead of the next batch, after any failure,
 * disconnect or cluster topology change; they are idempotent, so on a server that has them they
 * are no-ops. Redis is never the only copy of a bullet (the journal is).
 *
 * <p>Owned by its tailer's thread ({@link #write}, {@link #close}); the event listener only sets a flag.
 */
public final class RedisSink implements SinkWriter {
    private static final Logger LOG = LoggerFactory.getLogger(RedisSink.class);
    private static final byte[][] NO_BYTES = new byte[0][];

    /** Sink settings. {@code bulletWeight}/{@code byteWeight} must be the node's ranking weights. */
    public record Settings(int poolSize, long bulletWeight, long byteWeight, int replayWindowBullets,
                           long replayWindowMs) {
        public static Settings defaults() {
            return new Settings(10_000, 1, 0, 50_000, 10_000);
        }
    }

    private final RedisEndpoint endpoint;
    private final Settings settings;
    private final byte[] poolCap;
    private final Long2ObjectHashMap<RoomBatch> rooms = new Long2ObjectHashMap<>();
    private final ArrayDeque<Sent> window = new ArrayDeque<>();
    private int windowBullets;
    private StatefulConnection<byte[], byte[]> connection;
    private volatile boolean replayNeeded;
    private reactor.core.Disposable events;

    /** Scripts re-sent from the replay window. */
    public final AtomicLong replayedScripts = new AtomicLong();
    /** Scripts re-sent with EVAL after NOSCRIPT. */
    public final AtomicLong noScriptFallbacks = new AtomicLong();
    /** Bullets the scripts actually applied (replays that changed nothing are not counted). */
    public final AtomicLong appliedBullets = new AtomicLong();

    public RedisSink(RedisEndpoint endpoint, Settings settings) {
        this.endpoint = endpoint;
        this.settings = settings;
        this.poolCap = Integer.toString(settings.poolSize()).getBytes(US_ASCII);
    }

    @Override
    public void write(RecordBatch batch) throws Exception {
        try {
            writeOrThrow(batch);
            replayNeeded = false;
        } catch (Exception e) {
            replayNeeded = true;
            throw e;
        }
    }

    private void writeOrThrow(RecordBatch batch) throws Exception {
        List<Script> scripts = scripts(batch);
        if (scripts.isEmpty()) {
            return;
        }
        RedisClusterAsyncCommands<byte[], byte[]> redis = RedisEndpoint.async(connection());
        List<Script> toSend = new ArrayList<>(scripts);
        if (replayNeeded && !window.isEmpty()) {
            List<Script> replay = new ArrayList<>();
            for (Sent s : window) {
                replay.addAll(s.scripts);
            }
            replayedScripts.addAndGet(replay.size());
            replay.addAll(toSend);
            toSend = replay;
        }
        long applied = run(redis, toSend);
        appliedBullets.addAndGet(applied);
        remember(scripts);
    }

    /** Sends every script in one pipeline, waits for all; re-sends NOSCRIPT ones with EVAL. */
    private long run(RedisClusterAsyncCommands<byte[], byte[]> redis, List<Script> scripts) throws Exception {
        long deadline = System.nanoTime() + endpoint.timeout().toNanos() + TimeUnit.SECONDS.toNanos(1);
        List<RedisFuture<Long>> futures = send(redis, scripts, false);
        List<Script> retry = null;
        Exception failure = null;
        long applied = 0;
        for (int i = 0; i < futures.size(); i++) {
            try {
                applied += await(futures.get(i), deadline);
            } catch (ExecutionException e) {
                if (RedisScript.isNoScript(e)) {
                    if (retry == null) {
                        retry = new ArrayList<>();
                    }
                    retry.add(scripts.get(i));
                } else if (failure == null) {
                    failure = e.getCause() instanceof Exception c ? c : e;
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        if (retry != null) {
            // Per room there is at most one script per batch, and a room's scripts go to one server in
            // order, so re-sending only the NOSCRIPT ones cannot reorder a room's bullets.
            noScriptFallbacks.addAndGet(retry.size());
            List<RedisFuture<Long>> again = send(redis, retry, true);
            deadline = System.nanoTime() + endpoint.timeout().toNanos() + TimeUnit.SECONDS.toNanos(1);
            for (RedisFuture<Long> f : again) {
                try {
                    applied += await(f, deadline);
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof Exception c ? c : e;
                }
            }
        }
        return applied;
    }

    private List<RedisFuture<Long>> send(RedisClusterAsyncCommands<byte[], byte[]> redis, List<Script> scripts,
                                         boolean withText) {
        List<RedisFuture<Long>> futures = new ArrayList<>(scripts.size());
        StatefulConnection<byte[], byte[]> c = connection;
        c.setAutoFlushCommands(false);
        try {
            for (Script s : scripts) {
                futures.add(s.script.run(redis, withText, ScriptOutputType.INTEGER, s.keys, s.args));
            }
        } finally {
            c.flushCommands();
            c.setAutoFlushCommands(true);
        }
        return futures;
    }

    private static long await(RedisFuture<Long> f, long deadline) throws Exception {
        long left = deadline - System.nanoTime();
        try {
            Long v = f.get(Math.max(0, left), TimeUnit.NANOSECONDS);
            return v == null ? 0 : v;
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new TimeoutException("redis did not answer a script in time");
        }
    }

    private StatefulConnection<byte[], byte[]> connection() {
        if (connection == null || !connection.isOpen()) {
            if (connection != null) {
                connection.closeAsync();
            }
            connection = endpoint.connect(ByteArrayCodec.INSTANCE);
            if (events == null) {
                events = endpoint.events().subscribe(e -> {
                    if (e instanceof DisconnectedEvent || e instanceof ClusterTopologyChangedEvent) {
                        replayNeeded = true;
                    }
                });
            }
            replayNeeded = true;
            LOG.info("redis sink connected to {}", endpoint);
        }
        return connection;
    }

    /** Builds the batch's scripts: one per room, then the global one. */
    private List<Script> scripts(RecordBatch batch) {
        rooms.clear();
        List<RoomBatch> order = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            JournalRecord r = batch.record(i);
            if (r.kind() != JournalLayout.KIND_BULLET) {
                continue;
            }
            long room = r.roomId();
            RoomBatch rb = rooms.get(room);
            if (rb == null) {
                rb = new RoomBatch(room);
                rooms.put(room, rb);
                order.add(rb);
            }
            long score = settings.bulletWeight() + settings.byteWeight() * r.contentLength();
            byte[] epoch = ascii(Long.toString(r.epoch()));
            byte[] seq = ascii(Long.toUnsignedString(r.sequence()));
            byte[] user = ascii(Long.toUnsignedString(r.userId()));
            byte[] sc = ascii(Long.toString(score));
            rb.roomArgs.add(epoch);
            rb.roomArgs.add(seq);
            rb.roomArgs.add(user);
            rb.roomArgs.add(sc);
            rb.roomArgs.add(RedisKeys.poolValue(r));
            rb.globalArgs.add(epoch);
            rb.globalArgs.add(seq);
            rb.globalArgs.add(user);
            rb.globalArgs.add(sc);
            rb.lastActiveMs = Math.max(rb.lastActiveMs, r.acceptTimeMs());
            rb.bullets++;
        }
        if (order.isEmpty()) {
            return List.of();
        }
        List<Script> scripts = new ArrayList<>(order.size() + 1);
        List<byte[]> global = new ArrayList<>();
        for (RoomBatch rb : order) {
            byte[][] keys = {RedisKeys.bytes(RedisKeys.pool(rb.room)), RedisKeys.bytes(RedisKeys.ranking(rb.room)),
                    RedisKeys.bytes(RedisKeys.applied(rb.room))};
            byte[][] args = new byte[rb.roomArgs.size() + 1][];
            args[0] = poolCap;
            for (int i = 0; i < rb.roomArgs.size(); i++) {
                args[i + 1] = rb.roomArgs.get(i);
            }
            scripts.add(new Script(RedisScript.APPLY_ROOM, keys, args, rb.bullets));
            global.add(ascii(Long.toUnsignedString(rb.room)));
            global.add(ascii(Integer.toString(rb.bullets)));
            global.add(ascii(Long.toString(rb.lastActiveMs)));
            global.addAll(rb.globalArgs);
        }
        byte[][] gkeys = {RedisKeys.bytes(RedisKeys.GLOBAL_APPLIED), RedisKeys.bytes(RedisKeys.GLOBAL_RANKING),
                RedisKeys.bytes(RedisKeys.ACTIVE_ROOMS)};
        // Counted 0 bullets: the room scripts already count them (appliedBullets counts room applications).
        scripts.add(new Script(RedisScript.APPLY_GLOBAL, gkeys, global.toArray(NO_BYTES), 0));
        return scripts;
    }

    private void remember(List<Script> scripts) {
        long now = System.nanoTime();
        int bullets = 0;
        for (Script s : scripts) {
            bullets += s.bullets;
        }
        window.addLast(new Sent(now, scripts, bullets));
        windowBullets += bullets;
        long maxAge = TimeUnit.MILLISECONDS.toNanos(settings.replayWindowMs());
        while (!window.isEmpty() && (windowBullets > settings.replayWindowBullets()
                || now - window.peekFirst().atNanos > maxAge)) {
            windowBullets -= window.removeFirst().bullets;
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(US_ASCII);
    }

    @Override
    public void close() {
        if (events != null) {
            events.dispose();
        }
        if (connection != null) {
            connection.close();
        }
    }

    private static final class RoomBatch {
        final long room;
        final List<byte[]> roomArgs = new ArrayList<>();
        final List<byte[]> globalArgs = new ArrayList<>();
        long lastActiveMs;
        int bullets;

        RoomBatch(long room) {
            this.room = room;
        }
    }

    private record Script(RedisScript script, byte[][] keys, byte[][] args, int bullets) {
    }

    private record Sent(long atNanos, List<Script> scripts, int bullets) {
    }
}
