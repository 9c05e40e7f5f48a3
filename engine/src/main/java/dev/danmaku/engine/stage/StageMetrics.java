package dev.danmaku.engine.stage;

import org.HdrHistogram.Recorder;

/**
 * Counters and latency recorders the ring stages update. Each field has exactly one writer (the
 * stage named in its comment). They are plain fields on purpose: a volatile store per event would
 * cost a fence on the hot path. The metrics endpoint reads them racily from another thread and may
 * see a value a few microseconds stale, never a torn one (64-bit JVM). The HdrHistogram
 * {@link Recorder}s are built for one writer and a concurrent reader. Per-stage latencies are
 * sampled once per ring batch (the batch's last event); the ACK latency records every bullet.
 */
public final class StageMetrics {
    /** Decode stage: frames that failed validation. */
    public long parseErrors;
    /** Journal stage: bullets appended. */
    public long accepted;
    /** Journal stage: documents committed. */
    public long journalCommits;
    /** Journal stage: duplicate-filter entries overwritten while still inside the window (capacity too small). */
    public long dedupEvictedLive;
    /** Journal stage: index of the last committed document. */
    public long journalIndex = -1;
    /** Fan-out stage: bullets sealed into batches (each bullet once, whatever the viewer count). */
    public long batchedBullets;
    /** Fan-out stage: batches sealed. */
    public long batches;
    /** Fan-out stage: bullet deliveries queued to viewers (bullets x viewers). */
    public long deliveries;
    /** Fan-out stage: rejects by error code (index = code). */
    public final long[] rejects = new long[600];
    /** Journal stage, cluster: requests answered REDIRECT (the room is owned or held elsewhere). */
    public long redirects;
    /** Journal stage, cluster: rooms handed over to another node. */
    public long roomsMovedOut;
    /** Journal stage, cluster: rooms adopted from another node. */
    public long roomsMovedIn;
    /** Fan-out stage, cluster: MOVED frames sent to viewers. */
    public long movedSent;
    /** Fan-out stage: events whose handler threw (skipped and counted). */
    public long stageFailures;

    /**
     * Largest latency the recorders hold, ns; {@link #latency} clamps to it. A fixed range keeps the
     * histograms from resizing (allocating) on a stage thread when a new maximum arrives.
     */
    public static final long MAX_LATENCY_NS = 60_000_000_000L;

    /** Receive (I/O thread) to ACK queued (fan-out stage), ns. */
    public final Recorder ackLatency = new Recorder(MAX_LATENCY_NS, 3);
    /** Per stage: receive to the end of that stage, ns. Written by each stage. */
    public final Recorder decodeLatency = new Recorder(MAX_LATENCY_NS, 3);
    public final Recorder admitLatency = new Recorder(MAX_LATENCY_NS, 3);
    public final Recorder journalLatency = new Recorder(MAX_LATENCY_NS, 3);
    /** Oldest bullet in a sealed batch: accept to seal, ns (the batching delay). */
    public final Recorder batchDelay = new Recorder(MAX_LATENCY_NS, 3);

    /** {@code ns} clamped to what the recorders hold: [0, {@link #MAX_LATENCY_NS}]. */
    public static long latency(long ns) {
        return Math.min(Math.max(0, ns), MAX_LATENCY_NS);
    }
}
