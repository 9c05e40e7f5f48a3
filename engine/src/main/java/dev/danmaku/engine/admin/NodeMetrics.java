package dev.danmaku.engine.admin;

import dev.danmaku.codec.ErrorCode;
import dev.danmaku.engine.filter.AdmitCounters;
import dev.danmaku.engine.ring.EngineWiring;
import dev.danmaku.engine.sink.SinkMetrics;
import dev.danmaku.engine.stage.StageMetrics;
import dev.danmaku.engine.transport.Egress;
import dev.danmaku.engine.transport.TransportMetrics;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The node's Prometheus metrics, read from the counters the stages and I/O threads keep (nothing
 * on the hot path knows about Prometheus). Latencies come from HdrHistogram recorders and are
 * exposed as cumulative classic histograms, so {@code histogram_quantile} works across nodes.
 * Scrapes are serialized ({@code synchronized}); any thread may scrape.
 */
public final class NodeMetrics {
    /** Upper bounds of the latency histograms, seconds: 50 us to 10 s. */
    private static final double[] BOUNDS = {50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3,
            100e-3, 250e-3, 500e-3, 1, 2.5, 5, 10, Double.POSITIVE_INFINITY};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final List<LatencyHistogram> histograms = new ArrayList<>();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    public NodeMetrics(StageMetrics stages, AdmitCounters admits, TransportMetrics transport, Egress egress,
                       EngineWiring ring, LongSupplier rooms, LongSupplier journalIndex) {
        JvmMetrics.builder().register(registry);
        counter("danmaku_bullets_accepted", "bullets journaled and acknowledged", () -> stages.accepted);
        counter("danmaku_bullets_delivered", "bullet deliveries queued to viewers (bullets x viewers)",
                () -> stages.deliveries);
        counter("danmaku_batches_sealed", "BATCH frames sealed", () -> stages.batches);
        counter("danmaku_parse_errors", "inbound frames that failed validation", () -> stages.parseErrors);
        counter("danmaku_stage_failures", "events a stage threw on (skipped)", () -> stages.stageFailures);
        counter("danmaku_journal_commits", "journal documents committed", () -> stages.journalCommits);
        counter("danmaku_dedup_evicted_live", "duplicate-filter entries overwritten inside the window "
                + "(raise filter.dedup-capacity)", () -> stages.dedupEvictedLive);
        counter("danmaku_egress_dropped", "frames dropped because an egress queue was full", egress::dropped);
        counter("danmaku_egress_skipped", "batches a slow viewer skipped (sequence gap)", egress::skipped);
        counter("danmaku_egress_written", "frames written to channels", egress::written);
        counter("danmaku_sent_bytes", "WebSocket frame bytes written to viewers and senders (bandwidth out)",
                egress::writtenBytes);
        counter("danmaku_received_bytes", "WebSocket data frame bytes received (bandwidth in)",
                transport.receivedBytes::sum);
        counter("danmaku_frames_oversized", "frames larger than a ring slot, answered FRAME_TOO_LARGE and closed",
                transport.oversized::sum);
        CounterWithCallback.builder().name("danmaku_messages_dropped")
                .help("messages not delivered or not taken, by cause: egress_queue_full (a frame for one connection "
                        + "dropped), slow_viewer (a batch a non-writable viewer skipped), ring_full (an inbound frame "
                        + "answered BUSY), oversized (an inbound frame over a ring slot)")
                .labelNames("cause")
                .callback(cb -> {
                    cb.call(egress.dropped(), "egress_queue_full");
                    cb.call(egress.skipped(), "slow_viewer");
                    cb.call(transport.busy.sum(), "ring_full");
                    cb.call(transport.oversized.sum(), "oversized");
                }).register(registry);
        counter("danmaku_viewers_evicted_slow", "viewers closed as SLOW_CONSUMER", egress::slowClosed);
        counter("danmaku_connections_accepted", "connections accepted", transport.accepted::sum);
        counter("danmaku_connections_refused_address", "connections refused by the per-address limit",
                transport.refusedPerAddress::sum);
        counter("danmaku_connections_refused_origin", "upgrades refused for their Origin", transport.refusedOrigin::sum);
        counter("danmaku_handshake_timeouts", "connections closed before upgrading in time",
                transport.handshakeTimeouts::sum);
        counter("danmaku_idle_timeouts", "connections closed as idle", transport.idleTimeouts::sum);
        counter("danmaku_ring_busy", "frames answered BUSY because the ring was full", transport.busy::sum);
        counter("danmaku_frames_received", "WebSocket frames received", transport.framesIn::sum);
        counter("danmaku_auth_ok", "AUTH accepted", transport.authOk::sum);
        counter("danmaku_auth_failed", "AUTH refused", transport.authFailed::sum);
        CounterWithCallback.builder().name("danmaku_rejects").help("requests answered with an ERROR, by code")
                .labelNames("code", "reason")
                .callback(cb -> {
                    for (ErrorCode code : ErrorCode.values()) {
                        long n = stages.rejects[code.code()];
                        if (code == ErrorCode.BUSY) {
                            n += transport.busy.sum();
                        } else if (code == ErrorCode.UNAUTHENTICATED) {
                            n += transport.unauthenticated.sum();
                        }
                        if (n > 0) {
                            cb.call(n, Integer.toString(code.code()), code.name());
                        }
                    }
                }).register(registry);
        CounterWithCallback.builder().name("danmaku_admission").help("admission outcomes by reason")
                .labelNames("reason")
                .callback(cb -> {
                    for (AdmitCounters.Reason r : AdmitCounters.Reason.values()) {
                        cb.call(admits.get(r), r.name());
                    }
                }).register(registry);
        gauge("danmaku_connections_open", "open connections", transport.open::get);
        gauge("danmaku_ring_remaining_capacity", "free ring slots", ring::remainingCapacity);
        gauge("danmaku_ring_size", "ring slots", ring::bufferSize);
        GaugeWithCallback.builder().name("danmaku_ring_fill_ratio")
                .help("ring slots in use / ring slots, sampled at scrape (1 = full: frames answered BUSY)")
                .callback(cb -> cb.call(1.0 - (double) ring.remainingCapacity() / ring.bufferSize()))
                .register(registry);
        gauge("danmaku_rooms", "rooms on this node", rooms);
        gauge("danmaku_journal_index", "index of the last committed journal document", journalIndex);
        gauge("danmaku_egress_queued", "frames queued to event loops and not yet written", egress::queued);
        histogram("danmaku_ack_latency_seconds", "frame received to ACK queued", stages.ackLatency);
        histogram("danmaku_delivery_latency_seconds", "send-to-display as the node sees it: the oldest bullet of "
                + "each broadcast batch, frame received to its first write flushed (per event loop)",
                egress.deliveryLatency);
        histogram("danmaku_stage_decode_seconds", "frame received to end of decode (sampled per ring batch)",
                stages.decodeLatency);
        histogram("danmaku_stage_admit_seconds", "frame received to end of admit (sampled per ring batch)",
                stages.admitLatency);
        histogram("danmaku_stage_journal_seconds", "frame received to journal commit (sampled per ring batch)",
                stages.journalLatency);
        histogram("danmaku_batch_delay_seconds", "oldest bullet of a batch: accepted to sealed", stages.batchDelay);
        registerSinkMetrics();
        registry.register((MultiCollector) () -> {
            List<HistogramSnapshot> snapshots = new ArrayList<>();
            for (LatencyHistogram h : histograms) {
                snapshots.add(h.snapshot());
            }
            return new MetricSnapshots(new ArrayList<>(snapshots));
        });
    }

