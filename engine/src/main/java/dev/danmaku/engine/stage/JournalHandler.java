package dev.danmaku.engine.stage;

import dev.danmaku.codec.ErrorCode;
import dev.danmaku.codec.FrameType;
import dev.danmaku.engine.filter.AdmitCounters;
import dev.danmaku.engine.filter.DuplicateFilter;
import dev.danmaku.engine.ring.RingEvent;
import dev.danmaku.engine.ring.Stage;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.NanoClock;

/**
 * Stage 3: sequencing and the journal. For each admitted bullet: duplicate suppression (a retry of a
 * journaled bullet gets its original epoch and sequence back, flagged RETRY; the same content with
 * a new timestamp inside the window is DUPLICATE), then the room's next sequence in its epoch and an
 * append to the journal. CREATE_ROOM creates the room here (journaled) so that sequencing and room
 * existence have one owner. At the end of each ring batch everything appended is committed as one
 * journal document, before the fan-out stage (which runs after this one) acknowledges or delivers
 * any of it: ACK = journaled.
 *
 * <p>Owned by its stage thread; rooms' sequencing state lives only here. Allocation-free in steady
 * state.
 */
public final class JournalHandler implements Stage {
    /** Where sequenced records go; implemented over the Chronicle journal. */
    public interface Appender {
        /** Buffers one bullet record (fields and UTF-8 ranges of {@code e.frame}); false if the document is full. */
        boolean appendBullet(RingEvent e);

        /** Buffers one room-created record; false if the document is full. */
        boolean appendRoom(long roomId, long epoch, long timeMs);

        /** Writes everything buffered as one document; returns its index, or -1 if nothing was buffered. */
        long commit();
    }

    private final Appender journal;
    private final DuplicateFilter dedup;
    private final AdmitCounters counters;
    private final EpochClock epochClock;
    private final NanoClock nanoClock;
    private final StageMetrics metrics;
    private final int maxRooms;
    /** room -> epoch; a room exists iff it has an entry. */
    private final Long2LongHashMap epochs = new Long2LongHashMap(0);
    /** room -> last assigned sequence (0 = none yet; -1 = unknown room, never stored). */
    private final Long2LongHashMap lastSequences = new Long2LongHashMap(-1);

    /** Events sequenced since the last commit: failed together if the commit fails. */
    private final RingEvent[] uncommitted = new RingEvent[dev.danmaku.engine.ring.EngineWiring.MAX_RING_BATCH];
    private int uncommittedCount;
    /** Set when the journal failed: from then on nothing is accepted (fail-stop; ACK = journaled). */
    private volatile boolean failed;

    private long nowMs;
    private boolean clockFresh;

    public JournalHandler(Appender journal, DuplicateFilter dedup, AdmitCounters counters, EpochClock epochClock,
                          NanoClock nanoClock, int maxRooms, StageMetrics metrics) {
        this.journal = journal;
        this.dedup = dedup;
        this.counters = counters;
        this.epochClock = epochClock;
        this.nanoClock = nanoClock;
        this.maxRooms = maxRooms;
        this.metrics = metrics;
    }

    /** Restores a room's state from the journal at startup (before the ring starts). */
    public void recoverRoom(long roomId, long epoch, long lastSequence) {
        epochs.put(roomId, epoch);
        lastSequences.put(roomId, lastSequence);
    }

    /** Restores a bullet's duplicate/retry entry at startup, if it is still inside the window. */
    public DuplicateFilter dedup() {
        return dedup;
    }

    @Override
    public void onEvent(RingEvent e) {
        if (!clockFresh) {
            nowMs = epochClock.time();
            clockFresh = true;
        }
        if (e.kind == RingEvent.KIND_FRAME && e.status == 0) {
            if (failed && (e.type == FrameType.BULLET.code() || e.type == FrameType.CREATE_ROOM.code())) {
                e.reject(ErrorCode.INTERNAL.code(), 1000);
                return;
            }
            if (e.type == FrameType.BULLET.code()) {
                sequence(e);
            } else if (e.type == FrameType.CREATE_ROOM.code()) {
                create(e);
            } else if (e.type == FrameType.CHECK_ROOM.code() || e.type == FrameType.JOIN.code()) {
                e.epoch = epochs.get(e.roomId);
                e.sequence = Math.max(0, lastSequences.get(e.roomId));
            }
        }
    }

