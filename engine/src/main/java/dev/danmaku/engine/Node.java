package dev.danmaku.engine;

import dev.danmaku.codec.BatchEncoder;
import dev.danmaku.codec.Protocol;
import dev.danmaku.engine.admin.AdminServer;
import dev.danmaku.engine.admin.NodeMetrics;
import dev.danmaku.engine.auth.TokenVerifier;
import dev.danmaku.engine.cluster.ClusterMember;
import dev.danmaku.router.NodeState;
import dev.danmaku.engine.config.NodeConfig;
import dev.danmaku.engine.filter.AdmitCounters;
import dev.danmaku.engine.filter.Classifier;
import dev.danmaku.engine.filter.QueuedScreeningHook;
import dev.danmaku.engine.filter.CurrentBanList;
import dev.danmaku.engine.filter.SensitiveWordFilter;
import dev.danmaku.engine.journal.Journal;
import dev.danmaku.engine.journal.JournalConfig;
import dev.danmaku.engine.journal.JournalRecord;
import dev.danmaku.engine.journal.JournalRecovery;
import dev.danmaku.engine.ring.EngineWiring;
import dev.danmaku.engine.ring.Stages;
import dev.danmaku.engine.room.Room;
import dev.danmaku.engine.sink.KafkaSink;
import dev.danmaku.engine.sink.KafkaSinkSettings;
import dev.danmaku.engine.stage.ChronicleAppender;
import dev.danmaku.engine.stage.FanoutHandler;
import dev.danmaku.engine.stage.JournalHandler;
import dev.danmaku.engine.stage.StageMetrics;
import dev.danmaku.engine.transport.Egress;
import dev.danmaku.engine.transport.TransportMetrics;
import dev.danmaku.engine.transport.WsServer;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.SystemNanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * One node, assembled: journal recovery, filters, the four stages on the ring, the WebSocket
 * transport and the admin API. {@link #start} returns a running node; {@link #close} shuts it down
 * gracefully (stop accepting, seal and flush pending batches, close the journal).
 */
public final class Node implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Node.class);

    private final NodeConfig config;
    private final Journal journal;
    private final EventLoopGroup group;
    private final EngineWiring wiring;
    private final WsServer ws;
    private final AdminServer admin;
    private final Egress egress;
    private final FanoutHandler fanout;
    private final StageMetrics stageMetrics;
    private final NodeMetrics metrics;
    private final BatchEncoder encoder;
    private final CurrentBanList bans;
    private final QueuedScreeningHook screening;
    private final dev.danmaku.engine.sink.RedisWiring redis; // null without redis.uri
    private final int wsPort;
    private volatile boolean closed;
    /** The Kafka sink, or null when kafka.bootstrap-servers is empty. */
    private final KafkaSink kafkaSink;
    /** Cluster membership, or null on a single node (cluster.redis-uri empty). */
    private final ClusterMember cluster;

    private Node(NodeConfig config) throws Exception {
        this.config = config;
        EpochClock epochClock = SystemEpochClock.INSTANCE;
        NanoClock nanoClock = SystemNanoClock.INSTANCE;
        Path dataDir = Path.of(config.get(NodeConfig.DATA_DIR));
        Files.createDirectories(dataDir);
        journal = Journal.open(JournalConfig.defaults(dataDir.resolve("journal"))
                .withRollCycle(config.get(NodeConfig.JOURNAL_ROLL))
                .withSyncPolicy(config.get(NodeConfig.JOURNAL_SYNC))
                .withRetainedCycles(config.get(NodeConfig.JOURNAL_RETENTION)));

        stageMetrics = new StageMetrics();
        AdmitCounters admitCounters = new AdmitCounters();
        TransportMetrics transportMetrics = new TransportMetrics();

        boolean epoll = Epoll.isAvailable();
        int ioThreads = config.get(NodeConfig.IO_THREADS);
        group = new MultiThreadIoEventLoopGroup(ioThreads == 0 ? Runtime.getRuntime().availableProcessors() : ioThreads,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        egress = new Egress(WsServer.loops(group), config.get(NodeConfig.EGRESS_QUEUE), PooledByteBufAllocator.DEFAULT,
                nanoClock, TimeUnit.MILLISECONDS.toNanos(config.get(NodeConfig.SLOW_VIEWER_TIMEOUT_MS)));

        bans = new CurrentBanList();
        screening = screening(config.get(NodeConfig.SCREENING_CLASSIFIER));
        String wordsFile = config.get(NodeConfig.WORDS_FILE);
        Stages stages = Stages.build(config, journal, new ChronicleAppender(journal), egress, epochClock, nanoClock,
                stageMetrics, admitCounters, bans, wordsFile.isEmpty() ? null : loadWords(wordsFile), screening);
        encoder = stages.encoder();
        fanout = stages.fanout();
        JournalHandler sequencer = stages.sequencer();
        recover(sequencer, epochClock.time());
        redis = dev.danmaku.engine.sink.RedisWiring.start(config, journal, dataDir, bans, epochClock);
        if (redis != null) {
            redis.attach(stages.admit());
        }

        wiring = new EngineWiring(config, nanoClock, stageMetrics, stages.decode(), stages.admit(), sequencer,
                stages.delivery());
        String redisCluster = config.get(NodeConfig.CLUSTER_REDIS);
        if (redisCluster.isBlank()) {
            cluster = null;
        } else {
            String self = config.get(NodeConfig.NODE_ID);
            cluster = new ClusterMember(new ClusterMember.Settings(redisCluster.trim(), config.get(NodeConfig.CLUSTER_NAME),
                    self, config.get(NodeConfig.CLUSTER_LEASE_MS), config.get(NodeConfig.CLUSTER_RENEW_MS),
                    config.get(NodeConfig.CLUSTER_POLL_MS), config.get(NodeConfig.REDIS_TIMEOUT_MS),
                    config.get(NodeConfig.CLUSTER_HANDOFF_TTL_MS),
                    config.get(NodeConfig.CLUSTER_REJOIN) == NodeConfig.RejoinAs.ACTIVE ? NodeState.ACTIVE : NodeState.JOINING,
                    config.get(NodeConfig.REDIS_SINK) ? config.get(NodeConfig.REDIS_URI).trim() : "",
                    Math.max(1, config.get(NodeConfig.HISTORY_SIZE))), wiring);
            sequencer.cluster(self, cluster);
            fanout.cluster(self, cluster);
        }
        long interval = config.get(NodeConfig.BATCH_INTERVAL_MS);
        wiring.start(interval == 0 ? 50 : Math.max(1, interval / 2));

        String secret = config.get(NodeConfig.AUTH_SECRET);
        TokenVerifier verifier = secret.isEmpty() ? null : new TokenVerifier(secret, config.get(NodeConfig.AUTH_AUDIENCE));
        ws = new WsServer(config, group, epoll, wiring, verifier, epochClock, transportMetrics);
        wsPort = ws.start();

        metrics = new NodeMetrics(stageMetrics, admitCounters, transportMetrics, egress, wiring,
                () -> fanout.snapshot().size(), () -> stageMetrics.journalIndex);
        metrics.info(config);
        metrics.addRooms(fanout::snapshot, config.get(NodeConfig.METRICS_TOP_ROOMS));

        // ---- Kafka sink: tails the journal on its own thread, never blocks the ring ----
        KafkaSinkSettings kafka = KafkaSinkSettings.from(config);
        kafkaSink = kafka.enabled() ? KafkaSink.start(kafka, journal, dataDir, epochClock) : null;
        if (kafkaSink != null) {
            metrics.addSink(kafkaSink.metrics(), kafkaSink::ageMs, kafkaSink::producerRetries);
        }
        // ---- end Kafka sink ----

        if (cluster != null) {
            metrics.addCluster(cluster, stageMetrics);
        }
        admin = new AdminServer(config.get(NodeConfig.ADMIN_HOST), config.get(NodeConfig.ADMIN_PORT), metrics,
                fanout::snapshot, new AdminServer.Health() {
                    @Override
                    public String status() {
                        if (closed || sequencer.failed()) {
                            return "down";
                        }
                        boolean behind = (kafkaSink != null && kafkaSink.degraded()) // a sink behind or failing
                                || (redis != null && redis.degraded())
                                || (cluster != null && (cluster.stale() // serving what it holds, nothing new
                                || cluster.refusedMapVersion() > 0)); // Redis went back to an older map
                        return behind ? "degraded" : "up";
                    }

                    @Override
                    public void describe(com.fasterxml.jackson.databind.node.ObjectNode body) {
                        body.put("node", config.get(NodeConfig.NODE_ID));
                        body.put("wsPort", wsPort);
                        body.put("connections", transportMetrics.open.get());
                        body.put("rooms", fanout.snapshot().size());
                        body.put("ringRemaining", wiring.remainingCapacity());
                        body.put("journalIndex", stageMetrics.journalIndex);
                        body.put("accepted", stageMetrics.accepted);
                        body.put("viewers", fanout.snapshot().stream().mapToLong(FanoutHandler.RoomSummary::viewers).sum());
                        if (cluster != null) {
                            com.fasterxml.jackson.databind.node.ObjectNode c = body.putObject("cluster");
                            c.put("name", cluster.name());
                            c.put("redis", cluster.redisOk() ? "ok" : "unreachable");
                            c.put("stale", cluster.stale());
                            c.put("mapVersion", cluster.mapVersion());
                            c.put("state", cluster.state());
                            c.put("outgoing", cluster.outgoingCount());
                            c.put("movedOut", cluster.movedOut());
                            c.put("movedIn", cluster.movedIn());
                            c.put("refusedMapVersion", cluster.refusedMapVersion());
                            c.put("lastError", cluster.lastError());
                        }
                        if (redis != null) {
                            redis.describe(body);
                        }
                        if (kafkaSink != null) { // Kafka sink
                            com.fasterxml.jackson.databind.node.ObjectNode k = body.putObject("kafka");
                            k.put("status", kafkaSink.metrics().failing ? "failing" : kafkaSink.degraded() ? "behind" : "ok");
                            k.put("lag", kafkaSink.lag());
                            k.put("ageMs", kafkaSink.ageMs());
                            k.put("lastError", kafkaSink.metrics().lastError);
                        }
                    }
                }, bans, epochClock);
        if (config.get(NodeConfig.WEB_ENABLED)) { // the browser player (docs/web.md)
            admin.serveWeb(new dev.danmaku.engine.admin.WebAssets(wsPort, config.get(NodeConfig.WS_PATH)));
        }
        if (redis != null) {
            redis.attach(admin, metrics);
        }
        if (cluster != null) {
            cluster.start(advertisedAddress(config, wsPort), advertisedAdmin(config, admin.port()));
        }
        LOG.info("node {} ready: ws://{}:{}{} (transport {}), admin http://{}:{}/ , data {}",
                config.get(NodeConfig.NODE_ID), config.get(NodeConfig.WS_HOST), wsPort, config.get(NodeConfig.WS_PATH),
                epoll ? "epoll" : "nio", config.get(NodeConfig.ADMIN_HOST), admin.port(), dataDir.toAbsolutePath());
    }

    private static String advertisedAddress(NodeConfig config, int port) {
        String a = config.get(NodeConfig.CLUSTER_ADDRESS).trim();
        if (!a.isEmpty()) {
            return a;
        }
        String host = config.get(NodeConfig.WS_HOST);
        return "ws://" + (host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host) + ":" + port
                + config.get(NodeConfig.WS_PATH);
    }

    private static String advertisedAdmin(NodeConfig config, int port) {
        String a = config.get(NodeConfig.CLUSTER_ADMIN).trim();
        if (!a.isEmpty()) {
            return a;
        }
        String host = config.get(NodeConfig.ADMIN_HOST);
        return "http://" + (host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host) + ":" + port;
    }

    /** The cluster membership, or null on a single node. */
    public ClusterMember cluster() {
        return cluster;
    }

    /** Starts a node; throws if it cannot (port in use, unreadable data directory, ...). */
    public static Node start(NodeConfig config) throws Exception {
        return new Node(config);
    }

    /** The screening hook around a configured classifier (its own thread; the ring never waits for it), or null. */
    private static QueuedScreeningHook screening(String className) throws ReflectiveOperationException {
        if (className.isBlank()) {
            return null;
        }
        Object instance = Class.forName(className.trim()).getDeclaredConstructor().newInstance();
        if (!(instance instanceof Classifier classifier)) {
            throw new IllegalArgumentException(className + " does not implement " + Classifier.class.getName());
        }
        return new QueuedScreeningHook(classifier, 1 << 20, 1 << 16, Protocol.MAX_CONTENT_LENGTH).start();
    }

    private static SensitiveWordFilter loadWords(String file) throws IOException {
        Path p = Path.of(file);
        if (!p.isAbsolute() && !Files.exists(p)) {
            String home = System.getProperty("danmaku.home");
            if (home != null) {
                p = Path.of(home).resolve(file);
            }
        }
        return SensitiveWordFilter.load(p);
    }

    /** Rebuilds sequencing, rooms, history, leaderboards and the duplicate window from the journal. */
    private void recover(JournalHandler sequencer, long nowMs) {
        long window = config.get(NodeConfig.DEDUP_WINDOW_MS);
        JournalRecovery.Result r = JournalRecovery.recover(journal, new JournalRecovery.Visitor() {
            @Override
            public void onRoomCreated(long roomId, long epoch, long createTimeMs, long documentIndex) {
                sequencer.recoverRoom(roomId, epoch, 0);
                fanout.newRoom(roomId, epoch, 0);
            }

            @Override
            public void onReleased(long roomId, long epoch, long lastSequence, long documentIndex) {
                sequencer.forgetRoom(roomId);
                fanout.rooms().remove(roomId);
            }

            @Override
            public void onAdopted(long roomId, long epoch, long base, long previousEpoch, boolean exact,
                                  long documentIndex) {
                sequencer.recoverRoom(roomId, epoch, base);
                fanout.newRoom(roomId, epoch, base).adopted(previousEpoch, base, exact);
            }

            @Override
            public void onBullet(JournalRecord b, long documentIndex) {
                Room room = fanout.rooms().get(b.roomId());
                if (room == null || room.epoch() != b.epoch() || b.sequence() != room.lastSequence() + 1) {
                    // The room's creation fell out of retention (or an epoch began): start its history here.
                    room = fanout.newRoom(b.roomId(), b.epoch(), b.sequence() - 1);
                }
                room.history().append(b.sequence(), b.buffer(), b.entryOffset(), b.entryLength());
                room.sealedSequence(b.sequence());
                room.leaderboard().add(b.userId(), config.get(NodeConfig.RANKING_BULLET_WEIGHT)
                        + config.get(NodeConfig.RANKING_BYTE_WEIGHT) * b.contentLength());
                sequencer.recoverRoom(b.roomId(), b.epoch(), b.sequence());
                if (nowMs - b.acceptTimeMs() < window) {
                    sequencer.dedup().record(b.userId(), b.clientTimestamp(), b.buffer(), b.contentOffset(),
                            b.contentLength(), b.acceptTimeMs(), (int) b.epoch(), b.sequence());
                }
            }
        }, fanout.journalIndex());
        if (r.records() > 0) {
            LOG.info("recovered {} rooms and {} bullets from {} journal documents in {} ms ({} records/s)",
                    fanout.rooms().size(), r.bullets(), r.documents(), r.elapsedNanos() / 1_000_000,
                    (long) r.recordsPerSecond());
        }
    }

    public int wsPort() {
        return wsPort;
    }

    public int adminPort() {
        return admin.port();
    }

    public NodeMetrics metrics() {
        return metrics;
    }

    public StageMetrics stageMetrics() {
        return stageMetrics;
    }

    /** The Redis parts (sink, bans, quota), or null when redis.uri is empty. */
    public dev.danmaku.engine.sink.RedisWiring redis() {
        return redis;
    }

    /** The Kafka sink, or null when it is off. */
    public KafkaSink kafkaSink() {
        return kafkaSink;
    }

    /** Graceful shutdown: stop accepting, seal and flush every pending batch, close the journal. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        LOG.info("shutting down: no new connections, sealing pending batches");
        if (cluster != null) {
            cluster.close(); // its lease runs out by itself: a restart within it keeps the rooms here
        }
        ws.stopAccepting();
        try {
            wiring.drain(5_000);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (egress.queued() > 0 && System.nanoTime() - deadline < 0) {
                Thread.sleep(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ws.closeAll();
        wiring.close();
        egress.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        admin.close();
        encoder.close();
        if (screening != null) {
            screening.close();
        }
        if (redis != null) {
            redis.close();
        }
        if (kafkaSink != null) { // before the journal it reads
            try {
                kafkaSink.close();
            } catch (Exception e) {
                LOG.warn("closing the Kafka sink: {}", e.toString());
            }
        }
        journal.close();
        LOG.info("stopped");
    }
}