    /**
     * Rooms by name, bounded: {@code danmaku_top_room_viewers{room}} and
     * {@code danmaku_top_room_bullets_per_second{room}} for the top {@code n} rooms of each, and
     * {@code danmaku_viewers} (all rooms). Call once at startup.
     */
    public synchronized void addRooms(java.util.function.Supplier<List<dev.danmaku.engine.stage.FanoutHandler.RoomSummary>> snapshot,
                                      int n) {
        gauge("danmaku_viewers", "viewers joined to rooms on this node (a connection in two rooms counts twice)",
                () -> {
                    long v = 0;
                    for (dev.danmaku.engine.stage.FanoutHandler.RoomSummary r : snapshot.get()) {
                        v += r.viewers();
                    }
                    return v;
                });
        if (n == 0) {
            return;
        }
        TopRooms top = new TopRooms(snapshot, System::nanoTime, n);
        topRooms = top;
        GaugeWithCallback.builder().name("danmaku_top_room_viewers")
                .help("viewers of this node's top rooms by viewers (admin.metrics-top-rooms of them)")
                .labelNames("room")
                .callback(cb -> top.byViewers().forEach(e -> cb.call(e.viewers(), Long.toString(e.room()))))
                .register(registry);
        GaugeWithCallback.builder().name("danmaku_top_room_bullets_per_second")
                .help("accepted bullets per second of this node's top rooms by that rate, between scrapes at least "
                        + "1 s apart (admin.metrics-top-rooms of them)")
                .labelNames("room")
                .callback(cb -> top.byRate().forEach(e -> cb.call(e.bulletsPerSecond(), Long.toString(e.room()))))
                .register(registry);
    }

