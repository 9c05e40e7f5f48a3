package dev.danmaku.engine.sink;

import dev.danmaku.router.store.RedisEndpoint;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.danmaku.engine.admin.AdminServer;
import dev.danmaku.engine.admin.NodeMetrics;
import dev.danmaku.engine.config.NodeConfig;
import dev.danmaku.engine.filter.CurrentBanList;
import dev.danmaku.engine.journal.Journal;
import dev.danmaku.engine.stage.AdmitHandler;
import org.agrona.concurrent.EpochClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;

/**
 * Everything of the node that talks to Redis, assembled from the {@code redis.*} config keys: the
 * sink's journal tailer ({@link RedisSink}), the shared bans ({@link RedisBanSync}) and the
 * cross-node quota ({@link RedisQuotaGuard}), each on its own thread(s). Nothing here is on the
 * hot path, and nothing fails the node's start when Redis is down: each part retries by itself and
 * /health reports "degraded" meanwhile. Built and closed by {@code Node}.
 */
public final class RedisWiring implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RedisWiring.class);

    private final RedisEndpoint endpoint;
    private final JournalTailer tailer;
    private final RedisSink sink;
    private final RedisBanSync bans;
    private final RedisQuotaGuard quota;
    private final long degradedAgeMs;

    private RedisWiring(NodeConfig config, Journal journal, Path dataDir, CurrentBanList banList, EpochClock clock) {
        endpoint = RedisEndpoint.of(config.get(NodeConfig.REDIS_URI), config.get(NodeConfig.REDIS_TIMEOUT_MS));
        degradedAgeMs = config.get(NodeConfig.REDIS_DEGRADED_AGE_MS);
        if (config.get(NodeConfig.REDIS_SINK)) {
            RedisSink.Settings defaults = RedisSink.Settings.defaults();
            sink = new RedisSink(endpoint, new RedisSink.Settings(config.get(NodeConfig.REDIS_POOL_SIZE),
                    config.get(NodeConfig.RANKING_BULLET_WEIGHT), config.get(NodeConfig.RANKING_BYTE_WEIGHT),
                    defaults.replayWindowBullets(), defaults.replayWindowMs()));
            tailer = new JournalTailer("redis", journal, sink, dataDir.resolve("sinks").resolve("redis.position"),
                    config.get(NodeConfig.REDIS_SINK_BATCH), new SinkMetrics("redis")).start();
        } else {
            sink = null;
            tailer = null;
        }
        bans = config.get(NodeConfig.REDIS_BANS)
                ? new RedisBanSync(endpoint, banList, clock, config.get(NodeConfig.REDIS_BANS_RELOAD_MS)).start() : null;
        quota = config.get(NodeConfig.REDIS_QUOTA)
                ? new RedisQuotaGuard(endpoint, config.get(NodeConfig.REDIS_QUOTA_LIMIT),
                config.get(NodeConfig.REDIS_QUOTA_WINDOW_MS), config.get(NodeConfig.REDIS_QUOTA_QUEUE), clock).start()
                : null;
        LOG.info("redis {}: sink {}, shared bans {}, quota {}", endpoint, sink != null ? "on" : "off",
                bans != null ? "on" : "off", quota != null ? "on" : "off");
    }

    /** The Redis parts, or null when {@code redis.uri} is empty. Throws only for a malformed URI. */
    public static RedisWiring start(NodeConfig config, Journal journal, Path dataDir, CurrentBanList bans,
                                    EpochClock clock) {
        return config.get(NodeConfig.REDIS_URI).isBlank() ? null : new RedisWiring(config, journal, dataDir, bans, clock);
    }

    /** Hooks the quota guard into the admit stage (before the ring starts). */
    public void attach(AdmitHandler admit) {
        if (quota != null) {
            admit.quotaGuard(quota);
        }
    }

    /** Hooks the shared bans into the admin API and the metrics into the registry. */
    public void attach(AdminServer admin, NodeMetrics metrics) {
        if (bans != null) {
            admin.banStore(bans);
            metrics.addCounter("danmaku_redis_ban_reloads", "full ban reloads from Redis", bans.reloads::get);
            metrics.addCounter("danmaku_redis_ban_reload_failures", "failed ban reloads", bans.reloadFailures::get);
            metrics.addCounter("danmaku_redis_ban_updates", "ban changes applied from pub/sub", bans.hotUpdates::get);
        }
        if (tailer != null) {
            metrics.addSink(tailer.metrics());
            metrics.addCounter("danmaku_redis_sink_replayed_scripts", "scripts re-sent after a failure or failover",
                    sink.replayedScripts::get);
        }
        if (quota != null) {
            metrics.addCounter("danmaku_redis_quota_submitted", "bullets counted by the cross-node quota",
                    quota.submitted::get);
            metrics.addCounter("danmaku_redis_quota_skipped", "bullets not counted (quota queue full)",
                    quota.skipped::get);
            metrics.addCounter("danmaku_redis_quota_over", "over-quota verdicts", quota.overQuota::get);
            metrics.addCounter("danmaku_redis_quota_errors", "failed quota round trips (failed open)",
                    quota.errors::get);
        }
    }

    /** The sink's tailer, or null. */
    public JournalTailer tailer() {
        return tailer;
    }

    public RedisSink sink() {
        return sink;
    }

    public RedisQuotaGuard quota() {
        return quota;
    }

    public RedisBanSync bans() {
        return bans;
    }

    /** Whether /health should say "degraded": the sink failing or behind, or the bans not reloading. */
    public boolean degraded() {
        if (tailer != null) {
            SinkMetrics m = tailer.metrics();
            if (m.failing || NodeMetrics.sinkAgeMs(m) > degradedAgeMs) {
                return true;
            }
        }
        return bans != null && !bans.healthy();
    }

    /** Adds a {@code redis} object to the /health body. */
    public void describe(ObjectNode body) {
        ObjectNode r = body.putObject("redis");
        r.put("uri", endpoint.uri());
        if (tailer != null) {
            SinkMetrics m = tailer.metrics();
            r.put("sinkFailing", m.failing);
            r.put("sinkLagDocuments", m.lagDocuments.get());
            r.put("sinkAgeMs", NodeMetrics.sinkAgeMs(m));
            r.put("sinkErrors", m.errors.get());
            if (m.failing) {
                r.put("sinkLastError", m.lastError);
            }
        }
        if (bans != null) {
            r.put("bansHealthy", bans.healthy());
        }
    }

    @Override
    public void close() {
        if (quota != null) {
            quota.close();
        }
        if (bans != null) {
            bans.close();
        }
        if (tailer != null) {
            try {
                tailer.close();
            } catch (Exception e) {
                LOG.warn("redis sink close: {}", e.toString());
            }
        }
        endpoint.close();
    }
}
