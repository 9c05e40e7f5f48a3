package dev.danmaku.engine.sink;

import java.util.concurrent.atomic.AtomicLong;

/** One sink's counters and gauges; written by its tailer thread, read by the metrics endpoint. */
public final class SinkMetrics {
    final String name;
    /** Records written to the backend. */
    public final AtomicLong records = new AtomicLong();
    /** Batches written. */
    public final AtomicLong batches = new AtomicLong();
    /** Failed writes (each is retried). */
    public final AtomicLong errors = new AtomicLong();
    /** Journal document of the last record written, or -1. */
    public final AtomicLong lastDocument = new AtomicLong(-1);
    /** Accept time (node clock, ms) of the last bullet written, or 0. */
    public final AtomicLong lastAcceptTimeMs = new AtomicLong();
    /** Journal documents committed and not yet written (updated by the tailer; 0 when caught up). */
    public final AtomicLong lagDocuments = new AtomicLong();
    /** True while the backend is unreachable or failing. */
    public volatile boolean failing;
    /** The last failure, for /health. */
    public volatile String lastError = "";

    public SinkMetrics(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }
}
