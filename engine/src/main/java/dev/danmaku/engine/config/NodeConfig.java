package dev.danmaku.engine.config;

import dev.danmaku.engine.journal.JournalRollCycle;
import dev.danmaku.engine.journal.SyncPolicy;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The node's settings: every key is a named {@link ConfigKey} constant below with its default, its
 * rule and a description. Values come from the defaults, then a YAML file (nested maps whose paths
 * are the dotted key names, as in config/node.yaml), then command-line overrides. Unknown keys and
 * out-of-range values are errors with a one-line message, never ignored.
 *
 * <p>Immutable; safe to share between threads. Stages copy the values they need into primitive
 * fields when they are built, so reading configuration never happens per message.
 */
public final class NodeConfig {
    /** Ring wait strategies (see docs/operations.md for when to use which). */
    public enum WaitStrategy { BLOCKING, SLEEPING, YIELDING, BUSY_SPIN }

    /** Where stages run: all on one thread (2-core hosts) or one thread per stage (tuned hosts). */
    public enum StageThreads { FUSED, PER_STAGE }

    public static final ConfigKey<String> NODE_ID = ConfigKey.stringKey("node.id", "node-1",
            "this node's name in the cluster, metrics and Kafka headers");
    public static final ConfigKey<String> DATA_DIR = ConfigKey.stringKey("node.data-dir", "data",
            "directory for the journal and sink positions (relative to the working directory)");

    public static final ConfigKey<String> WS_HOST = ConfigKey.stringKey("transport.host", "0.0.0.0",
            "address the WebSocket server binds");
    public static final ConfigKey<Integer> WS_PORT = ConfigKey.intKey("transport.ws-port", 7000, 0, 65535,
            "WebSocket port (0 = any free port)");
    public static final ConfigKey<String> WS_PATH = ConfigKey.stringKey("transport.ws-path", "/ws",
            "WebSocket upgrade path");
    public static final ConfigKey<Integer> MAX_FRAME_BYTES = ConfigKey.intKey("transport.max-frame-bytes", 4096,
            64, 4096, "largest inbound frame, bytes (protocol maximum 4096)");
    public static final ConfigKey<Long> IDLE_TIMEOUT_MS = ConfigKey.longKey("transport.idle-timeout-ms", 30_000,
            1_000, 3_600_000, "close a connection that sent nothing (not even a heartbeat) for this long");
    public static final ConfigKey<Long> HANDSHAKE_TIMEOUT_MS = ConfigKey.longKey("transport.handshake-timeout-ms",
            5_000, 100, 60_000, "close a connection that has not completed the WebSocket upgrade in time");
    public static final ConfigKey<Integer> MAX_CONNECTIONS_PER_IP = ConfigKey.intKey(
            "transport.max-connections-per-ip", 1_000, 1, 1_000_000, "connections accepted from one address");
    public static final ConfigKey<String> ALLOWED_ORIGINS = ConfigKey.stringKey("transport.allowed-origins", "*",
            "comma-separated browser Origins allowed to upgrade; * = any (clients without Origin always pass)");
    public static final ConfigKey<Integer> WRITE_BUFFER_HIGH = ConfigKey.intKey("transport.write-buffer-high-bytes",
            256 * 1024, 4096, 64 << 20, "a viewer's channel stops being writable above this many queued bytes");
    public static final ConfigKey<Long> SLOW_VIEWER_TIMEOUT_MS = ConfigKey.longKey("transport.slow-viewer-timeout-ms",
            5_000, 100, 600_000, "disconnect (SLOW_CONSUMER) a viewer that stays unwritable this long");

    public static final ConfigKey<Integer> IO_THREADS = ConfigKey.intKey("transport.io-threads", 0, 0, 1024,
            "Netty event loops (0 = one per core)");
    public static final ConfigKey<Integer> EGRESS_QUEUE = ConfigKey.intKey("transport.egress-queue", 65_536, 1024,
            1 << 22, "frames queued from the fan-out stage to one event loop before frames are dropped (counted)");

