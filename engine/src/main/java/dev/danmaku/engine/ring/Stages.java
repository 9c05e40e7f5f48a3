package dev.danmaku.engine.ring;

import dev.danmaku.codec.BatchEncoder;
import dev.danmaku.codec.BatchLayout;
import dev.danmaku.codec.Protocol;
import dev.danmaku.codec.ProtocolDictionary;
import dev.danmaku.engine.config.NodeConfig;
import dev.danmaku.engine.filter.AdmitCounters;
import dev.danmaku.engine.filter.CurrentBanList;
import dev.danmaku.engine.filter.DuplicateFilter;
import dev.danmaku.engine.filter.LinkRule;
import dev.danmaku.engine.filter.QueuedScreeningHook;
import dev.danmaku.engine.filter.RateLimiter;
import dev.danmaku.engine.filter.SensitiveWordFilter;
import dev.danmaku.engine.journal.Journal;
import dev.danmaku.engine.stage.AdmitHandler;
import dev.danmaku.engine.stage.DecodeHandler;
import dev.danmaku.engine.stage.DeliveryTimingHandler;
import dev.danmaku.engine.stage.FanoutHandler;
import dev.danmaku.engine.stage.JournalHandler;
import dev.danmaku.engine.stage.StageMetrics;
import dev.danmaku.engine.transport.Egress;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.NanoClock;

/**
 * The four stages built from the node configuration, in one place, so the node and the in-process
 * benchmark run exactly the same stage chain.
 *
 * @param encoder  the fan-out stage's batch encoder (native memory: close it with the node)
 * @param delivery the fan-out stage as the ring runs it: {@code fanout} plus delivery timing (registered
 *                 with the egress); wire this one, not {@code fanout}
 */
public record Stages(DecodeHandler decode, AdmitHandler admit, JournalHandler sequencer, FanoutHandler fanout,
                     BatchEncoder encoder, DuplicateFilter dedup, DeliveryTimingHandler delivery) {

    /**
     * @param journal     the journal (replay reads; may be null in benchmarks that append elsewhere)
     * @param appender    where the journal stage writes
     * @param words       the sensitive-word filter, or null
     * @param screening   the screening hook, or null
     */
    public static Stages build(NodeConfig config, Journal journal, JournalHandler.Appender appender, Egress egress,
                               EpochClock epochClock, NanoClock nanoClock, StageMetrics metrics,
                               AdmitCounters admitCounters, CurrentBanList bans, SensitiveWordFilter words,
                               QueuedScreeningHook screening) {
        int maxBatchBytes = config.get(NodeConfig.MAX_BATCH_BYTES);
        BatchEncoder encoder = new BatchEncoder(config.get(NodeConfig.COMPRESSION_THRESHOLD),
                config.get(NodeConfig.ZSTD_LEVEL), config.get(NodeConfig.DICTIONARY) ? ProtocolDictionary.bytes() : null,
                Math.max(maxBatchBytes, BatchLayout.MAX_ENTRY_LENGTH), Protocol.MAX_BATCH_COUNT)
                .largeBatches(config.get(NodeConfig.ZSTD_LARGE_BYTES), config.get(NodeConfig.ZSTD_LARGE_LEVEL));
        int historySize = config.get(NodeConfig.HISTORY_SIZE);
        int historyBytes = (int) Math.min(1 << 30, Math.max(4L * maxBatchBytes, historySize * 128L));
        FanoutHandler fanout = new FanoutHandler(new FanoutHandler.Settings(config.get(NodeConfig.BATCH_INTERVAL_MS),
                maxBatchBytes, Math.max(historySize, Protocol.MAX_BATCH_COUNT), historyBytes,
                config.get(NodeConfig.RANKING_TOP_N), config.get(NodeConfig.RANKING_INTERVAL_MS),
                config.get(NodeConfig.RANKING_BULLET_WEIGHT), config.get(NodeConfig.RANKING_BYTE_WEIGHT), 100_000,
                config.get(NodeConfig.MAX_REPLAY_SCAN)), egress, encoder, epochClock, nanoClock, metrics, journal);
        DuplicateFilter dedup = new DuplicateFilter(config.get(NodeConfig.DEDUP_CAPACITY),
                config.get(NodeConfig.DEDUP_WINDOW_MS));
        JournalHandler sequencer = new JournalHandler(appender, dedup, admitCounters, epochClock, nanoClock,
                config.get(NodeConfig.MAX_ROOMS), metrics);
        int rateKeys = config.get(NodeConfig.RATE_KEYS);
        AdmitHandler admit = new AdmitHandler(epochClock, nanoClock, config.get(NodeConfig.TIMESTAMP_SKEW_MS), bans,
                RateLimiter.perSecond(config.get(NodeConfig.USER_RATE), config.get(NodeConfig.USER_BURST), rateKeys),
                RateLimiter.perSecond(config.get(NodeConfig.IP_RATE), config.get(NodeConfig.IP_BURST), rateKeys),
                words, new LinkRule(config.get(NodeConfig.LINK_MIN_LEVEL), Protocol.MAX_CONTENT_LENGTH), screening,
                admitCounters, metrics);
        DeliveryTimingHandler delivery = new DeliveryTimingHandler(fanout);
        egress.origins(delivery);
        return new Stages(new DecodeHandler(metrics, nanoClock), admit, sequencer, fanout, encoder, dedup, delivery);
    }
}