    /**
     * Computes every bullet's duplicate-filter key, then touches all their buckets back to back (see
     * {@link Stage#prefetch}): two passes, so that no hashing sits between the loads and the CPU can
     * have many of them in flight at once.
     */
    @Override
    public void prefetch(RingEvent[] events, int count) {
        for (int i = 0; i < count; i++) {
            RingEvent e = events[i];
            if (e.kind == RingEvent.KIND_FRAME && e.status == 0 && e.type == FrameType.BULLET.code()) {
                e.dedupKey = DuplicateFilter.hash(e.userId, e.frame, e.contentOffset, e.contentLength);
                e.keyed = true;
            }
        }
        for (int i = 0; i < count; i++) {
            RingEvent e = events[i];
            if (e.keyed) {
                dedup.prefetch(e.dedupKey);
            }
        }
    }

    @Override
    public void onEndOfBatch(RingEvent last) {
        commit();
        metrics.dedupEvictedLive = dedup.evictedLiveCount();
        clockFresh = false;
        metrics.journalLatency.recordValue(StageMetrics.latency(nanoClock.nanoTime() - last.receivedNanos));
    }

    /** Commits the document; on failure every event in it is answered INTERNAL and the stage fail-stops. */
    private void commit() {
        try {
            long index = journal.commit();
            if (index >= 0) {
                metrics.journalCommits++;
                metrics.journalIndex = index;
                for (int i = 0; i < uncommittedCount; i++) {
                    uncommitted[i].journalIndex = index;
                }
            }
        } catch (RuntimeException ex) {
            failed = true;
            for (int i = 0; i < uncommittedCount; i++) {
                uncommitted[i].reject(ErrorCode.INTERNAL.code(), 1000);
                uncommitted[i].status = ErrorCode.INTERNAL.code();
            }
            org.slf4j.LoggerFactory.getLogger(JournalHandler.class)
                    .error("journal commit failed; this node accepts no more bullets until restarted", ex);
        }
        for (int i = 0; i < uncommittedCount; i++) {
            uncommitted[i] = null;
        }
        uncommittedCount = 0;
    }

    /** True once the journal failed (health reports down). */
    public boolean failed() {
        return failed;
    }

    /**
     * Appends {@code e} (a sequenced bullet, or a room creation) to the current document, committing
     * the document first if it is full. Returns false, with {@code e} rejected, if the journal failed.
     */
    private boolean append(RingEvent e, boolean bullet) {
        if (uncommittedCount == uncommitted.length || !tryAppend(e, bullet)) {
            commit();
            if (failed || !tryAppend(e, bullet)) {
                e.reject(ErrorCode.INTERNAL.code(), 1000);
                return false;
            }
        }
        uncommitted[uncommittedCount++] = e;
        return true;
    }

    private boolean tryAppend(RingEvent e, boolean bullet) {
        return bullet ? journal.appendBullet(e) : journal.appendRoom(e.roomId, e.epoch, nowMs);
    }

    private void sequence(RingEvent e) {
        long epoch = epochs.get(e.roomId);
        if (epoch == 0) {
            e.reject(ErrorCode.ROOM_NOT_FOUND.code(), 0);
            return;
        }
        long key = e.keyed ? e.dedupKey : DuplicateFilter.hash(e.userId, e.frame, e.contentOffset, e.contentLength);
        int verdict = dedup.checkHashed(key, e.timestamp, nowMs);
        if (verdict == DuplicateFilter.DUPLICATE) {
            counters.increment(AdmitCounters.Reason.DUPLICATE);
            e.reject(ErrorCode.DUPLICATE.code(), 0);
            return;
        }
        if (verdict == DuplicateFilter.RETRY) {
            counters.increment(AdmitCounters.Reason.RETRY);
            e.retry = true;
            e.epoch = dedup.retryEpoch() & 0xFFFF_FFFFL;
            e.sequence = dedup.retrySequence();
            return;
        }
        long seq = lastSequences.get(e.roomId) + 1;
        e.epoch = epoch;
        e.sequence = seq;
        e.acceptedAtMs = nowMs;
        if (!append(e, true)) {
            return;
        }
        lastSequences.put(e.roomId, seq);
        // The key of the check above (FRESH, nothing checked since): no second hash, and its bucket is in cache.
        dedup.recordChecked(e.timestamp, nowMs, (int) epoch, seq);
        metrics.accepted++;
    }

    private void create(RingEvent e) {
        long epoch = epochs.get(e.roomId);
        if (epoch == 0) {
            if (epochs.size() >= maxRooms) {
                e.reject(ErrorCode.TOO_MANY_ROOMS.code(), 1000);
                return;
            }
            e.epoch = 1;
            if (!append(e, false)) {
                return;
            }
            epoch = 1;
            epochs.put(e.roomId, epoch);
            lastSequences.put(e.roomId, 0);
            e.created = true;
        }
        e.epoch = epoch;
        e.sequence = lastSequences.get(e.roomId);
    }

    /** Rooms known to the sequencer. */
    public int roomCount() {
        return epochs.size();
    }
}