    public static final ConfigKey<Boolean> AUTH_REQUIRED = ConfigKey.boolKey("auth.required", false,
            "senders must AUTH with a signed token before BULLET (viewing stays anonymous)");
    public static final ConfigKey<String> AUTH_SECRET = ConfigKey.stringKey("auth.hmac-secret", "",
            "HMAC-SHA256 key for tokens (required when auth.required is true)");
    public static final ConfigKey<String> AUTH_AUDIENCE = ConfigKey.stringKey("auth.audience", "danmaku",
            "required 'aud' claim of tokens");

    public static final ConfigKey<Integer> RING_SIZE = ConfigKey.intKey("ring.size", 32_768, 1_024, 1 << 22,
            "slots in the Disruptor ring (a power of two; 1 KiB each)");
    public static final ConfigKey<WaitStrategy> RING_WAIT = ConfigKey.enumKey("ring.wait-strategy",
            WaitStrategy.BLOCKING, WaitStrategy.class, "how idle stage threads wait");
    public static final ConfigKey<StageThreads> RING_THREADS = ConfigKey.enumKey("ring.stage-threads",
            StageThreads.FUSED, StageThreads.class, "fused: all stages on one thread; per-stage: one each");

    public static final ConfigKey<Long> BATCH_INTERVAL_MS = ConfigKey.longKey("batch.interval-ms", 10, 0, 1_000,
            "seal a room's pending bullets this often (0 = at the end of each ring batch)");
    public static final ConfigKey<Integer> MAX_BATCH_BYTES = ConfigKey.intKey("batch.max-bytes", 64 * 1024,
            1024, 1 << 20, "seal a room's batch early at this many payload bytes");
    public static final ConfigKey<Integer> COMPRESSION_THRESHOLD = ConfigKey.intKey("batch.compression-threshold",
            32, 0, Integer.MAX_VALUE, "compress a batch payload of at least this many bytes (and only if it shrinks)");
    public static final ConfigKey<Boolean> DICTIONARY = ConfigKey.boolKey("batch.dictionary", true,
            "compress with the protocol's zstd dictionary (docs/protocol.md, BATCH)");
    public static final ConfigKey<Integer> ZSTD_LEVEL = ConfigKey.intKey("batch.zstd-level", 3, 1, 19,
            "zstd compression level");
    public static final ConfigKey<Integer> ZSTD_LARGE_BYTES = ConfigKey.intKey("batch.zstd-large-bytes", 16 * 1024,
            0, Integer.MAX_VALUE, "payloads of at least this many bytes (hot rooms) use zstd-large-level instead");
    public static final ConfigKey<Integer> ZSTD_LARGE_LEVEL = ConfigKey.intKey("batch.zstd-large-level", 1, 1, 19,
            "zstd level for large payloads: about half the CPU of level 3, 6-7 % larger");

    public static final ConfigKey<Integer> HISTORY_SIZE = ConfigKey.intKey("rooms.history-size", 10_000, 0,
            1_000_000, "recent bullets kept in memory per room");
    public static final ConfigKey<Integer> MAX_REPLAY_SCAN = ConfigKey.intKey("rooms.max-replay-scan", 1_000_000,
            0, 100_000_000, "journal records a resume beyond memory may scan (on the fan-out thread) before NOT_RECOVERED");
    public static final ConfigKey<Integer> MAX_ROOMS = ConfigKey.intKey("rooms.max-rooms", 100_000, 1, 10_000_000,
            "rooms this node accepts (TOO_MANY_ROOMS past it)");
    public static final ConfigKey<Integer> RANKING_TOP_N = ConfigKey.intKey("rooms.ranking-top-n", 10, 1, 100,
            "entries in a RANKING frame");
    public static final ConfigKey<Long> RANKING_INTERVAL_MS = ConfigKey.longKey("rooms.ranking-interval-ms", 5_000,
            100, 3_600_000, "how often viewers get RANKING frames");

