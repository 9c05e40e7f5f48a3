package dev.danmaku.engine.cluster;

import org.agrona.collections.Long2LongHashMap;

import java.util.concurrent.TimeUnit;

/**
 * How long the phases of this node's room moves take, summed per round (a round ends when nothing
 * is in flight): for rooms leaving, release to sealed (the ring), sealed to document written (the
 * Redis sink and Redis), written to installed at the new owner; for rooms arriving, announced to
 * installed here. Logged once per round, so an operator sees where a slow rebalance spends its time.
 * Cluster thread only.
 */
final class HandoverTimes {
    static final int RELEASED = 0;
    static final int SEALED = 1;
    static final int WRITTEN = 2;
    static final int INSTALLED_THERE = 3;
    static final int ANNOUNCED = 4;
    static final int INSTALLED_HERE = 5;
    private static final String[] PHASE = {"", "release to sealed", "sealed to written", "written to installed there",
        "", "announced to installed here"};

    private final Long2LongHashMap[] since = {new Long2LongHashMap(Long.MIN_VALUE), new Long2LongHashMap(Long.MIN_VALUE),
        new Long2LongHashMap(Long.MIN_VALUE), null, new Long2LongHashMap(Long.MIN_VALUE), null};
    private final long[] sum = new long[PHASE.length];
    private final long[] max = new long[PHASE.length];
    private final long[] count = new long[PHASE.length];

    /** {@code room} reached {@code phase} at {@code nanos}. */
    void mark(long room, int phase, long nanos) {
        if (phase != RELEASED && phase != ANNOUNCED) {
            Long2LongHashMap from = since[phase - 1];
            long start = from.remove(room);
            if (start != Long.MIN_VALUE) {
                long d = nanos - start;
                sum[phase] += d;
                max[phase] = Math.max(max[phase], d);
                count[phase]++;
            }
        }
        if (since[phase] != null && since[phase].size() < 100_000) {
            since[phase].put(room, nanos);
        }
    }

    /** Forgets {@code room} (its move went no further here). */
    void forget(long room) {
        for (Long2LongHashMap m : since) {
            if (m != null) {
                m.remove(room);
            }
        }
    }

    /** True if rooms were timed and none is in flight: the round's summary is due. */
    boolean roundDone(boolean inFlight) {
        return !inFlight && (count[SEALED] > 0 || count[INSTALLED_HERE] > 0);
    }

    /** One line for the log, and a new round. */
    String summary() {
        StringBuilder b = new StringBuilder();
        for (int p = 0; p < PHASE.length; p++) {
            if (count[p] == 0) {
                continue;
            }
            b.append(b.isEmpty() ? "" : "; ").append(PHASE[p]).append(' ').append(count[p]).append(" rooms, avg ")
                    .append(TimeUnit.NANOSECONDS.toMillis(sum[p] / count[p])).append(" ms, max ")
                    .append(TimeUnit.NANOSECONDS.toMillis(max[p])).append(" ms");
            sum[p] = 0;
            max[p] = 0;
            count[p] = 0;
        }
        return b.toString();
    }
}
