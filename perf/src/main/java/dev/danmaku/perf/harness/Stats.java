package dev.danmaku.perf.harness;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one generator process counts. Written by the event loops and the schedule (any thread:
 * {@link LongAdder}s, an HdrHistogram {@link Recorder}), read once a second by the progress thread
 * and once at the end.
 *
 * <p>Latency is recorded in microseconds: viewer receive time minus the bullet's timestamp, which
 * the harness sets to the bullet's <em>intended</em> send time from the fixed schedule (so a late
 * generator shows up as latency: coordinated omission is corrected). The protocol's timestamp is in
 * milliseconds, so every value is an upper bound by less than 1 ms.
 */
public final class Stats {
    /** Highest recordable latency, us (1 hour). */
    public static final long MAX_LATENCY_US = 3_600_000_000L;

    /** The counters, by name in the report. */
    public enum Counter {
        /** bullets whose intended send time has passed (the offered load) */
        OFFERED("offered"),
        /** bullets written to a sender connection */
        SENT("sent"),
        /** bullets not sent because the sender's connection was closed or over its write-buffer mark */
        UNSENT("unsent"),
        /** ACKs received (bullets accepted by the node) */
        ACKED("accepted"),
        /** ACKs with the RETRY flag (should be 0: every bullet is sent once) */
        ACKED_RETRY("acceptedRetry"),
        /** ACKs for bullets whose intended time is inside the measurement window */
        ACKED_MEASURED("acceptedMeasured"),
        /** bullets delivered, counted from BATCH headers, each viewer counting */
        DELIVERED("delivered"),
        /** bullets delivered to sampled (fully decoded) viewers */
        DELIVERED_SAMPLED("deliveredSampled"),
        /** bullets delivered (all viewers) while the receive time was inside the measurement window */
        DELIVERED_MEASURED("deliveredMeasured"),
        /** BATCH frames received, all viewers */
        BATCHES("batches"),
        /** latency samples recorded (sampled viewers, measurement window) */
        LATENCY_SAMPLES("latencySamples"),
        /** BATCH frames whose first seq was not the viewer's next expected seq */
        GAPS("gaps"),
        /** sequences skipped by those gaps */
        GAP_BULLETS("gapBullets"),
        /** connections the node (or the network) closed while the run was on */
        DISCONNECTS("disconnects"),
        /** connections re-opened after a disconnect */
        RECONNECTS("reconnects"),
        /** connection attempts that failed (refused, handshake timeout) */
        CONNECT_FAILURES("connectFailures"),
        /** ERROR frames received, all codes (by code in {@link #errors}) */
        ERRORS("errors"),
        /** BATCH frames a sampled viewer could not decode */
        DECODE_FAILURES("decodeFailures");

        public final String key;

        Counter(String key) {
            this.key = key;
        }
    }

    private final LongAdder[] counters = new LongAdder[Counter.values().length];
    /** ERROR frames by protocol error code (0-999). */
    public final AtomicLongArray errors = new AtomicLongArray(1000);
    /** ACKs by room index. */
    public final AtomicLongArray acceptedByRoom;
    /** Open connections (after the WebSocket upgrade). */
    public final AtomicInteger open = new AtomicInteger();
    private final Recorder latency = new Recorder(1, MAX_LATENCY_US, 3);

    public Stats(int rooms) {
        for (int i = 0; i < counters.length; i++) {
            counters[i] = new LongAdder();
        }
        acceptedByRoom = new AtomicLongArray(rooms);
    }

    public void add(Counter c, long n) {
        counters[c.ordinal()].add(n);
    }

    public void increment(Counter c) {
        counters[c.ordinal()].increment();
    }

    public long get(Counter c) {
        return counters[c.ordinal()].sum();
    }

    public void error(int code) {
        errors.incrementAndGet(code >= 0 && code < 1000 ? code : 999);
        increment(Counter.ERRORS);
    }

    /** Records one latency, us (negative values, clock steps, count as 0). */
    public void recordLatencyUs(long us) {
        latency.recordValue(Math.min(Math.max(0, us), MAX_LATENCY_US));
    }

    /** The latencies recorded since the last call (the recorder's interval histogram). */
    public Histogram intervalLatency(Histogram recycle) {
        return latency.getIntervalHistogram(recycle);
    }
}