    public static final ConfigKey<Long> RANKING_BULLET_WEIGHT = ConfigKey.longKey("rooms.ranking-bullet-weight", 1, 0,
            1_000_000, "leaderboard score of one accepted bullet");
    public static final ConfigKey<Long> RANKING_BYTE_WEIGHT = ConfigKey.longKey("rooms.ranking-byte-weight", 0, 0,
            1_000_000, "extra leaderboard score per content byte");

    public static final ConfigKey<Long> DEDUP_WINDOW_MS = ConfigKey.longKey("filter.dedup-window-ms", 5_000, 0,
            3_600_000, "same user + same content inside this window is a DUPLICATE");
    public static final ConfigKey<Integer> DEDUP_CAPACITY = ConfigKey.intKey("filter.dedup-capacity", 1 << 20,
            1024, 1 << 26, "bullets remembered for duplicate suppression");
    public static final ConfigKey<Integer> USER_RATE = ConfigKey.intKey("filter.user-rate-per-second", 10, 1,
            1_000_000, "bullets per second per user");
    public static final ConfigKey<Integer> USER_BURST = ConfigKey.intKey("filter.user-burst", 10, 1, 1_000_000,
            "bullets a user may send at once");
    public static final ConfigKey<Integer> IP_RATE = ConfigKey.intKey("filter.ip-rate-per-second", 100, 1,
            10_000_000, "bullets per second per client address");
    public static final ConfigKey<Integer> IP_BURST = ConfigKey.intKey("filter.ip-burst", 100, 1, 10_000_000,
            "bullets one address may send at once");
    public static final ConfigKey<Integer> RATE_KEYS = ConfigKey.intKey("filter.rate-limiter-keys", 1 << 20, 1024,
            1 << 26, "users (and addresses) tracked by each rate limiter");
    public static final ConfigKey<Long> TIMESTAMP_SKEW_MS = ConfigKey.longKey("filter.timestamp-skew-ms", 60_000,
            0, 86_400_000, "reject bullets whose timestamp is further than this from the node's clock");
    public static final ConfigKey<String> WORDS_FILE = ConfigKey.stringKey("filter.words-file", "config/words.txt",
            "sensitive-word list (empty = none)");
    public static final ConfigKey<String> SCREENING_CLASSIFIER = ConfigKey.stringKey("filter.screening-classifier", "",
            "class name of an asynchronous content classifier (implements engine.filter.Classifier); empty = none");
    public static final ConfigKey<Integer> LINK_MIN_LEVEL = ConfigKey.intKey("filter.link-min-level", 3, 0, 255,
            "users below this level may not post links or contact ads");

    public static final ConfigKey<JournalRollCycle> JOURNAL_ROLL = ConfigKey.enumKey("journal.roll-cycle",
            JournalRollCycle.HOURLY, JournalRollCycle.class, "when the journal starts a new file (the unit of retention)");
    public static final ConfigKey<Integer> JOURNAL_RETENTION = ConfigKey.intKey("journal.retention-cycles", 168, 1,
            100_000, "journal files kept (older ones are deleted once every sink has passed them)");
    public static final ConfigKey<SyncPolicy> JOURNAL_SYNC = ConfigKey.enumKey("journal.sync",
            SyncPolicy.PAGE_CACHE, SyncPolicy.class,
            "durability of an ACK: page-cache survives kill -9, fsync also power loss");

    public static final ConfigKey<String> ADMIN_HOST = ConfigKey.stringKey("admin.host", "127.0.0.1",
            "address the admin HTTP server (health, metrics, rooms) binds");
    public static final ConfigKey<Integer> ADMIN_PORT = ConfigKey.intKey("admin.port", 7001, 0, 65535,
            "admin HTTP port (0 = any free port)");
    public static final ConfigKey<Integer> METRICS_TOP_ROOMS = ConfigKey.intKey("admin.metrics-top-rooms", 10, 0, 100,
            "rooms exported by name in /metrics (top by viewers and by bullet rate; bounds the room label)");