    private TopRooms topRooms;

    // ---- journal sinks (Kafka, Redis): one series per sink, label "sink" ----
    /** What the metrics endpoint reads of one journal sink. */
    public record SinkGauges(SinkMetrics metrics, LongSupplier ageMs, LongSupplier retries) {
    }

    private final List<SinkGauges> sinks = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Adds a journal sink's series (danmaku_sink_*{sink="NAME"}); call once per sink, any thread. */
    /** Cluster mode: membership, the map, rooms moving in and out (call once at startup). */
    public void addCluster(dev.danmaku.engine.cluster.ClusterMember c, StageMetrics stages) {
        gauge("danmaku_cluster_map_version", "version of the shard map this node follows", c::mapVersion);
        gauge("danmaku_cluster_redis_up", "1 while the cluster's Redis answers", () -> c.redisOk() ? 1 : 0);
        gauge("danmaku_cluster_stale", "1 while the map is stale (Redis silent over a lease): no new rooms taken",
                () -> c.stale() ? 1 : 0);
        gauge("danmaku_cluster_outgoing_rooms", "rooms this node still has to hand over", c::outgoingCount);
        gauge("danmaku_cluster_refused_map_version", "0, or the version of an older map Redis offered and this node "
                + "refused (Redis went back in time)", c::refusedMapVersion);
        counter("danmaku_cluster_rooms_moved_out", "rooms handed over to another node", c::movedOut);
        counter("danmaku_cluster_rooms_moved_in", "rooms adopted from another node", c::movedIn);
        counter("danmaku_cluster_nodes_marked_gone", "members this node marked gone (lease expired)", c::markedGone);
        counter("danmaku_cluster_redirects", "requests answered REDIRECT", () -> stages.redirects);
        counter("danmaku_cluster_moved_sent", "MOVED frames sent to viewers", () -> stages.movedSent);
    }

    public void addSink(SinkMetrics m, LongSupplier ageMs, LongSupplier retries) {
        sinks.add(new SinkGauges(m, ageMs, retries));
    }

    /** Adds a sink whose age is derived from its metrics and whose client reports no retries of its own. */
    public void addSink(SinkMetrics m) {
        addSink(m, () -> sinkAgeMs(m), () -> 0);
    }

    private void registerSinkMetrics() {
        sinkCounter("danmaku_sink_records", "journal records written by the sink", g -> g.metrics().records.get());
        sinkCounter("danmaku_sink_batches", "sink writes (batches; rate() gives batches/s)", g -> g.metrics().batches.get());
        sinkCounter("danmaku_sink_errors", "failed sink writes (each is retried after a backoff)",
                g -> g.metrics().errors.get());
        sinkCounter("danmaku_sink_retries", "resends inside the sink's client (Kafka record retries)",
                g -> g.retries().getAsLong());
        sinkGauge("danmaku_sink_lag", "journal entries (documents) committed and not yet written by the sink",
                g -> g.metrics().lagDocuments.get());
        sinkGauge("danmaku_sink_age_seconds", "how far behind the sink is: 0 when caught up, else the age of its "
                + "last written bullet", g -> g.ageMs().getAsLong() / 1000.0);
        sinkGauge("danmaku_sink_up", "1 while the sink's backend accepts writes, 0 while it is failing",
                g -> g.metrics().failing ? 0 : 1);
    }

    private void sinkCounter(String name, String help, java.util.function.ToDoubleFunction<SinkGauges> value) {
        CounterWithCallback.builder().name(name).help(help).labelNames("sink")
                .callback(cb -> sinks.forEach(g -> cb.call(value.applyAsDouble(g), g.metrics().name())))
                .register(registry);
    }

