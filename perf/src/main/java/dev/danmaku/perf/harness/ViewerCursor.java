package dev.danmaku.perf.harness;

import dev.danmaku.codec.JoinedDecoder;
import dev.danmaku.perf.harness.Stats.Counter;

/**
 * Where one harness viewer stands in its room, across reconnects, REDIRECTs and MOVEDs: the (epoch, last
 * seq) it holds, the epoch of its latest JOINED, and per epoch the highest seq it delivered (for the loss
 * check, {@link DeliveryCheck}). It applies the receiver rules of docs/protocol.md 5.7/5.8 and counts what
 * they find; it never asks for anything (the harness resumes only on a new connection).
 *
 * <ul>
 *   <li>A BATCH in the cursor's epoch starting at last seq + 1 is delivered; past it, a gap
 *       ({@link Counter#GAPS}, {@link Counter#GAP_BULLETS}) and delivered; a head at or below last seq
 *       is duplicates ({@link Counter#DUPLICATES}), not delivered again.</li>
 *   <li>A BATCH in another epoch is continuous (a move: the sequence goes on) when it starts at exactly
 *       last seq + 1 and its epoch is not above the latest JOINED's; anything else is a discontinuous
 *       epoch change ({@link Counter#EPOCH_CHANGES}) and the cursor starts over at the batch.</li>
 *   <li>JOINED RECOVERED ({@link Counter#RESUMES}) keeps the position, even in a higher epoch (a resume
 *       from the old owner's epoch); NOT_RECOVERED ({@link Counter#NOT_RECOVERED}) moves it to next seq,
 *       counting the skipped range as a gap (same epoch) or an epoch change; a LIVE answer to a resume (a
 *       node that ignores RESUME, like the baseline) is judged like NOT_RECOVERED without counting it.</li>
 * </ul>
 *
 * <p>Owned by the event loop of the viewer's current connection; the next connection's loop takes it over
 * through the reconnect thread (an executor hand-off, so the writes are visible). {@link #lastSeq} is
 * volatile and written last, so another thread that reads it first (the final loss check after the drain)
 * sees a consistent position and epoch table. No allocation.
 */
final class ViewerCursor {
    /** Epochs whose highest delivered seq is kept; past it the lowest epoch is forgotten. */
    static final int EPOCH_SLOTS = 8;

    final int roomIndex;
    private boolean positioned;
    private long epoch;
    private volatile long lastSeq;
    private long joinedEpoch;
    /** Slot i holds epoch {@code slotEpoch[i] - 1} (0 = free) and the highest seq delivered in it. */
    private final long[] slotEpoch = new long[EPOCH_SLOTS];
    private final long[] slotSeq = new long[EPOCH_SLOTS];
    private int slot = -1;
    /** REDIRECT/MOVED hops since the last JOINED (the caller's loop guard). */
    int hops;

    ViewerCursor(int roomIndex) {
        this.roomIndex = roomIndex;
    }

    /** True once a JOINED (or a batch) fixed the position: the next JOIN is a RESUME. */
    boolean positioned() {
        return positioned;
    }

    /** The epoch of {@link #lastSeq()} (what a RESUME names). */
    long epoch() {
        return epoch;
    }

    /** The last seq held (delivered, or skipped by a NOT_RECOVERED/first JOINED). */
    long lastSeq() {
        return lastSeq;
    }

    long joinedEpoch() {
        return joinedEpoch;
    }