    // --- redis: sink, shared bans, cross-node quota (all off while redis.uri is empty) ---
    public static final ConfigKey<String> REDIS_URI = ConfigKey.stringKey("redis.uri", "",
            "redis://HOST:PORT or redis-cluster://HOST:PORT[,HOST:PORT...]; empty = no Redis");
    public static final ConfigKey<Long> REDIS_TIMEOUT_MS = ConfigKey.longKey("redis.timeout-ms", 2_000, 50, 60_000,
            "Redis command timeout: an outage surfaces as an error (and a retry) after this long");
    public static final ConfigKey<Boolean> REDIS_SINK = ConfigKey.boolKey("redis.sink-enabled", true,
            "feed the recent-bullet pools, rankings and active rooms from the journal");
    public static final ConfigKey<Integer> REDIS_SINK_BATCH = ConfigKey.intKey("redis.sink-batch-records", 2_000, 1,
            65_535, "journal records per Redis pipeline");
    public static final ConfigKey<Integer> REDIS_POOL_SIZE = ConfigKey.intKey("redis.pool-size", 10_000, 1,
            10_000_000, "bullets kept in each room's recent-bullet pool (LiveBulletKey)");
    public static final ConfigKey<Long> REDIS_DEGRADED_AGE_MS = ConfigKey.longKey("redis.sink-degraded-age-ms", 5_000,
            0, 3_600_000, "/health says degraded while the sink is this far behind (or failing)");
    public static final ConfigKey<Boolean> REDIS_BANS = ConfigKey.boolKey("redis.bans-enabled", true,
            "share bans through Redis (admin API writes them; every node applies them)");
    public static final ConfigKey<Long> REDIS_BANS_RELOAD_MS = ConfigKey.longKey("redis.bans-reload-ms", 5_000, 100,
            3_600_000, "full reload of the bans from Redis (pub/sub carries changes in between)");
    public static final ConfigKey<Boolean> REDIS_QUOTA = ConfigKey.boolKey("redis.quota-enabled", false,
            "a cross-node per-user quota in Redis, behind the local rate limiter");
    public static final ConfigKey<Integer> REDIS_QUOTA_LIMIT = ConfigKey.intKey("redis.quota-limit", 10, 1,
            100_000_000, "bullets per user per quota window, over all nodes");
    public static final ConfigKey<Long> REDIS_QUOTA_WINDOW_MS = ConfigKey.longKey("redis.quota-window-ms", 1_000, 10,
            86_400_000, "length of the fixed quota window, ms");
    public static final ConfigKey<Integer> REDIS_QUOTA_QUEUE = ConfigKey.intKey("redis.quota-queue", 65_536, 1_024,
            1 << 24, "bullets queued for the quota guard; when full they are not counted (counted as skipped)");
    // --- end redis ---
    // ---- cluster (engine.cluster; docs/cluster.md): off while cluster.redis-uri is empty ----
    /** The state a node puts itself back in when it finds itself gone from the map. */
    public enum RejoinAs { ACTIVE, JOINING }

