// Where a viewer stands in one joined room: (epoch, last seq) delivered to the application, and the
// rules that keep delivery exactly-once and in order across reconnects and room moves. A port of
// the Java client's RoomCursor (tools/src/main/java/dev/danmaku/tools/client/RoomCursor.java);
// the epoch continuation rule is docs/protocol.md §5.8:
//
// - a BATCH before the JOINED answering the latest JOIN is discarded (the node resends after it);
// - bullets with seq <= last seq in the current epoch are duplicates and dropped;
// - a BATCH starting past last seq + 1 is a GAP: nothing of it is delivered, the caller re-joins
//   with RESUME; the same gap right after that resume is GAP_SKIPPED and delivery continues;
// - a BATCH in another epoch is continuous when its first seq is exactly last seq + 1 and its epoch
//   is not above the latest JOINED's epoch; a JOINED RECOVERED in a higher epoch keeps the position;
// - JOINED NOT_RECOVERED and every other epoch change are reported, never silent.

/** Verdicts on a BATCH. */
export const Action = Object.freeze({ DELIVER: 'DELIVER', DROP: 'DROP', RESUME: 'RESUME' });

/** Kinds of break reported to the application. */
export const DiscontinuityKind = Object.freeze({
  GAP: 'GAP', GAP_SKIPPED: 'GAP_SKIPPED', NOT_RECOVERED: 'NOT_RECOVERED', EPOCH_CHANGED: 'EPOCH_CHANGED',
});

function discontinuity(room, kind, oldEpoch, lastSeq, newEpoch, nextSeq, resuming) {
  const missing = kind === DiscontinuityKind.EPOCH_CHANGED ? 0 : Math.max(0, nextSeq - lastSeq - 1);
  return { room, kind, oldEpoch, lastSeq, newEpoch, nextSeq, resuming, missing };
}

export class RoomCursor {
  /**
   * @param {number|bigint} room
   * @param {number} history recent bullets to ask for on the first (fresh) JOIN
   */
  constructor(room, history = 0) {
    this.room = room;
    this.history = history;
    this.positioned = false;
    this.epoch = 0;
    this.lastSeq = 0;
    this.joinedEpoch = 0;
    this.awaitingJoined = false;
    this.resumedForGap = false;
    this.duplicates = 0;
    this.discarded = 0;
  }

  /** A cursor that resumes from a saved position. */
  static resumingFrom(room, epoch, lastSeq) {
    const c = new RoomCursor(room, 0);
    c.positioned = true;
    c.epoch = epoch;
    c.lastSeq = lastSeq;
    c.joinedEpoch = epoch;
    return c;
  }

  /** Call when a JOIN for this room is written: batches are discarded until its JOINED. */
  joinSent() {
    this.awaitingJoined = true;
  }

  /** Applies a JOINED ({epoch, status: 'LIVE'|'RECOVERED'|'NOT_RECOVERED', nextSeq}); returns a break or null. */
  onJoined(joinedEpoch, status, nextSeq) {
    this.awaitingJoined = false;
    this.joinedEpoch = joinedEpoch;
    if (!this.positioned) {
      this.positioned = true;
      this.epoch = joinedEpoch;
      this.lastSeq = nextSeq - 1;
      return null;
    }
    if (joinedEpoch > this.epoch && status === 'RECOVERED') {
      return null; // resume from the old owner's epoch at the new owner: the replay may begin in our epoch
    }
    if (joinedEpoch !== this.epoch) {
      const d = discontinuity(this.room, DiscontinuityKind.EPOCH_CHANGED, this.epoch, this.lastSeq, joinedEpoch, nextSeq, false);
      this.epoch = joinedEpoch;
      this.lastSeq = nextSeq - 1;
      this.resumedForGap = false;
      return d;
    }
    if (status === 'RECOVERED' || nextSeq <= this.lastSeq + 1) {
      return null;
    }
    const d = discontinuity(this.room, DiscontinuityKind.NOT_RECOVERED, this.epoch, this.lastSeq, this.epoch, nextSeq, false);
    this.lastSeq = nextSeq - 1;
    this.resumedForGap = false;
    return d;
  }

  /**
   * Judges a BATCH of `count` bullets from `firstSeq` in `batchEpoch`: {action, skip, discontinuity}.
   * For DELIVER the cursor has already advanced to the batch's last sequence.
   */
  onBatch(batchEpoch, firstSeq, count) {
    if (this.awaitingJoined || !this.positioned) {
      this.discarded += count;
      return { action: Action.DROP, skip: 0, discontinuity: null };
    }
    const last = firstSeq + count - 1;
    if (batchEpoch !== this.epoch && firstSeq === this.lastSeq + 1 && batchEpoch <= this.joinedEpoch) {
      this.epoch = batchEpoch;
      this.lastSeq = last;
      this.resumedForGap = false;
      return { action: Action.DELIVER, skip: 0, discontinuity: null };
    }
    if (batchEpoch !== this.epoch) {
      const d = discontinuity(this.room, DiscontinuityKind.EPOCH_CHANGED, this.epoch, this.lastSeq, batchEpoch, firstSeq, false);
      this.epoch = batchEpoch;
      this.lastSeq = last;
      this.resumedForGap = false;
      return { action: Action.DELIVER, skip: 0, discontinuity: d };
    }
    if (firstSeq > this.lastSeq + 1) {
      if (!this.resumedForGap) {
        this.resumedForGap = true;
        this.awaitingJoined = true;
        this.discarded += count;
        return {
          action: Action.RESUME, skip: 0,
          discontinuity: discontinuity(this.room, DiscontinuityKind.GAP, this.epoch, this.lastSeq, this.epoch, firstSeq, true),
        };
      }
      const d = discontinuity(this.room, DiscontinuityKind.GAP_SKIPPED, this.epoch, this.lastSeq, this.epoch, firstSeq, false);
      this.lastSeq = last;
      this.resumedForGap = false;
      return { action: Action.DELIVER, skip: 0, discontinuity: d };
    }
    if (last <= this.lastSeq) {
      this.duplicates += count;
      return { action: Action.DROP, skip: 0, discontinuity: null };
    }
    const skip = this.lastSeq + 1 - firstSeq;
    this.duplicates += skip;
    this.lastSeq = last;
    this.resumedForGap = false;
    return { action: Action.DELIVER, skip, discontinuity: null };
  }
}