    private void sinkGauge(String name, String help, java.util.function.ToDoubleFunction<SinkGauges> value) {
        GaugeWithCallback.builder().name(name).help(help).labelNames("sink")
                .callback(cb -> sinks.forEach(g -> cb.call(value.applyAsDouble(g), g.metrics().name())))
                .register(registry);
    }
    // ---- end journal sinks ----
    /** While a sink lags: ms since the accept time of the newest bullet it wrote; 0 when caught up. */
    public static long sinkAgeMs(dev.danmaku.engine.sink.SinkMetrics m) {
        long last = m.lastAcceptTimeMs.get();
        return m.lagDocuments.get() > 0 && last > 0 ? Math.max(0, System.currentTimeMillis() - last) : 0;
    }

    /** Exports one more counter (e.g. a subsystem's drop count). */
    public synchronized void addCounter(String name, String help, LongSupplier value) {
        counter(name, help, value);
    }

    /** Exports one more gauge. */
    public synchronized void addGauge(String name, String help, LongSupplier value) {
        gauge(name, help, value);
    }
    /** {@code danmaku_node_info{...} 1}: the settings a report needs to interpret the other metrics. */
    public void info(dev.danmaku.engine.config.NodeConfig config) {
        GaugeWithCallback.builder().name("danmaku_node_info")
                .help("node settings (value always 1): id, batch interval, ring size and threads, wait strategy")
                .labelNames("node", "batch_interval_ms", "ring_size", "stage_threads", "wait_strategy", "version")
                .callback(cb -> cb.call(1, config.get(dev.danmaku.engine.config.NodeConfig.NODE_ID),
                        Long.toString(config.get(dev.danmaku.engine.config.NodeConfig.BATCH_INTERVAL_MS)),
                        Integer.toString(config.get(dev.danmaku.engine.config.NodeConfig.RING_SIZE)),
                        config.get(dev.danmaku.engine.config.NodeConfig.RING_THREADS).name().toLowerCase(java.util.Locale.ROOT),
                        config.get(dev.danmaku.engine.config.NodeConfig.RING_WAIT).name().toLowerCase(java.util.Locale.ROOT),
                        "0.1.0"))
                .register(registry);
    }

    private void counter(String name, String help, LongSupplier value) {
        CounterWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsLong()))
                .register(registry);
    }

    private void gauge(String name, String help, LongSupplier value) {
        GaugeWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsLong()))
                .register(registry);
    }

    private void histogram(String name, String help, Recorder recorder) {
        histograms.add(new LatencyHistogram(name, help, recorder));
    }

    /** The whole registry in Prometheus text format. */
    public synchronized String scrape() throws IOException {
        if (topRooms != null) {
            topRooms.refresh();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        writer.write(out, registry.scrape(), io.prometheus.metrics.config.EscapingScheme.ALLOW_UTF8);
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The cumulative histogram behind a latency metric, ns (for tests and /health detail). */
    public synchronized Histogram cumulative(String name) {
        for (LatencyHistogram h : histograms) {
            if (h.name.equals(name)) {
                h.pull();
                return h.cumulative.copy();
            }
        }
        throw new IllegalArgumentException(name);
    }

    private static final class LatencyHistogram {
        final String name;
        final String help;
        final Recorder recorder;
        final Histogram cumulative = new Histogram(3);
        Histogram interval;

        LatencyHistogram(String name, String help, Recorder recorder) {
            this.name = name;
            this.help = help;
            this.recorder = recorder;
        }

        void pull() {
            interval = recorder.getIntervalHistogram(interval);
            cumulative.add(interval);
        }

        HistogramSnapshot snapshot() {
            pull();
            long[] counts = new long[BOUNDS.length];
            long below = 0;
            for (int i = 0; i < BOUNDS.length; i++) {
                long cumulativeCount = Double.isInfinite(BOUNDS[i]) ? cumulative.getTotalCount()
                        : cumulative.getCountBetweenValues(0, (long) (BOUNDS[i] * 1e9));
                counts[i] = cumulativeCount - below;
                below = cumulativeCount;
            }
            double sum = cumulative.getMean() * cumulative.getTotalCount() / 1e9;
            return HistogramSnapshot.builder().name(name).help(help)
                    .dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                            .classicHistogramBuckets(ClassicHistogramBuckets.of(BOUNDS, counts))
                            .sum(sum).build())
                    .build();
        }
    }
}