    public static final ConfigKey<String> CLUSTER_REDIS = ConfigKey.stringKey("cluster.redis-uri", "",
            "Redis that holds the cluster's shard map and membership (redis://HOST:PORT or redis-cluster://...); "
                    + "empty = a single node");
    public static final ConfigKey<String> CLUSTER_NAME = ConfigKey.stringKey("cluster.name", "default",
            "the cluster's name (several clusters may share one Redis)");
    public static final ConfigKey<String> CLUSTER_ADDRESS = ConfigKey.stringKey("cluster.advertise-address", "",
            "the WebSocket URL other nodes redirect clients to (empty = ws://transport.host:port/path, 127.0.0.1 for 0.0.0.0)");
    public static final ConfigKey<String> CLUSTER_ADMIN = ConfigKey.stringKey("cluster.advertise-admin", "",
            "the admin URL the router uses (empty = http://admin.host:admin.port)");
    public static final ConfigKey<Long> CLUSTER_LEASE_MS = ConfigKey.longKey("cluster.lease-ms", 5_000, 500, 600_000,
            "membership lease: a node whose lease is this long overdue is marked gone and its rooms move");
    public static final ConfigKey<Long> CLUSTER_RENEW_MS = ConfigKey.longKey("cluster.renew-ms", 1_000, 50, 60_000,
            "how often the lease is renewed (well below cluster.lease-ms)");
    public static final ConfigKey<Long> CLUSTER_POLL_MS = ConfigKey.longKey("cluster.poll-ms", 500, 20, 60_000,
            "how often the map and the other nodes' handovers are read (pub/sub also wakes the node)");
    public static final ConfigKey<Long> CLUSTER_HANDOFF_TTL_MS = ConfigKey.longKey("cluster.handoff-ttl-ms", 600_000,
            10_000, 86_400_000, "how long a room's handoff document stays in Redis for its new owner");
    public static final ConfigKey<RejoinAs> CLUSTER_REJOIN = ConfigKey.enumKey("cluster.rejoin-as", RejoinAs.ACTIVE,
            RejoinAs.class, "state a restarted node that finds itself gone puts itself back in (its old rooms come back by handoff)");
    static final List<ConfigKey<?>> CLUSTER_KEYS = List.of(CLUSTER_REDIS, CLUSTER_NAME, CLUSTER_ADDRESS, CLUSTER_ADMIN,
            CLUSTER_LEASE_MS, CLUSTER_RENEW_MS, CLUSTER_POLL_MS, CLUSTER_HANDOFF_TTL_MS, CLUSTER_REJOIN);
    // ---- end cluster ----
    // ---- Kafka sink (engine.sink.Kafka*; docs/kafka.md) ----
    public static final ConfigKey<String> KAFKA_BOOTSTRAP = ConfigKey.stringKey("kafka.bootstrap-servers", "",
            "HOST:PORT[,HOST:PORT] of the Kafka cluster the journal is fed to (empty = the Kafka sink is off)");
    public static final ConfigKey<String> KAFKA_TOPIC = ConfigKey.stringKey("kafka.topic", "danmaku.bullets",
            "topic the bullets go to (created if missing)");
    public static final ConfigKey<Integer> KAFKA_PARTITIONS = ConfigKey.intKey("kafka.partitions", 12, 1, 10_000,
            "partitions of the topic when the sink creates it (an existing topic keeps its own)");
    public static final ConfigKey<Integer> KAFKA_REPLICATION = ConfigKey.intKey("kafka.replication-factor", 0, 0, 32,
            "replication factor of a created topic (0 = min(3, brokers))");
    public static final ConfigKey<String> KAFKA_COMPRESSION = ConfigKey.stringKey("kafka.compression", "lz4",
            "producer compression.type: none, gzip, snappy, lz4 or zstd");
    public static final ConfigKey<Integer> KAFKA_LINGER_MS = ConfigKey.intKey("kafka.linger-ms", 5, 0, 1_000,
            "producer linger.ms: how long a partition's batch waits to fill");
    public static final ConfigKey<Integer> KAFKA_BATCH_BYTES = ConfigKey.intKey("kafka.batch-bytes", 256 * 1024,
            1024, 16 << 20, "producer batch.size, bytes per partition batch");
    public static final ConfigKey<Integer> KAFKA_BATCH_RECORDS = ConfigKey.intKey("kafka.batch-records", 4_096, 1,
            65_536, "journal records per sink write (one Kafka transaction)");
    public static final ConfigKey<Long> KAFKA_TIMEOUT_MS = ConfigKey.longKey("kafka.timeout-ms", 10_000, 1_000,
            300_000, "bound on any blocking Kafka call (max.block.ms; delivery.timeout.ms is this + 5 s): an outage "
                    + "surfaces as a failed write that is retried");
    public static final ConfigKey<String> KAFKA_TRANSACTIONAL_ID = ConfigKey.stringKey("kafka.transactional-id", "",
            "transactional.id of this node's sink (empty = danmaku-sink-<node.id>); must be unique per journal");
    public static final ConfigKey<Long> KAFKA_DEGRADED_AFTER_MS = ConfigKey.longKey("kafka.degraded-after-ms", 2_000,
            0, 3_600_000, "/health is degraded while the sink's oldest unwritten bullet is older than this, or Kafka is failing");
    public static final ConfigKey<Integer> KAFKA_RECOVERY_SCAN = ConfigKey.intKey("kafka.recovery-scan-records",
            1_000_000, 1_000, Integer.MAX_VALUE, "records read back per partition to find this node's last record");
    static final List<ConfigKey<?>> KAFKA_KEYS = List.of(KAFKA_BOOTSTRAP, KAFKA_TOPIC, KAFKA_PARTITIONS,
            KAFKA_REPLICATION, KAFKA_COMPRESSION, KAFKA_LINGER_MS, KAFKA_BATCH_BYTES, KAFKA_BATCH_RECORDS,
            KAFKA_TIMEOUT_MS, KAFKA_TRANSACTIONAL_ID, KAFKA_DEGRADED_AFTER_MS, KAFKA_RECOVERY_SCAN);
    // ---- end Kafka sink ----
    // ---- web player (engine.admin.WebAssets; docs/web.md) ----
    public static final ConfigKey<Boolean> WEB_ENABLED = ConfigKey.boolKey("web.enabled", true,
            "serve the browser player and client library at / of the admin HTTP server");
    static final List<ConfigKey<?>> WEB_KEYS = List.of(WEB_ENABLED);
    // ---- end web player ----

