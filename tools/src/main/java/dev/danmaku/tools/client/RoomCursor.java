package dev.danmaku.tools.client;

import dev.danmaku.codec.JoinedDecoder;

/**
 * Where a viewer stands in one joined room: the (epoch, last seq) delivered to the application,
 * and the rules that keep delivery exactly-once and in order across reconnects and room moves.
 *
 * <ul>
 *   <li>A BATCH before the JOINED that answers the latest JOIN is discarded: after that JOINED the
 *       node (re)sends everything from its next seq, so nothing discarded is lost.</li>
 *   <li>Bullets with seq &lt;= last seq in the current epoch are duplicates and dropped.</li>
 *   <li>A BATCH starting past last seq + 1 is a {@link Discontinuity.Kind#GAP}: nothing of it is
 *       delivered and the caller re-joins with RESUME. If the same gap shows again right after that
 *       resume (the node broke its RECOVERED promise), it is reported as
 *       {@link Discontinuity.Kind#GAP_SKIPPED} and delivery continues, so a broken node cannot make
 *       the client loop.</li>
 *   <li>Epochs across a move (docs/protocol.md 5.8): the new owner continues the sequence under a
 *       higher epoch. A BATCH in another epoch is <em>continuous</em> (delivered, nothing reported)
 *       when its first seq is exactly last seq + 1 and its epoch is not above the epoch of the latest
 *       JOINED; the cursor then takes the batch's epoch. A JOINED RECOVERED in a higher epoch than the
 *       cursor's (a resume from the old owner's epoch at the new owner) keeps the cursor's
 *       (epoch, last seq) and only records the JOINED's epoch: the replay that follows may begin in
 *       the old epoch and cross into the new one. A fresh JOINED positions the cursor at its next
 *       seq in its epoch, and the first batch may fix a lower epoch by the same rule (history from
 *       before a move).</li>
 *   <li>JOINED NOT_RECOVERED and every other epoch change (a restart of the numbering, a jump, an
 *       epoch above the latest JOINED's) are reported, never silent.</li>
 * </ul>
 *
 * <p>Owned by the client's event loop thread; not thread-safe.
 */
public final class RoomCursor {
    /** What to do with a BATCH. */
    public enum Action {
        /** Deliver the bullets after the first {@link Step#skip()} (which are duplicates). */
        DELIVER,
        /** Drop the whole batch (all duplicates, or a JOINED is awaited). */
        DROP,
        /** Deliver nothing and re-join with RESUME ({@link Step#discontinuity()} says from where). */
        RESUME
    }

    /**
     * The verdict on one BATCH.
     *
     * @param action        what to do
     * @param skip          leading bullets to drop as duplicates when delivering
     * @param discontinuity a break to report first, or null
     */
    public record Step(Action action, int skip, Discontinuity discontinuity) {
        static final Step DROP_ALL = new Step(Action.DROP, 0, null);
    }

    private final long room;
    private final int history;
    private boolean positioned;
    private long epoch;
    private long lastSeq;
    /** The epoch of the latest JOINED (0 before any): the highest epoch a batch may continue into. */
    private long joinedEpoch;
    private boolean awaitingJoined;
    private boolean resumedForGap;
    private long duplicates;
    private long discarded;

    /**
     * @param room    room id (u64)
     * @param history recent bullets to ask for on the first (fresh) JOIN, 0-10,000
     */
    public RoomCursor(long room, int history) {
        this.room = room;
        this.history = history;
    }

    /** A cursor that resumes from a known position (e.g. a position the application saved). */
    public static RoomCursor resumingFrom(long room, long epoch, long lastSeq) {
        RoomCursor c = new RoomCursor(room, 0);
        c.positioned = true;
        c.epoch = epoch;
        c.lastSeq = lastSeq;
        c.joinedEpoch = epoch;
        return c;
    }

    public long room() {
        return room;
    }

    /** True once a JOINED has fixed the position: the next JOIN is a RESUME. */
    public boolean positioned() {
        return positioned;
    }

    /**
     * The epoch of {@link #lastSeq()}: what a RESUME names. Right after a fresh JOINED it is the JOINED's
     * epoch until the first batch (which may continue in a lower epoch, see the class comment).
     */
    public long epoch() {
        return epoch;
    }

    /** The last sequence delivered to the application in {@link #epoch()} (0 = none yet). */
    public long lastSeq() {
        return lastSeq;
    }

    /** The epoch of the latest JOINED (for a saved position: its epoch), 0 before any. */
    public long joinedEpoch() {
        return joinedEpoch;
    }

    /** History to ask for on a fresh JOIN. */
    public int history() {
        return history;
    }

