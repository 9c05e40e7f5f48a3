package dev.danmaku.engine.stage;

import dev.danmaku.codec.ErrorCode;
import dev.danmaku.codec.FrameType;
import dev.danmaku.engine.filter.AdmitCounters;
import dev.danmaku.engine.filter.DuplicateFilter;
import dev.danmaku.engine.ring.RingEvent;
import dev.danmaku.engine.ring.Stage;
import dev.danmaku.engine.cluster.ClusterLink;
import dev.danmaku.engine.cluster.Epochs;
import dev.danmaku.engine.cluster.HandoffDocument;
import dev.danmaku.engine.cluster.Ownership;
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
 * <p>In a cluster ({@link #cluster}) it is also where ownership is decided, because it owns room
 * existence: a request for a room it does not hold is answered from the current
 * {@link Ownership} (REDIRECT, ROOM_MOVING, CLUSTER_UNAVAILABLE, or handled as for an unknown room),
 * a map change lists the held rooms this node no longer owns for the cluster thread, a RELEASE
 * event stops sequencing a room (journaled) so the fan-out stage can hand it over, and an INSTALL
 * event adopts a handed-over room under a new epoch that continues its sequence.
 *
 * <p>Owned by its stage thread; rooms' sequencing state lives only here. Allocation-free in steady
 * state (cluster events allocate; they are rare).
 */
public final class JournalHandler implements Stage {
    /** Where sequenced records go; implemented over the Chronicle journal. */
    public interface Appender {
        /** Buffers one bullet record (fields and UTF-8 ranges of {@code e.frame}); false if the document is full. */
        boolean appendBullet(RingEvent e);

        /** Buffers one room-created record; false if the document is full. */
        boolean appendRoom(long roomId, long epoch, long timeMs);

        /** Buffers a room-released record (cluster: the room left this node); false if the document is full. */
        boolean appendReleased(long roomId, long epoch, long lastSequence, long timeMs);

        /**
         * Buffers a room-adopted record (cluster: the room came from another node; {@code exact}: by a
         * handoff, else rebuilt from the sinks); false if the document is full.
         */
        boolean appendAdopted(long roomId, long epoch, long baseSequence, long previousEpoch, boolean exact, long timeMs);

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

    /** Cluster mode: the current ownership (null on a single node), and where to tell the cluster thread. */
    private Ownership ownership;
    private ClusterLink link;
    private long lastUnknownLogMs = Long.MIN_VALUE / 2;
    private long outgoingVersion = -1;
    /**
     * Rooms released here whose handoff is still on its way to the new owner: until the cluster
     * thread says the new owner installed it, this node answers ROOM_MOVING rather than REDIRECT,
     * because the new owner may still see the room in this node's outgoing set and would send the
     * client back here, a ping-pong that exhausts a client's redirect budget. Every ownership the
     * cluster thread publishes after a release lists the room until then (it publishes both, in
     * order), so a room is never taken as installed too early.
     */
    private final org.agrona.collections.LongHashSet handing = new org.agrona.collections.LongHashSet();
    /** Rooms this stage asked the cluster thread to look for in the sinks (since the last ownership). */
    private final org.agrona.collections.LongHashSet probed = new org.agrona.collections.LongHashSet();
    private final long dedupWindowMs;

    public JournalHandler(Appender journal, DuplicateFilter dedup, AdmitCounters counters, EpochClock epochClock,
                          NanoClock nanoClock, int maxRooms, StageMetrics metrics) {
        this.journal = journal;
        this.dedup = dedup;
        this.counters = counters;
        this.epochClock = epochClock;
        this.nanoClock = nanoClock;
        this.maxRooms = maxRooms;
        this.metrics = metrics;
        this.dedupWindowMs = dedup.windowMs();
    }

    /**
     * Turns on cluster mode before the ring starts: until the first map arrives every request is
     * answered CLUSTER_UNAVAILABLE (held rooms too: they may have been taken over while this node
     * was down).
     */
    public void cluster(String self, ClusterLink link) {
        this.ownership = Ownership.unknown(self);
        this.link = link;
    }

    /** Restores a room's state from the journal at startup (before the ring starts). */
    public void recoverRoom(long roomId, long epoch, long lastSequence) {
        epochs.put(roomId, epoch);
        lastSequences.put(roomId, lastSequence);
    }

    /** Forgets a room at startup: the journal says it left this node (before the ring starts). */
    public void forgetRoom(long roomId) {
        epochs.remove(roomId);
        lastSequences.remove(roomId);
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
        if (e.kind != RingEvent.KIND_FRAME) {
            if (e.kind >= RingEvent.KIND_CLUSTER && ownership != null) {
                onCluster(e);
            }
            return;
        }
        if (e.status == 0) {
            if (failed && (e.type == FrameType.BULLET.code() || e.type == FrameType.CREATE_ROOM.code())) {
                e.reject(ErrorCode.INTERNAL.code(), 1000);
                return;
            }
            if (ownership != null && !ownership.known() && e.type != FrameType.LEAVE.code()) {
                e.reject(ErrorCode.CLUSTER_UNAVAILABLE.code(), 1000);
                return;
            }
            if (e.type == FrameType.BULLET.code()) {
                sequence(e);
            } else if (e.type == FrameType.CREATE_ROOM.code()) {
                create(e);
            } else if (e.type == FrameType.CHECK_ROOM.code() || e.type == FrameType.JOIN.code()) {
                e.epoch = epochs.get(e.roomId);
                e.sequence = Math.max(0, lastSequences.get(e.roomId));
                if (e.epoch == 0 && ownership != null) {
                    notHeld(e);
                }
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
            if (ownership == null || notHeld(e)) {
                e.reject(ErrorCode.ROOM_NOT_FOUND.code(), 0);
            }
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
            if (ownership != null && !notHeld(e)) {
                return;
            }
            if (epochs.size() >= maxRooms) {
                e.reject(ErrorCode.TOO_MANY_ROOMS.code(), 1000);
                return;
            }
            e.epoch = ownership == null ? 1 : ownership.termEpoch();
            if (!append(e, false)) {
                return;
            }
            epoch = e.epoch;
            epochs.put(e.roomId, epoch);
            lastSequences.put(e.roomId, 0);
            e.created = true;
        }
        e.epoch = epoch;
        e.sequence = lastSequences.get(e.roomId);
    }

    // ---- cluster ---------------------------------------------------------------------------------

    /**
     * A request for a room not held here, in cluster mode: REDIRECT (sets
     * {@link RingEvent#redirectAddress}), ROOM_MOVING or CLUSTER_UNAVAILABLE (rejects); returns true
     * only if this node owns the room and may handle it as a room it does not know (create it, or
     * answer ROOM_NOT_FOUND / not exists).
     */
    private boolean notHeld(RingEvent e) {
        switch (ownership.decide(e.roomId)) {
            case Ownership.OWN -> {
                if (e.type != FrameType.CREATE_ROOM.code() && e.type != FrameType.CHECK_ROOM.code()
                        && nowMs - lastUnknownLogMs >= 1000) {
                    // Rare in a healthy cluster (a client asking for a room nobody has): say where it stood.
                    lastUnknownLogMs = nowMs;
                    org.slf4j.LoggerFactory.getLogger(JournalHandler.class).info(
                            "room {}: owned here and held nowhere ({}): ROOM_NOT_FOUND to a {}",
                            Long.toUnsignedString(e.roomId), ownership, FrameType.of(e.type));
                }
                return true;
            }
            case Ownership.REDIRECT -> {
                if (handing.contains(e.roomId)) {
                    e.reject(ErrorCode.ROOM_MOVING.code(), 100);
                    return false;
                }
                String address = ownership.address(e.roomId);
                if (address != null) {
                    e.redirectAddress = address;
                    metrics.redirects++;
                } else {
                    e.reject(ErrorCode.CLUSTER_UNAVAILABLE.code(), 1000);
                }
                return false;
            }
            case Ownership.MOVING -> {
                e.reject(ErrorCode.ROOM_MOVING.code(), 200);
                return false;
            }
            case Ownership.PROBE -> {
                // Its owner died: the cluster thread looks for it in the sinks; the sender retries.
                if (probed.add(e.roomId)) {
                    link.probe(e.roomId);
                }
                e.reject(ErrorCode.ROOM_MOVING.code(), 100);
                return false;
            }
            default -> {
                e.reject(ErrorCode.CLUSTER_UNAVAILABLE.code(), 1000);
                return false;
            }
        }
    }

    private void onCluster(RingEvent e) {
        switch (e.kind) {
            case RingEvent.KIND_CLUSTER -> onOwnership((Ownership) e.payload, e);
            case RingEvent.KIND_RELEASE -> release(e);
            case RingEvent.KIND_INSTALL -> install(e, (HandoffDocument) e.payload);
            default -> {
            }
        }
    }

    /**
     * A new map: gone from it, give up every room (journaled, no handoff: the others took them);
     * otherwise, once per map version, list the held rooms this node no longer owns.
     */
    private void onOwnership(Ownership next, RingEvent e) {
        ownership = next;
        followHandoffs(next);
        probed.clear(); // the cluster thread keeps its own record of what it is looking for
        if (next.dropHeld()) {
            long[] rooms = heldRooms();
            for (long room : rooms) {
                releaseRoom(room);
            }
            e.payload = next;
            if (rooms.length > 0) {
                org.slf4j.LoggerFactory.getLogger(JournalHandler.class).warn(
                        "this node is gone in map version {}: gave up its {} rooms without handing them over",
                        next.version(), rooms.length);
            }
            link.dropped(rooms, rooms.length); // also when none: the cluster thread waits for it to rejoin
            outgoingVersion = next.version();
            return;
        }
        if (next.version() == outgoingVersion || next.stale()) {
            return;
        }
        outgoingVersion = next.version();
        long[] out = new long[epochs.size()];
        int n = 0;
        Long2LongHashMap.KeyIterator it = epochs.keySet().iterator();
        while (it.hasNext()) {
            long room = it.nextValue();
            if (!next.owns(room)) {
                out[n++] = room;
            }
        }
        link.outgoing(next.version(), out, n);
    }

    /** Rooms released here that {@code next} no longer lists as on their way are installed at their new owner. */
    private void followHandoffs(Ownership next) {
        if (handing.isEmpty()) {
            return;
        }
        org.agrona.collections.LongHashSet.LongIterator it = handing.iterator();
        while (it.hasNext()) {
            if (!next.handing(it.nextValue())) {
                it.remove();
            }
        }
    }

    private long[] heldRooms() {
        long[] rooms = new long[epochs.size()];
        int n = 0;
        Long2LongHashMap.KeyIterator it = epochs.keySet().iterator();
        while (it.hasNext()) {
            rooms[n++] = it.nextValue();
        }
        return rooms;
    }

    /** Stops sequencing {@code room} (journaled); false if the journal refused (the room stays). */
    private boolean releaseRoom(long room) {
        long epoch = epochs.get(room);
        long last = Math.max(0, lastSequences.get(room));
        if (!journal.appendReleased(room, epoch, last, nowMs)) {
            commit();
            if (failed || !journal.appendReleased(room, epoch, last, nowMs)) {
                return false;
            }
        }
        epochs.remove(room);
        lastSequences.remove(room);
        return true;
    }

    /**
     * Hands {@code e.roomId} over if it is held and owned elsewhere: the fan-out stage (next) then
     * seals its last batch, sends MOVED and writes the handoff document. Sets epoch, sequence (last),
     * redirect address, payload (the new owner's id) and timestamp (the map version) for it.
     */
    private void release(RingEvent e) {
        long room = e.roomId;
        long epoch = epochs.get(room);
        if (epoch == 0 || ownership.owns(room)) {
            e.roomId = 0;
            link.releaseSkipped(room);
            return;
        }
        dev.danmaku.router.Member owner = ownership.map().owner(room);
        long last = Math.max(0, lastSequences.get(room));
        // Still held, and not to be let go now: out of the outgoing set it would look handed over
        // with no document, and its new owner would take it for a room that does not exist.
        if (ownership.stale() || failed || owner == null || !releaseRoom(room)) {
            e.roomId = 0;
            link.releaseDeferred(room);
            return;
        }
        handing.add(room); // at most the outgoing set's size; the next ownerships clear it
        e.epoch = epoch;
        e.sequence = last;
        e.redirectAddress = owner.address();
        e.payload = owner.id();
        e.timestamp = ownership.version();
        metrics.roomsMovedOut++;
    }

    /**
     * Adopts a handed-over room: a new epoch above the old one that continues its sequence
     * (journaled), and the duplicate window's entries for its recent bullets, so a retry of a bullet
     * the old owner acknowledged gets its original ACK here. Sets epoch and sequence (the base) for
     * the fan-out stage, or roomId 0 if the room is already held.
     */
    private void install(RingEvent e, HandoffDocument doc) {
        long room = doc.room();
        if (epochs.get(room) != 0 || failed) {
            e.roomId = 0;
            link.installed(room, false);
            return;
        }
        long epoch = Epochs.adopted(doc.epoch(), ownership.version());
        long base = doc.lastSequence();
        boolean exact = !doc.restored();
        if (!journal.appendAdopted(room, epoch, base, doc.epoch(), exact, nowMs)) {
            commit();
            if (failed || !journal.appendAdopted(room, epoch, base, doc.epoch(), exact, nowMs)) {
                e.roomId = 0;
                link.installed(room, false);
                return;
            }
        }
        epochs.put(room, epoch);
        lastSequences.put(room, base);
        for (int i = 0; i < doc.historyCount(); i++) {
            long ts = doc.entryTimestamp(i);
            if (nowMs - ts > dedupWindowMs + 1000) {
                continue; // sent (by the sender's clock) well before the window: no retry of it can still come
            }
            // The accept time is not handed over: the sender's timestamp, clamped into the window, stands in.
            long accepted = Math.min(nowMs, Math.max(ts, nowMs - dedupWindowMs));
            dedup.record(doc.entryUser(i), ts, doc.entries(), doc.entryContentOffset(i), doc.entryContentLength(i),
                    accepted, (int) doc.entryEpoch(i), doc.firstSequence() + i);
        }
        e.epoch = epoch;
        e.sequence = base;
        metrics.roomsMovedIn++;
        link.installed(room, true);
    }

    /** The current ownership (cluster mode), or null. Journal stage thread. */
    public Ownership ownership() {
        return ownership;
    }

    /** Rooms known to the sequencer. */
    public int roomCount() {
        return epochs.size();
    }
}