    /** Every key, in the order of config/node.yaml. */
    public static final List<ConfigKey<?>> KEYS = concat(List.of(NODE_ID, DATA_DIR, WS_HOST, WS_PORT, WS_PATH,
            MAX_FRAME_BYTES, IDLE_TIMEOUT_MS, HANDSHAKE_TIMEOUT_MS, MAX_CONNECTIONS_PER_IP, ALLOWED_ORIGINS,
            WRITE_BUFFER_HIGH, SLOW_VIEWER_TIMEOUT_MS, IO_THREADS, EGRESS_QUEUE, AUTH_REQUIRED, AUTH_SECRET, AUTH_AUDIENCE, RING_SIZE, RING_WAIT,
            RING_THREADS, BATCH_INTERVAL_MS, MAX_BATCH_BYTES, COMPRESSION_THRESHOLD, DICTIONARY, ZSTD_LEVEL, ZSTD_LARGE_BYTES, ZSTD_LARGE_LEVEL,
            HISTORY_SIZE, MAX_REPLAY_SCAN, MAX_ROOMS, RANKING_TOP_N, RANKING_INTERVAL_MS, RANKING_BULLET_WEIGHT, RANKING_BYTE_WEIGHT,
            DEDUP_WINDOW_MS, DEDUP_CAPACITY, USER_RATE, USER_BURST,
            IP_RATE, IP_BURST, RATE_KEYS, TIMESTAMP_SKEW_MS, WORDS_FILE, SCREENING_CLASSIFIER, LINK_MIN_LEVEL, JOURNAL_ROLL,
            JOURNAL_RETENTION, JOURNAL_SYNC, ADMIN_HOST, ADMIN_PORT, METRICS_TOP_ROOMS,
            REDIS_URI, REDIS_TIMEOUT_MS, REDIS_SINK, REDIS_SINK_BATCH, REDIS_POOL_SIZE, REDIS_DEGRADED_AGE_MS,
            REDIS_BANS, REDIS_BANS_RELOAD_MS, REDIS_QUOTA, REDIS_QUOTA_LIMIT, REDIS_QUOTA_WINDOW_MS, REDIS_QUOTA_QUEUE),
            CLUSTER_KEYS, KAFKA_KEYS, WEB_KEYS);