    public boolean awaitingJoined() {
        return awaitingJoined;
    }

    /** Bullets dropped as duplicates. */
    public long duplicates() {
        return duplicates;
    }

    /** Bullets discarded while a JOINED was awaited (the node sends them again after it). */
    public long discarded() {
        return discarded;
    }

    /** Call when a JOIN for this room is written: batches are discarded until its JOINED. */
    public void joinSent() {
        awaitingJoined = true;
    }

    /**
     * Applies the node's JOINED.
     *
     * @param joinedEpoch the room's epoch
     * @param status      {@link JoinedDecoder#STATUS_LIVE}, {@code _RECOVERED} or {@code _NOT_RECOVERED}
     * @param nextSeq     first sequence the node will send
     * @return the break to report, or null
     */
    public Discontinuity onJoined(long joinedEpoch, int status, long nextSeq) {
        awaitingJoined = false;
        this.joinedEpoch = joinedEpoch;
        if (!positioned) {
            // nextSeq - 1 may belong to an older epoch (history from before a move): the first batch's
            // epoch replaces this one if it continues at nextSeq (onBatch's rule).
            positioned = true;
            epoch = joinedEpoch;
            lastSeq = nextSeq - 1;
            return null;
        }
        if (joinedEpoch > epoch && status == JoinedDecoder.STATUS_RECOVERED) {
            // A resume from the old owner's epoch, answered by the new owner: every bullet after lastSeq
            // follows, the first ones possibly still in our epoch. Keep the position; a lie shows up as a
            // gap or an epoch jump in the next batch.
            return null;
        }
        if (joinedEpoch != epoch) {
            Discontinuity d = new Discontinuity(room, Discontinuity.Kind.EPOCH_CHANGED, epoch, lastSeq, joinedEpoch,
                    nextSeq, false);
            epoch = joinedEpoch;
            lastSeq = nextSeq - 1;
            resumedForGap = false;
            return d;
        }
        if (status == JoinedDecoder.STATUS_RECOVERED || nextSeq <= lastSeq + 1) {
            // Every bullet after lastSeq follows (a node resending some we hold is harmless: dropped as duplicates);
            // a RECOVERED that then skips shows up as a gap in the next batch.
            return null;
        }
        Discontinuity d = new Discontinuity(room, Discontinuity.Kind.NOT_RECOVERED, epoch, lastSeq, epoch, nextSeq,
                false);
        lastSeq = nextSeq - 1;
        resumedForGap = false;
        return d;
    }

    /**
     * Judges a BATCH of {@code count} consecutive bullets starting at {@code firstSeq} in {@code batchEpoch}.
     * For {@link Action#DELIVER} the cursor has already advanced to the batch's last sequence.
     */
    public Step onBatch(long batchEpoch, long firstSeq, int count) {
        if (awaitingJoined || !positioned) {
            discarded += count;
            return Step.DROP_ALL;
        }
        long last = firstSeq + count - 1;
        if (batchEpoch != epoch && firstSeq == lastSeq + 1 && batchEpoch <= joinedEpoch) {
            // continuous across a move: the sequence goes on, in an epoch the node has announced
            epoch = batchEpoch;
            lastSeq = last;
            resumedForGap = false;
            return new Step(Action.DELIVER, 0, null);
        }
        if (batchEpoch != epoch) {
            Discontinuity d = new Discontinuity(room, Discontinuity.Kind.EPOCH_CHANGED, epoch, lastSeq, batchEpoch,
                    firstSeq, false);
            epoch = batchEpoch;
            lastSeq = last;
            resumedForGap = false;
            return new Step(Action.DELIVER, 0, d);
        }
        if (firstSeq > lastSeq + 1) {
            if (!resumedForGap) {
                resumedForGap = true;
                awaitingJoined = true;
                discarded += count;
                return new Step(Action.RESUME, 0,
                        new Discontinuity(room, Discontinuity.Kind.GAP, epoch, lastSeq, epoch, firstSeq, true));
            }
            Discontinuity d = new Discontinuity(room, Discontinuity.Kind.GAP_SKIPPED, epoch, lastSeq, epoch, firstSeq,
                    false);
            lastSeq = last;
            resumedForGap = false;
            return new Step(Action.DELIVER, 0, d);
        }
        if (last <= lastSeq) {
            duplicates += count;
            return Step.DROP_ALL;
        }
        int skip = (int) (lastSeq + 1 - firstSeq);
        duplicates += skip;
        lastSeq = last;
        resumedForGap = false;
        return new Step(Action.DELIVER, skip, null);
    }
}
