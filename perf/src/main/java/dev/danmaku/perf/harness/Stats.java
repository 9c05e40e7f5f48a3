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
        /** ACKs received (bullets accepted by the node), each bullet counted once */
        ACKED("accepted"),
        /**
         * first ACKs with the RETRY flag: 0 on one node (every bullet is sent once); after a REDIRECT, a bullet
         * the old owner had journaled is re-acknowledged so by the new one
         */
        ACKED_RETRY("acceptedRetry"),
        /** ACKs for bullets whose intended time is inside the measurement window */
        ACKED_MEASURED("acceptedMeasured"),
        /** bullets delivered, counted from BATCH headers, each viewer counting, duplicates not */
        DELIVERED("delivered"),
        /** bullets delivered to sampled (fully decoded) viewers */
        DELIVERED_SAMPLED("deliveredSampled"),
        /** bullets delivered (all viewers) while the receive time was inside the measurement window */
        DELIVERED_MEASURED("deliveredMeasured"),
        /** BATCH frames received, all viewers */
        BATCHES("batches"),
        /** latency samples recorded (sampled viewers, measurement window) */
        LATENCY_SAMPLES("latencySamples"),
        /** BATCH frames (or JOINED answers) that skipped past the viewer's next expected seq in its epoch */
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
        DECODE_FAILURES("decodeFailures"),
        /** JOINED RECOVERED: a viewer's resume (after a disconnect or a MOVED) was answered exactly */
        RESUMES("resumes"),
        /** JOINED NOT_RECOVERED: a viewer's resume was refused (what it missed is gone) */
        NOT_RECOVERED("notRecovered"),
        /** MOVED frames received by viewers (their room migrated; they resume at the new owner) */
        MOVED("moved"),
        /** bullets a viewer received again (seq at or below the last one of its continuous stream), not delivered */
        DUPLICATES("duplicates"),
        /**
         * epoch changes that do not continue the sequence (docs/protocol.md 5.8: a restart, a NOT_RECOVERED
         * move, an epoch no JOINED announced): the viewer's stream started over
         */
        EPOCH_CHANGES("epochChanges"),
        /** requests re-sent after ROOM_MOVING, BUSY or CLUSTER_UNAVAILABLE (by code in {@link #retried}) */
        RETRIES("retries"),
        /** REDIRECT answers followed to the owner (viewers' JOINs, senders' BULLETs) */
        REDIRECTS_FOLLOWED("redirectsFollowed"),
        /** ACKs for a bullet already acknowledged (a resend after a REDIRECT that both nodes answered) */
        ACKS_REPEATED("acksRepeated"),
        /**
         * ERRORs for a bullet already answered (a resend after a REDIRECT, refused by the new owner after the
         * old one's ACK came): the bullet's outcome is that ACK, so they are not {@link #ERRORS}
         */
        LATE_ANSWERS("lateAnswers");

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
    /** Requests re-sent after a retriable ERROR, by its code (0-999). */
    public final AtomicLongArray retried = new AtomicLongArray(1000);
    /**
     * Per room, up to {@link #ACK_EPOCHS} slots: slot (room * ACK_EPOCHS + i) holds epoch + 1 (0 = free) in
     * {@link #ackEpochs} and the highest seq ACKed in that epoch in {@link #ackSeqs}.
     */
    final AtomicLongArray ackEpochs;
    final AtomicLongArray ackSeqs;
    /** Open connections (after the WebSocket upgrade). */
    public final AtomicInteger open = new AtomicInteger();
    private final Recorder latency = new Recorder(1, MAX_LATENCY_US, 3);

    /** Epochs per room whose highest ACKed seq is kept; past it the lowest is replaced. */
    public static final int ACK_EPOCHS = 8;

    public Stats(int rooms) {
        for (int i = 0; i < counters.length; i++) {
            counters[i] = new LongAdder();
        }
        acceptedByRoom = new AtomicLongArray(rooms);
        ackEpochs = new AtomicLongArray(rooms * ACK_EPOCHS);
        ackSeqs = new AtomicLongArray(rooms * ACK_EPOCHS);
    }

    /** A request re-sent after a retriable ERROR {@code code}. */
    public void retry(int code) {
        retried.incrementAndGet(code >= 0 && code < 1000 ? code : 999);
        increment(Counter.RETRIES);
    }

    /**
     * Records an ACK's (epoch, seq) for room index {@code room} (any thread, lock-free, no allocation): the
     * highest seq per epoch, for {@link DeliveryCheck}.
     */
    public void recordAck(int room, long epoch, long seq) {
        if (room < 0 || room >= acceptedByRoom.length()) {
            return;
        }
        int base = room * ACK_EPOCHS;
        long key = epoch + 1;
        for (int i = 0; i < ACK_EPOCHS; i++) {
            long e = ackEpochs.get(base + i);
            if (e == 0 && ackEpochs.compareAndSet(base + i, 0, key)) {
                e = key;
            } else if (e == 0) {
                e = ackEpochs.get(base + i);
            }
            if (e == key) {
                max(ackSeqs, base + i, seq);
                return;
            }
        }
        // more epochs in one room than slots (many moves in one run): keep the newest; the replaced epoch's
        // bullets are no longer checked
        int lowest = base;
        for (int i = 1; i < ACK_EPOCHS; i++) {
            if (ackEpochs.get(base + i) < ackEpochs.get(lowest)) {
                lowest = base + i;
            }
        }
        long old = ackEpochs.get(lowest);
        if (old < key && ackEpochs.compareAndSet(lowest, old, key)) {
            ackSeqs.set(lowest, seq);
        }
    }

    private static void max(AtomicLongArray a, int i, long v) {
        long cur;
        while ((cur = a.get(i)) < v) {
            if (a.compareAndSet(i, cur, v)) {
                return;
            }
        }
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