    @SafeVarargs
    private static List<ConfigKey<?>> concat(List<ConfigKey<?>>... groups) {
        List<ConfigKey<?>> all = new ArrayList<>();
        for (List<ConfigKey<?>> g : groups) {
            all.addAll(g);
        }
        return List.copyOf(all);
    }

    private final Map<String, Object> values;

    private NodeConfig(Map<String, Object> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    /** The embedded defaults. */
    public static NodeConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The value of {@code key}. */
    @SuppressWarnings("unchecked")
    public <T> T get(ConfigKey<T> key) {
        return (T) values.get(key.name());
    }

    /** A copy with one value replaced (tests, hot reload). */
    public <T> NodeConfig with(ConfigKey<T> key, T value) {
        Builder b = new Builder();
        b.values.putAll(values);
        b.set(key, value);
        return b.build();
    }

    /** Accumulates values: defaults, then a file, then overrides; {@link #build()} checks cross-key rules. */
    public static final class Builder {
        private final Map<String, Object> values = new LinkedHashMap<>();

        private Builder() {
            for (ConfigKey<?> k : KEYS) {
                values.put(k.name(), k.defaultValue());
            }
        }

        public <T> Builder set(ConfigKey<T> key, T value) {
            if (!key.valid().test(value)) {
                throw new ConfigException(key.name() + ": " + value + " is out of range (" + key.rule() + ")");
            }
            values.put(key.name(), value);
            return this;
        }

        /** Sets a key from text, as the file and the command line give it. */
        public Builder set(String name, String text, String source) {
            ConfigKey<?> key = key(name);
            if (key == null) {
                throw new ConfigException(source + ": unknown key '" + name + "'");
            }
            values.put(name, key.parse(text, source));
            return this;
        }

        /** Reads a YAML file of nested maps; every leaf path must be a known key. */
        public Builder load(Path file) {
            try (Reader r = Files.newBufferedReader(file)) {
                return load(r, file.toString());
            } catch (IOException e) {
                throw new ConfigException(file + ": cannot read (" + e.getMessage() + ")");
            }
        }

        public Builder load(Reader reader, String source) {
            Object root;
            try {
                root = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
            } catch (RuntimeException e) {
                throw new ConfigException(source + ": not valid YAML (" + e.getMessage().lines().findFirst().orElse("")
                        + ")");
            }
            if (root == null) {
                return this;
            }
            if (!(root instanceof Map<?, ?> map)) {
                throw new ConfigException(source + ": expected a map of sections at the top level");
            }
            List<String[]> leaves = new ArrayList<>();
            flatten("", map, leaves, source);
            for (String[] leaf : leaves) {
                set(leaf[0], leaf[1], source);
            }
            return this;
        }

        private static void flatten(String prefix, Map<?, ?> map, List<String[]> out, String source) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String name = prefix + e.getKey();
                Object v = e.getValue();
                if (v instanceof Map<?, ?> nested) {
                    flatten(name + ".", nested, out, source);
                } else if (v instanceof List<?> list) {
                    out.add(new String[]{name, String.join(",", list.stream().map(String::valueOf).toList())});
                } else {
                    out.add(new String[]{name, v == null ? "" : String.valueOf(v)});
                }
            }
        }

        public NodeConfig build() {
            int ring = (Integer) values.get(RING_SIZE.name());
            if (Integer.bitCount(ring) != 1) {
                throw new ConfigException(RING_SIZE.name() + ": " + ring + " is not a power of two");
            }
            if ((Boolean) values.get(AUTH_REQUIRED.name()) && ((String) values.get(AUTH_SECRET.name())).length() < 32) {
                throw new ConfigException(AUTH_SECRET.name() + ": auth.required needs a secret of at least 32 characters");
            }
            return new NodeConfig(new LinkedHashMap<>(values));
        }
    }

    /** The key named {@code name}, or null. */
    public static ConfigKey<?> key(String name) {
        for (ConfigKey<?> k : KEYS) {
            if (k.name().equals(name)) {
                return k;
            }
        }
        return null;
    }
}
