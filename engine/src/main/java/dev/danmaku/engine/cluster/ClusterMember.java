package dev.danmaku.engine.cluster;

import dev.danmaku.engine.ring.EngineWiring;
import dev.danmaku.engine.ring.RingEvent;
import dev.danmaku.router.Member;
import dev.danmaku.router.NodeState;
import dev.danmaku.router.Rendezvous;
import dev.danmaku.router.ShardMap;
import dev.danmaku.router.store.ClusterStore;
import dev.danmaku.router.store.Outgoing;
import dev.danmaku.router.store.Registration;
import dev.danmaku.router.store.RedisEndpoint;
import dev.danmaku.router.store.StaleMapException;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.LongHashSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * This node's membership of the cluster, on its own thread ("danmaku-cluster"); nothing here runs
 * on the ring or an event loop, and the ring never waits for it.
 *
 * <ul>
 *   <li>Registers the node in Redis and renews its lease ({@link ClusterStore#renew}).</li>
 *   <li>Follows the shard map (pub/sub wakes it, it also polls) and the other nodes' outgoing sets,
 *       and hands the journal stage a new {@link Ownership} whenever what it knows changes.</li>
 *   <li>Rooms leaving: publishes the list the journal stage computed for each map version as this
 *       node's outgoing set, then releases them one by one, spread evenly over the map's move
 *       window (no reconnect storm), with at most {@link #MAX_IN_FLIGHT} in flight; writes each
 *       handoff document to Redis before removing the room from the outgoing set.</li>
 *   <li>Rooms arriving: when a room this node owns leaves another node's outgoing set (or its
 *       handoff is announced), fetches the document and has the ring install it.</li>
 *   <li>Marks a member whose lease has expired {@link NodeState#GONE} (compare-and-set: one node
 *       wins), and puts this node back in the map (state {@code cluster.rejoin-as}) if it finds
 *       itself gone or its address changed.</li>
 * </ul>
 * If Redis does not answer for longer than a lease, the ownership turns stale: the node keeps
 * serving the rooms it holds and refuses new ones (docs/cluster.md, "Failures").
 *
 * <p>Thread-safety: the {@link ClusterLink} methods are called on stage threads and only queue;
 * everything else is the cluster thread's.
 */
public final class ClusterMember implements ClusterLink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterMember.class);
    /** Releases and installs the ring may have at once; bounds the link queue too. */
    static final int MAX_IN_FLIGHT = 64;

    /** Settings. */
    /**
     * Settings.
     *
     * @param sinkRedisUri the Redis the node's sink writes to (rooms of a dead node are restored from
     *                     it), or empty: such rooms start anew
     * @param restoreLimit most recent bullets restored per room
     */
    public record Settings(String redisUri, String clusterName, String nodeId, long leaseMs, long renewMs,
                           long pollMs, long redisTimeoutMs, long handoffTtlMs, NodeState rejoinAs,
                           String sinkRedisUri, int restoreLimit) {
    }

    /** The member's advertised URLs, known once the node has bound its ports. */
    private record Urls(String address, String admin) {
    }

    private final Settings settings;
    private volatile Urls urls;
    private final EngineWiring ring;
    private final long startedAtMs = System.currentTimeMillis();
    private final ArrayBlockingQueue<Runnable> inbox = new ArrayBlockingQueue<>(4 * MAX_IN_FLIGHT + 64);
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean wake;

    // ---- cluster thread only ----
    private RedisEndpoint endpoint;
    private ClusterStore store;
    private long lastRedisOkNanos;
    /**
     * Since when Redis has answered without a failure. Nobody could renew a lease while Redis was
     * away, so after an outage every lease looks expired: no member is marked gone until this node
     * has been connected for a whole lease (time for the live ones to renew).
     */
    private long healthySinceNanos;
    private boolean everRead;
    private long nextRenewNanos;
    private long nextPollNanos;
    private ShardMap map = ShardMap.EMPTY;
    private Map<String, String> addresses = Map.of();
    private ClusterStore.Leases leases = new ClusterStore.Leases(0, Map.of());
    private Map<String, Outgoing> outgoing = Map.of();
    private Ownership published;
    private boolean dirty = true;
    /** Warnings logged recently, message -> nanoTime, so each distinct one is logged at most every 30 s. */
    private final Map<String, Long> logged = new HashMap<>();
    /** Rooms to release, in order, and when each is due (nanoTime). */
    private long[] schedule = new long[0];
    private long[] due = new long[0];
    private int next;
    private final LongHashSet releasing = new LongHashSet();
    private final List<Handed> toWrite = new ArrayList<>();
    /** Rooms whose document went to the ring for installing. */
    private final LongHashSet installing = new LongHashSet();
    /** Rooms owned here that another node held at the last refresh. */
    private LongHashSet expected = new LongHashSet();
    private final LongHashSet toFetch = new LongHashSet();
    private final HandoverTimes times = new HandoverTimes();
    /**
     * Rooms installed here: a room leaves the holder's outgoing set and is announced, so it is
     * fetched once for each; the second finds its document deleted and is no news.
     */
    private final LongHashSet arrived = new LongHashSet();
    /** The ring has given up what it held since the map said this node is gone: it may rejoin. */
    private boolean dropConfirmed;
    /** Rooms to look for in the sinks (a dead node's), and those looked for already. */
    private final LongHashSet probes = new LongHashSet();
    private final LongHashSet absent = new LongHashSet();
    private RedisEndpoint sinkEndpoint;
    private io.lettuce.core.api.StatefulConnection<String, byte[]> sinkConnection;
    private volatile long restored;

    // ---- read by other threads (health, metrics) ----
    private volatile long mapVersion;
    private volatile boolean redisOk;
    private volatile int outgoingCount;
    private volatile String state = "unknown";
    private volatile String error = "";
    private volatile long movedOut;
    private volatile long movedIn;
    private volatile long markedGone;
    private volatile long refusedMapVersion;

    /** A released room's document waiting to be written; {@code sinkDeadline}: nanoTime to stop waiting for the sink. */
    private record Handed(long room, String to, byte[] document, long epoch, long lastSequence, long sinkDeadline) {
    }

    /** How long a handoff waits for this node's Redis sink to have stored the room's last bullet. */
    static final long SINK_WAIT_MS = 5_000;

    public ClusterMember(Settings settings, EngineWiring ring) {
        this.settings = settings;
        this.ring = ring;
        this.thread = new Thread(this::run, "danmaku-cluster");
        this.thread.setDaemon(true);
    }

    /**
     * Starts the thread (the ring must be running).
     *
     * @param address the WebSocket URL clients are redirected to
     * @param admin   the admin HTTP base URL
     */
    public ClusterMember start(String address, String admin) {
        new dev.danmaku.router.Member(settings.nodeId(), address, admin, 1, NodeState.JOINING); // validates, one-line errors
        this.urls = new Urls(address, admin);
        thread.start();
        return this;
    }

    // ---- ClusterLink (stage threads) ---------------------------------------------------------

    @Override
    public void outgoing(long version, long[] rooms, int count) {
        long[] copy = java.util.Arrays.copyOf(rooms, count);
        post(() -> onOutgoing(version, copy));
    }

    @Override
    public void releaseSkipped(long room) {
        post(() -> {
            releasing.remove(room);
            times.forget(room);
            dirty = true;
            try {
                store.removeOutgoing(settings.nodeId(), room);
            } catch (RuntimeException e) {
                failed("removing a skipped room from the outgoing set", e);
            }
        });
    }

    @Override
    public void releaseDeferred(long room) {
        post(() -> {
            if (releasing.remove(room)) {
                deferred.add(room);
                deferredUntilNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DEFER_MS);
            }
        });
    }

    @Override
    public void handedOver(long room, String toNode, byte[] document) {
        long sealedAt = System.nanoTime(); // the fan-out stage's time: what follows is this thread's
        post(() -> {
            releasing.remove(room);
            times.mark(room, HandoverTimes.SEALED, sealedAt);
            HandoffDocument d = HandoffDocument.decode(document);
            toWrite.add(new Handed(room, toNode, document, d.epoch(), d.lastSequence(),
                    System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SINK_WAIT_MS)));
        });
    }

    @Override
    public void installed(long room, boolean ok) {
        post(() -> onInstalled(room, ok));
    }

    @Override
    public void probe(long room) {
        post(() -> {
            if (probes.size() < 10_000 && !absent.contains(room)) {
                probes.add(room);
            }
        });
    }

    @Override
    public void dropped(long[] rooms, int count) {
        long[] copy = java.util.Arrays.copyOf(rooms, count);
        post(() -> {
            dropConfirmed = true;
            deferred.clear();
            schedule = new long[0];
            due = new long[0];
            next = 0;
            try {
                store.replaceOutgoing(settings.nodeId(), map.version(), new long[0], 0);
            } catch (RuntimeException e) {
                failed("clearing the outgoing set", e);
            }
            if (copy.length > 0) {
                LOG.warn("gave up {} rooms (this node was gone from the map)", copy.length);
            }
        });
    }

    private void post(Runnable r) {
        if (!inbox.offer(r)) {
            // Cannot happen while releases and installs stay within MAX_IN_FLIGHT; say so loudly if it does.
            LOG.error("cluster inbox full: a stage's message was lost (bug)");
            return;
        }
        wake = true;
        LockSupport.unpark(thread);
    }

    // ---- the loop ------------------------------------------------------------------------------

    private void run() {
        long now = System.nanoTime();
        lastRedisOkNanos = now;
        while (running) {
            try {
                step();
            } catch (RuntimeException e) {
                failed("cluster step", e);
            }
            if (!wake) {
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(Math.min(50, settings.pollMs())));
            }
        }
    }

    private void step() {
        wake = false;
        long now = System.nanoTime();
        if (store == null && !connect()) {
            publishIfChanged(now);
            return;
        }
        Runnable r;
        while ((r = inbox.poll()) != null) {
            r.run();
        }
        if (now - nextRenewNanos >= 0) {
            nextRenewNanos = now + TimeUnit.MILLISECONDS.toNanos(settings.renewMs());
            try {
                store.renew(registration(), settings.leaseMs());
                ok(now);
            } catch (RuntimeException e) {
                failed("renewing the lease", e);
            }
        }
        if (now - nextPollNanos >= 0) {
            nextPollNanos = now + TimeUnit.MILLISECONDS.toNanos(settings.pollMs());
            refresh(now);
        }
        if (unpublished != null || !unpublishedAdd.isEmpty()) {
            publishOutgoing();
        }
        if (!toFetch.isEmpty()) {
            fetch();
        }
        flushTaken();
        if (!probes.isEmpty()) {
            restore();
        }
        writeHandoffs(now);
        followWritten(now);
        releaseDue(now);
        if (times.roundDone(next < schedule.length || !releasing.isEmpty() || !toWrite.isEmpty() || !written.isEmpty()
                || !deferred.isEmpty() || !installing.isEmpty() || !toFetch.isEmpty())) {
            LOG.info("room moves done: {}", times.summary());
        }
        publishIfChanged(now);
    }

    private boolean connect() {
        try {
            if (endpoint == null) {
                endpoint = RedisEndpoint.of(settings.redisUri(), settings.redisTimeoutMs());
            }
            store = new ClusterStore(endpoint, settings.clusterName());
            store.subscribe(this::onEvent);
            LOG.info("cluster '{}': connected to {}", settings.clusterName(), settings.redisUri());
            return true;
        } catch (RuntimeException e) {
            if (store != null) {
                store.close();
                store = null;
            }
            failed("connecting to " + settings.redisUri(), e);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(Math.min(1000, settings.pollMs())));
            return false;
        }
    }

    /** A pub/sub message (Lettuce thread): poll now; a handoff for this node is fetched at once. */
    private void onEvent(String message) {
        if (message.startsWith("handoff ")) {
            // A document to fetch, if it is for this node. No refresh: one per handoff at every
            // node was a storm of reads during a rebalance, and nothing else changed.
            String[] p = message.split(" ");
            if (p.length == 4 && p[3].equals(settings.nodeId())) {
                long room = Long.parseUnsignedLong(p[1]);
                post(() -> {
                    if (toFetch.add(room)) {
                        times.mark(room, HandoverTimes.ANNOUNCED, System.nanoTime());
                    }
                    dirty = true;
                });
            }
            return;
        }
        nextPollNanos = System.nanoTime();
        wake = true;
        LockSupport.unpark(thread);
    }

    private Registration registration() {
        return new Registration(settings.nodeId(), urls.address(), urls.admin(), startedAtMs,
                ProcessHandle.current().pid());
    }

    /** Reads the map, leases, registrations and outgoing sets; keeps the map's view of this node right. */
    private void refresh(long now) {
        try {
            ShardMap m = store.readMap();
            if (m.version() < map.version()) {
                // Redis lost writes (restarted from an older snapshot, or replaced): keep the newer map.
                if (refusedMapVersion != m.version()) {
                    LOG.error("cluster: Redis holds map version {}, older than the {} this node follows: ignored "
                            + "(put the newer map back, or apply a new plan)", m.version(), map.version());
                }
                refusedMapVersion = m.version();
                return;
            }
            refusedMapVersion = 0;
            ClusterStore.Leases l = store.leases();
            Map<String, Outgoing> o = store.outgoing();
            Set<Long> in = store.incoming(settings.nodeId()); // after the outgoing sets: see incoming()
            Map<String, String> a = new HashMap<>();
            store.registrations().forEach((id, reg) -> a.put(id, reg.address()));
            for (Member member : m.members()) {
                a.putIfAbsent(member.id(), member.address());
            }
            ok(now);
            everRead = true;
            if (m.version() != map.version() || !o.equals(outgoing) || !a.equals(addresses)
                    || !l.expiry().keySet().equals(leases.expiry().keySet()) || liveChanged(l)) {
                dirty = true;
            }
            map = m;
            leases = l;
            outgoing = o;
            addresses = a;
            mapVersion = m.version();
            Member me = m.member(settings.nodeId());
            state = me == null ? "absent" : me.state().label();
            findArrivals();
            for (long room : in) {
                // Handed over to this node and not taken: fetch it (a lost announcement, or a room
                // that came and left a holder's set between two reads).
                if (!installing.contains(room) && !arrived.contains(room) && toFetch.add(room)) {
                    times.mark(room, HandoverTimes.ANNOUNCED, System.nanoTime());
                    dirty = true;
                }
            }
            maintain();
        } catch (RuntimeException e) {
            failed("reading the cluster state", e);
        }
    }

    private boolean liveChanged(ClusterStore.Leases l) {
        for (String id : l.expiry().keySet()) {
            if (l.live(id) != leases.live(id)) {
                return true;
            }
        }
        return false;
    }

    /** Rooms owned here that left another node's outgoing set since the last refresh: fetch their documents. */
    private void findArrivals() {
        LongHashSet now = new LongHashSet();
        for (Outgoing o : outgoing.values()) {
            if (o.node().equals(settings.nodeId())) {
                continue;
            }
            for (long room : o.rooms()) {
                if (settings.nodeId().equals(map.ownerId(room))) {
                    now.add(room);
                }
            }
        }
        if (!arrived.isEmpty()) {
            LongHashSet.LongIterator held = now.iterator();
            while (held.hasNext()) {
                arrived.remove(held.nextValue()); // held elsewhere again: its next arrival is news
            }
        }
        LongHashSet.LongIterator it = expected.iterator();
        while (it.hasNext()) {
            long room = it.nextValue();
            if (!now.contains(room) && !installing.contains(room) && !arrived.contains(room)) {
                if (toFetch.add(room)) {
                    times.mark(room, HandoverTimes.ANNOUNCED, System.nanoTime());
                }
                dirty = true;
            }
        }
        expected = now;
    }

    private void fetch() {
        int space = MAX_IN_FLIGHT - installing.size();
        if (space <= 0) {
            return;
        }
        long[] batch = new long[Math.min(space, toFetch.size())];
        int n = 0;
        LongHashSet.LongIterator pick = toFetch.iterator();
        while (pick.hasNext() && n < batch.length) {
            long r = pick.nextValue();
            if (!installing.contains(r)) {
                batch[n++] = r;
            }
        }
        if (n == 0) {
            return;
        }
        List<byte[]> docs;
        try {
            docs = store.handoffs(batch, n); // one pipelined round trip for all of them
        } catch (RuntimeException e) {
            failed("fetching handoffs", e);
            return;
        }
        for (int i = 0; i < n; i++) {
            if (!fetched(batch[i], docs.get(i))) {
                return; // ring full: the rest stay to fetch, next step
            }
        }
    }

    /** One fetched document (null if there was none); false if the ring is full (the room stays to fetch). */
    private boolean fetched(long room, byte[] bytes) {
        toFetch.remove(room);
        dirty = true;
        if (bytes == null) {
            taken.add(room); // expired, or taken already: off the incoming list
            // Installed already (the announcement and the outgoing set both said so), or nothing
            // handed over (the holder gave it up): then the room is simply not held anywhere.
            if (!arrived.contains(room)) {
                LOG.info("room {}: left its holder's outgoing set with no handoff document: not held anywhere",
                        Long.toUnsignedString(room));
            }
            return true;
        }
        HandoffDocument doc;
        try {
            doc = HandoffDocument.decode(bytes);
        } catch (IllegalArgumentException e) {
            LOG.error("room {}: unreadable handoff document ({}); it starts anew here",
                    Long.toUnsignedString(room), e.getMessage());
            forgetIncoming(room);
            return true;
        }
        if (!doc.to().equals(settings.nodeId())) {
            forgetIncoming(room); // handed on to another node since
            return true;
        }
        if (!ring.tryPublishCluster(RingEvent.KIND_INSTALL, room, doc)) {
            toFetch.add(room); // ring full: next step
            return false;
        }
        installing.add(room);
        dirty = true;
        return true;
    }

    /** Handoffs taken here (installed, refused, or gone): deleted and off the incoming list, in one round trip. */
    private void flushTaken() {
        if (taken.isEmpty()) {
            return;
        }
        long[] rooms = new long[taken.size()];
        int n = 0;
        LongHashSet.LongIterator it = taken.iterator();
        while (it.hasNext()) {
            rooms[n++] = it.nextValue();
        }
        try {
            store.takenHandoffs(settings.nodeId(), rooms, n);
        } catch (RuntimeException e) {
            failed("clearing taken handoffs", e);
            return; // kept; next step
        }
        taken.clear();
    }

    private final LongHashSet taken = new LongHashSet();

    private void forgetIncoming(long room) {
        try {
            store.forgetIncoming(settings.nodeId(), room);
        } catch (RuntimeException e) {
            failed("clearing an incoming handoff", e);
        }
    }

    /**
     * Rooms a dead node owned, looked for in the sink's Redis keys (docs/redis.md): the applied
     * marker gives the epoch and last sequence the sink saw, the pool the recent bullets, the ranking
     * the leaderboard. Found: installed under a higher epoch, flagged restored (the dead node may
     * have acknowledged more than the sink had: resumes from its epoch are answered NOT_RECOVERED).
     * Not found: recorded absent, so the room is new here.
     */
    private void restore() {
        if (settings.sinkRedisUri().isEmpty()) {
            LongHashSet.LongIterator it = probes.iterator();
            while (it.hasNext()) {
                absent.add(it.nextValue());
            }
            probes.clear();
            dirty = true;
            return;
        }
        try {
            var sink = sinkCommands();
            LongHashSet.LongIterator it = probes.iterator();
            while (it.hasNext() && installing.size() < MAX_IN_FLIGHT) {
                long room = it.nextValue();
                byte[] applied = sink.get(dev.danmaku.engine.sink.RedisKeys.applied(room));
                if (applied == null) {
                    it.remove();
                    absent.add(room);
                    dirty = true;
                    continue;
                }
                byte[] doc = SinkRestore.document(room, new String(applied, java.nio.charset.StandardCharsets.UTF_8),
                        sink.lrange(dev.danmaku.engine.sink.RedisKeys.pool(room), -settings.restoreLimit(), -1),
                        sink.zrangeWithScores(dev.danmaku.engine.sink.RedisKeys.ranking(room), 0, -1),
                        map.version(), System.currentTimeMillis(), settings.nodeId());
                HandoffDocument d = HandoffDocument.decode(doc);
                if (!ring.tryPublishCluster(RingEvent.KIND_INSTALL, room, d)) {
                    return; // ring full: next step
                }
                it.remove();
                absent.add(room);
                installing.add(room);
                restored++;
                dirty = true;
                LOG.info("room {}: restored from the sink (epoch {}, last seq {}, {} recent bullets) after its owner died",
                        Long.toUnsignedString(room), d.epoch(), d.lastSequence(), d.historyCount());
            }
            if (absent.size() > 100_000) {
                absent.clear(); // bounded; rooms are looked for again at worst
            }
        } catch (RuntimeException e) {
            failed("restoring rooms from the sink", e);
        }
    }

    /** True if there is no Redis sink, or it has applied the room up to the handed-over (epoch, seq). */
    private boolean sinkHas(Handed h) {
        if (settings.sinkRedisUri().isEmpty()) {
            return true;
        }
        try {
            byte[] marker = sinkCommands().get(dev.danmaku.engine.sink.RedisKeys.applied(h.room()));
            if (marker == null) {
                return false;
            }
            return dev.danmaku.engine.sink.RedisKeys.Applied.parse(new String(marker, java.nio.charset.StandardCharsets.UTF_8))
                    .reaches(h.epoch(), h.lastSequence());
        } catch (RuntimeException e) {
            failed("reading the sink's marker", e);
            return false;
        }
    }

    private io.lettuce.core.cluster.api.sync.RedisClusterCommands<String, byte[]> sinkCommands() {
        if (sinkConnection == null) {
            sinkEndpoint = settings.sinkRedisUri().equals(settings.redisUri()) ? endpoint
                    : RedisEndpoint.of(settings.sinkRedisUri(), settings.redisTimeoutMs());
            sinkConnection = sinkEndpoint.connect(io.lettuce.core.codec.RedisCodec.of(
                    io.lettuce.core.codec.StringCodec.UTF8, io.lettuce.core.codec.ByteArrayCodec.INSTANCE));
        }
        return RedisEndpoint.sync(sinkConnection);
    }

    /** Rooms restored from the sink after their owner died. */
    public long restored() {
        return restored;
    }

    private void onInstalled(long room, boolean ok) {
        installing.remove(room);
        dirty = true;
        if (!ok) {
            taken.add(room); // already held here: the document is stale
            return;
        }
        movedIn++;
        times.mark(room, HandoverTimes.INSTALLED_HERE, System.nanoTime());
        if (arrived.size() >= 100_000) {
            arrived.clear(); // bounded: only rooms installed in the last moments matter
        }
        arrived.add(room);
        taken.add(room); // deleted (the old owner's cue that it is installed) with the step's others
        if (!settings.nodeId().equals(map.ownerId(room))) {
            // The map moved on while the room was in flight: hand it on.
            onOutgoing(map.version(), new long[]{room}, true);
        }
    }

    /** Marks dead members gone, and puts this node back in the map when it finds itself gone or moved. */
    private void maintain() {
        Member me = map.member(settings.nodeId());
        if (me != null && me.state() == NodeState.GONE && !dropConfirmed) {
            dirty = true; // the ring must first see this map and give up its (stale) rooms; then rejoin
        } else if (me != null && leases.live(settings.nodeId())
                && (me.state() == NodeState.GONE || !me.address().equals(urls.address())
                || !me.admin().equals(urls.admin()))) {
            NodeState s = me.state() == NodeState.GONE ? settings.rejoinAs() : me.state();
            boolean rejoin = me.state() == NodeState.GONE;
            if (change(map.with(new Member(me.id(), urls.address(), urls.admin(), me.weight(), s)),
                    "node " + me.id() + (rejoin ? " rejoins as " + s.label() : " moved to " + urls.address())) && rejoin) {
                dropConfirmed = false; // gone again later: give up the rooms again before rejoining
                LOG.info("node {} was gone from the map: gave up its rooms, rejoined as {}", me.id(), s.label());
            }
            return;
        }
        if (System.nanoTime() - healthySinceNanos < TimeUnit.MILLISECONDS.toNanos(2 * settings.leaseMs())) {
            return;
        }
        for (Member m : map.members()) {
            if (m.id().equals(settings.nodeId()) || m.state() == NodeState.GONE) {
                continue;
            }
            Long expiry = leases.expiry().get(m.id());
            if (expiry == null || leases.nowMs() - expiry > settings.leaseMs()) {
                if (change(map.with(m.withState(NodeState.GONE)), "node " + m.id() + " lease expired")) {
                    markedGone++;
                    LOG.warn("node {}: lease expired (at {}), marked gone in the map; its rooms go to their next owners",
                            m.id(), expiry);
                }
                return;
            }
        }
    }

    private boolean change(ShardMap next, String why) {
        try {
            map = store.compareAndSet(map.version(), next.next(System.currentTimeMillis(), why));
            mapVersion = map.version();
            dirty = true;
            return true;
        } catch (StaleMapException e) {
            nextPollNanos = System.nanoTime(); // someone else changed it: read again
            return false;
        } catch (RuntimeException e) {
            failed("changing the map", e);
            return false;
        }
    }

    // ---- rooms leaving ---------------------------------------------------------------------------

    private void onOutgoing(long version, long[] rooms) {
        onOutgoing(version, rooms, false);
    }

    /**
     * The journal stage's list for {@code version} (or, with {@code add}, one more room): publish it,
     * then schedule the releases evenly over the move window, in a pseudo-random room order.
     */
    private void onOutgoing(long version, long[] rooms, boolean add) {
        if (add) {
            unpublishedAdd.add(rooms[0]);
            unpublishedVersion = Math.max(unpublishedVersion, version);
        } else {
            unpublished = rooms.clone();
            unpublishedVersion = version;
            unpublishedAdd.clear();
            deferred.clear(); // the new list has every room still to go
        }
        publishOutgoing();
        long[] order = add ? concat(pendingSchedule(), rooms) : rooms.clone();
        Long[] boxed = java.util.Arrays.stream(order).boxed().toArray(Long[]::new);
        java.util.Arrays.sort(boxed, (x, y) -> Long.compareUnsigned(Rendezvous.mix(x), Rendezvous.mix(y)));
        long now = System.nanoTime();
        long window = TimeUnit.MILLISECONDS.toNanos(map.moveWindowMs());
        schedule = new long[boxed.length];
        due = new long[boxed.length];
        for (int i = 0; i < boxed.length; i++) {
            schedule[i] = boxed[i];
            due[i] = now + (boxed.length <= 1 ? 0 : window * i / boxed.length);
        }
        next = 0;
        outgoingCount = schedule.length;
        if (schedule.length > 0) {
            LOG.info("map version {}: {} rooms to hand over within {} ms", version, schedule.length, map.moveWindowMs());
        }
    }

    /** The outgoing set not yet in Redis (retried every step until it is). */
    private long[] unpublished;
    private final LongHashSet unpublishedAdd = new LongHashSet();
    private long unpublishedVersion;

    private void publishOutgoing() {
        try {
            if (unpublished != null) {
                store.replaceOutgoing(settings.nodeId(), unpublishedVersion, unpublished, unpublished.length);
                unpublished = null;
            }
            if (!unpublishedAdd.isEmpty()) {
                List<Long> add = new ArrayList<>(unpublishedAdd);
                store.publishOutgoing(settings.nodeId(), unpublishedVersion, add);
                unpublishedAdd.clear();
            }
        } catch (RuntimeException e) {
            failed("publishing the outgoing set", e); // until it is written the others see this node as not synced
        }
    }

    private long[] pendingSchedule() {
        return java.util.Arrays.copyOfRange(schedule, next, schedule.length);
    }

    private static long[] concat(long[] a, long[] b) {
        long[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private void releaseDue(long now) {
        if (published == null || published.stale() || !redisOk) {
            return; // a handoff needs Redis: keep serving until it is back
        }
        if (!deferred.isEmpty() && now - deferredUntilNanos >= 0) {
            LongHashSet.LongIterator it = deferred.iterator();
            while (it.hasNext() && releasing.size() + toWrite.size() < MAX_IN_FLIGHT) {
                long room = it.nextValue();
                if (!ring.tryPublishCluster(RingEvent.KIND_RELEASE, room, null)) {
                    return;
                }
                it.remove();
                releasing.add(room);
                times.mark(room, HandoverTimes.RELEASED, now);
            }
        }
        while (next < schedule.length && due[next] - now <= 0 && releasing.size() + toWrite.size() < MAX_IN_FLIGHT) {
            long room = schedule[next];
            if (!ring.tryPublishCluster(RingEvent.KIND_RELEASE, room, null)) {
                return;
            }
            releasing.add(room);
            times.mark(room, HandoverTimes.RELEASED, now);
            next++;
        }
        outgoingCount = schedule.length - next + releasing.size() + toWrite.size() + deferred.size();
    }

    /** Releases the journal stage could not do when they came (see {@link #releaseDeferred}), retried after {@link #DEFER_MS}. */
    private final LongHashSet deferred = new LongHashSet();
    private long deferredUntilNanos;
    private static final long DEFER_MS = 200;

    /**
     * Handoff documents to Redis: the document first, then out of the outgoing set (the new owner's
     * cue). With a Redis sink, each waits (up to {@link #SINK_WAIT_MS}) until the sink has stored
     * the room's last bullet here: the sink applies a room's bullets in (epoch, seq) order and skips
     * what is below its marker, so the new owner's higher epoch must not reach it first.
     */
    private void writeHandoffs(long now) {
        int ready = 0;
        while (ready < toWrite.size() && ready < MAX_IN_FLIGHT) {
            Handed h = toWrite.get(ready);
            if (h.lastSequence() > 0 && !sinkHas(h) && h.sinkDeadline() - now > 0) {
                break; // next step (in order: a later document never overtakes an earlier one)
            }
            ready++;
        }
        if (ready == 0) {
            return;
        }
        List<ClusterStore.Handoff> batch = new ArrayList<>(ready);
        for (int i = 0; i < ready; i++) {
            Handed h = toWrite.get(i);
            batch.add(new ClusterStore.Handoff(h.room(), h.to(), h.document()));
        }
        try {
            store.putHandoffs(settings.nodeId(), batch, settings.handoffTtlMs());
            ok(now);
        } catch (RuntimeException e) {
            failed("writing handoffs", e);
            return; // kept; all retried next step (writing one twice is harmless)
        }
        for (int i = 0; i < ready; i++) {
            Handed h = toWrite.remove(0);
            written.put(h.room(), now);
            times.mark(h.room(), HandoverTimes.WRITTEN, now);
            movedOut++;
        }
    }

    /**
     * Rooms whose documents are written and not yet installed by the new owner (it deletes the
     * document when it has, or the TTL does): until then the ring answers ROOM_MOVING for them, as
     * the new owner may still see them in this node's outgoing set and send a client back here.
     */
    private void followWritten(long now) {
        if (written.isEmpty() || now - nextWrittenCheckNanos < 0) {
            return;
        }
        nextWrittenCheckNanos = now + TimeUnit.MILLISECONDS.toNanos(WRITTEN_CHECK_MS);
        long[] rooms = new long[written.size()];
        int n = 0;
        Long2LongHashMap.EntryIterator it = written.entrySet().iterator();
        while (it.hasNext()) {
            it.next();
            if (now - it.getLongValue() > TimeUnit.MILLISECONDS.toNanos(WRITTEN_MAX_MS)) {
                // the new owner is not installing it (refused, or failing): stop waiting
                times.forget(it.getLongKey());
                it.remove();
                dirty = true;
            } else {
                rooms[n++] = it.getLongKey();
            }
        }
        if (n == 0) {
            return;
        }
        boolean[] pending;
        try {
            pending = store.handoffsPending(rooms, n);
        } catch (RuntimeException e) {
            failed("checking handoff documents", e);
            return;
        }
        for (int i = 0; i < n; i++) {
            if (!pending[i]) {
                written.remove(rooms[i]);
                times.mark(rooms[i], HandoverTimes.INSTALLED_THERE, now);
                dirty = true;
            }
        }
    }

    /** Room -> when its document was written (nanos). */
    private final Long2LongHashMap written = new Long2LongHashMap(Long.MIN_VALUE);
    private long nextWrittenCheckNanos;
    /** Longest a written document is waited for: past it, clients are redirected to the new owner. */
    private static final long WRITTEN_MAX_MS = 10_000;
    /** How often written documents are checked for their install. */
    private static final long WRITTEN_CHECK_MS = 20;

    // ---- the ownership the ring sees -------------------------------------------------------------

    private void publishIfChanged(long now) {
        if (!everRead) {
            return; // no map yet: the ring keeps answering CLUSTER_UNAVAILABLE
        }
        boolean stale = now - lastRedisOkNanos > TimeUnit.MILLISECONDS.toNanos(settings.leaseMs());
        boolean trust = trustsLeases(now);
        if (!dirty && published != null && published.stale() == stale && publishedTrustingLeases == trust) {
            return;
        }
        Long2ObjectHashMap<String> holders = new Long2ObjectHashMap<>();
        boolean synced = true;
        // A member counts until it is marked gone, whatever its lease says: an expired lease is not a
        // death until a node marks it (after a Redis outage every lease looks expired for a moment).
        for (Member m : map.members()) {
            if (m.id().equals(settings.nodeId()) || m.state() == NodeState.GONE) {
                continue;
            }
            Outgoing o = outgoing.get(m.id());
            if (o == null || o.syncedVersion() < map.version()) {
                synced = false;
            }
        }
        for (Outgoing o : outgoing.values()) {
            Member m = map.member(o.node());
            // A node removed from the map holds its rooms while it lives, and must say for this map
            // what it still holds: until it has, its old set (say, empty) is no proof it holds nothing.
            boolean holds = m != null ? m.state() != NodeState.GONE : presumedLive(o.node(), now);
            if (o.node().equals(settings.nodeId()) || !holds) {
                continue;
            }
            if (m == null && o.syncedVersion() < map.version()) {
                synced = false;
            }
            for (long room : o.rooms()) {
                holders.put(room, o.node());
            }
        }
        // Rooms on their way here: being installed, or handed over and not fetched yet (a failed
        // GET is retried): the ring answers ROOM_MOVING for them, never "unknown".
        LongHashSet in = new LongHashSet();
        in.addAll(installing);
        in.addAll(toFetch);
        LongHashSet gone = new LongHashSet();
        gone.addAll(absent);
        LongHashSet handing = new LongHashSet();
        handing.addAll(releasing);
        for (Handed h : toWrite) {
            handing.add(h.room());
        }
        Long2LongHashMap.KeyIterator w = written.keySet().iterator();
        while (w.hasNext()) {
            handing.add(w.nextValue());
        }
        Ownership o = new Ownership(map, settings.nodeId(), stale, holders, synced, in, addresses,
                !settings.sinkRedisUri().isEmpty(), gone, handing);
        if (ring.tryPublishCluster(RingEvent.KIND_CLUSTER, 0, o)) {
            if (published == null) {
                LOG.info("cluster '{}': map version {}, this node {}", settings.clusterName(), map.version(), state);
            } else if (stale != published.stale()) {
                if (stale) {
                    LOG.warn("cluster: Redis unreachable for over {} ms: serving the rooms held here, taking no new ones",
                            settings.leaseMs());
                } else {
                    LOG.info("cluster: Redis reachable again (map version {})", map.version());
                }
            }
            published = o;
            publishedTrustingLeases = trust;
            dirty = false;
        }
    }

    /**
     * True unless {@code node}'s lease is known to have expired: every lease looks expired for a
     * moment after Redis comes back from an outage, so an expiry counts only once this node has been
     * in touch with Redis for two leases (as for marking members gone).
     */
    private boolean presumedLive(String node, long now) {
        return leases.live(node) || !trustsLeases(now);
    }

    private boolean trustsLeases(long now) {
        return redisOk && now - healthySinceNanos >= TimeUnit.MILLISECONDS.toNanos(2 * settings.leaseMs());
    }

    /** Whether the published ownership was built trusting lease expiries ({@link #presumedLive}). */
    private boolean publishedTrustingLeases;

    private void ok(long now) {
        if (!redisOk) {
            healthySinceNanos = now;
        }
        lastRedisOkNanos = now;
        redisOk = true;
        error = "";
    }

    private void failed(String what, RuntimeException e) {
        redisOk = false;
        String msg = what + ": " + e;
        error = msg;
        long now = System.nanoTime();
        Long last = logged.get(msg);
        if (last == null || now - last > TimeUnit.SECONDS.toNanos(30)) {
            if (logged.size() > 100) {
                logged.clear();
            }
            logged.put(msg, now);
            LOG.warn("cluster: {}", msg);
        }
    }

    // ---- what health and metrics show (any thread) -----------------------------------------------

    public String name() {
        return settings.clusterName();
    }

    public long mapVersion() {
        return mapVersion;
    }

    /** True while Redis answers. */
    public boolean redisOk() {
        return redisOk;
    }

    /** The ownership is stale (Redis silent for over a lease): held rooms served, no new ones. */
    public boolean stale() {
        Ownership o = published;
        return o == null || o.stale();
    }

    /** This node's state in the map: joining, active, draining, gone, absent, or unknown. */
    public String state() {
        return state;
    }

    /** Rooms still to hand over. */
    public int outgoingCount() {
        return outgoingCount;
    }

    public long movedOut() {
        return movedOut;
    }

    public long movedIn() {
        return movedIn;
    }

    public long markedGone() {
        return markedGone;
    }

    /** The version of an older map Redis holds than the one followed (refused), or 0. */
    public long refusedMapVersion() {
        return refusedMapVersion;
    }

    public String lastError() {
        return error;
    }

    @Override
    public void close() {
        running = false;
        LockSupport.unpark(thread);
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (store != null) {
            store.close();
        }
        if (sinkConnection != null) {
            sinkConnection.close();
        }
        if (sinkEndpoint != null && sinkEndpoint != endpoint) {
            sinkEndpoint.close();
        }
        if (endpoint != null) {
            endpoint.close();
        }
    }
}