    /** Applies a JOINED ({@link JoinedDecoder} status codes) and counts what it says. */
    void onJoined(long joinedEpoch, int status, long nextSeq, Stats stats) {
        this.joinedEpoch = joinedEpoch;
        hops = 0;
        if (status == JoinedDecoder.STATUS_RECOVERED) {
            stats.increment(Counter.RESUMES);
        } else if (status == JoinedDecoder.STATUS_NOT_RECOVERED) {
            stats.increment(Counter.NOT_RECOVERED);
        }
        long last = lastSeq;
        if (!positioned) {
            positioned = true;
            epoch = joinedEpoch; // the first batch may continue in a lower epoch (history from before a move)
            lastSeq = nextSeq - 1;
            return;
        }
        if (status == JoinedDecoder.STATUS_RECOVERED && joinedEpoch >= epoch) {
            return; // everything after (epoch, lastSeq) follows, possibly crossing into joinedEpoch
        }
        if (joinedEpoch == epoch) {
            if (nextSeq > last + 1) {
                stats.increment(Counter.GAPS);
                stats.add(Counter.GAP_BULLETS, nextSeq - last - 1);
                lastSeq = nextSeq - 1;
            }
            return; // nextSeq <= last + 1: the head of what follows is dropped as duplicates
        }
        stats.increment(Counter.EPOCH_CHANGES);
        epoch = joinedEpoch;
        lastSeq = nextSeq - 1;
    }

    /**
     * Judges a BATCH of {@code count} bullets from {@code first} in {@code batchEpoch} and counts what it finds.
     *
     * @return how many leading bullets are duplicates (0..count); the others are delivered
     */
    int onBatch(long batchEpoch, long first, int count, Stats stats) {
        long last = first + count - 1;
        long held = lastSeq;
        if (!positioned) {
            positioned = true; // a node that sends before its JOINED: take the stream as it comes
            epoch = batchEpoch;
            joinedEpoch = Math.max(joinedEpoch, batchEpoch);
            delivered(batchEpoch, last);
            return 0;
        }
        if (batchEpoch != epoch) {
            if (first != held + 1 || batchEpoch > joinedEpoch) {
                stats.increment(Counter.EPOCH_CHANGES);
            }
            epoch = batchEpoch;
            delivered(batchEpoch, last);
            return 0;
        }
        if (first > held + 1) {
            stats.increment(Counter.GAPS);
            stats.add(Counter.GAP_BULLETS, first - held - 1);
        } else if (first <= held) {
            int dup = (int) Math.min(count, held - first + 1);
            stats.add(Counter.DUPLICATES, dup);
            if (dup == count) {
                return count;
            }
            delivered(batchEpoch, last);
            return dup;
        }
        delivered(batchEpoch, last);
        return 0;
    }

    /** Records {@code seq} as the highest delivered in {@code e}, then publishes it as the position. */
    private void delivered(long e, long seq) {
        long key = e + 1;
        int s = slot;
        if (s < 0 || slotEpoch[s] != key) {
            s = slotOf(key);
            slot = s;
        }
        if (seq > slotSeq[s]) {
            slotSeq[s] = seq;
        }
        lastSeq = seq; // volatile, last: publishes the slots and the epoch written before it
    }

    private int slotOf(long key) {
        int free = -1;
        int lowest = 0;
        for (int i = 0; i < EPOCH_SLOTS; i++) {
            if (slotEpoch[i] == key) {
                return i;
            }
            if (slotEpoch[i] == 0 && free < 0) {
                free = i;
            }
            if (slotEpoch[i] < slotEpoch[lowest]) {
                lowest = i;
            }
        }
        int s = free >= 0 ? free : lowest; // forgetting the oldest epoch can only make the loss check stricter
        slotEpoch[s] = key;
        slotSeq[s] = 0;
        return s;
    }

    /**
     * Copies the per-epoch highest delivered seqs into {@code epochs} / {@code seqs} (length
     * {@link #EPOCH_SLOTS}); returns how many. Call after {@link #lastSeq()} for a consistent view.
     */
    int delivered(long[] epochs, long[] seqs) {
        int n = 0;
        for (int i = 0; i < EPOCH_SLOTS; i++) {
            if (slotEpoch[i] != 0) {
                epochs[n] = slotEpoch[i] - 1;
                seqs[n] = slotSeq[i];
                n++;
            }
        }
        return n;
    }
}
