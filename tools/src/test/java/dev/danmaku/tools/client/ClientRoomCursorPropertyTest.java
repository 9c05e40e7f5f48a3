package dev.danmaku.tools.client;

import dev.danmaku.codec.JoinedDecoder;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Seeded properties of {@link RoomCursor} across room moves (docs/protocol.md 5.8): a room whose stream
 * crosses 0-3 migration epoch boundaries (the sequence continuing, each new epoch higher), watched by a
 * viewer that joins with history, loses its connection or is MOVED at random points and resumes with
 * RESUME, receives every seq exactly once with no discontinuity; the same stream with a real gap or a
 * restart of the numbering is always reported. Each trial's seed is printed on failure; the base seed is
 * {@code -Ddanmaku.seed=N}.
 */
class ClientRoomCursorPropertyTest {
    private static final long BASE_SEED = Long.getLong("danmaku.seed", 0x5EED_C0A5_0001L);
    private static final int TRIALS = 2_000;
    private static final long ROOM = 9001;

    /** What the node sends, in order. */
    private interface Event {
    }

    /** The viewer wrote a JOIN (fresh or RESUME). */
    private record JoinSent() implements Event {
    }

    private record Joined(long epoch, int status, long nextSeq) implements Event {
    }

    /**
     * A BATCH; {@code stale} ones arrive before the JOINED of a pending JOIN and must be discarded;
     * {@code exact} ones start at exactly the viewer's next seq.
     */
    private record Batch(long epoch, long first, int count, boolean stale, boolean exact) implements Event {
    }

    /** A room's whole history: bullets 1..total, the epoch of each, the moves. */
    private static final class Room {
        final long total;
        /** boundaries[k]: the room moved once this many bullets were published; epochs[k + 1] starts after it. */
        final long[] boundaries;
        final long[] epochs;

        Room(SplittableRandom r) {
            total = 20 + r.nextInt(300);
            int moves = r.nextInt(4);
            TreeSet<Long> b = new TreeSet<>();
            while (b.size() < moves) {
                b.add(1 + r.nextLong(total - 1));
            }
            boundaries = b.stream().mapToLong(Long::longValue).toArray();
            epochs = new long[moves + 1];
            epochs[0] = 1 + r.nextInt(5);
            for (int k = 1; k <= moves; k++) {
                // the engine's epochs jump by map terms (version * 256 + 1); any increase will do
                epochs[k] = epochs[k - 1] + 1 + (r.nextBoolean() ? r.nextInt(3) : 256L * (1 + r.nextInt(4)));
            }
        }

        /** The epoch bullet {@code seq} was sequenced in. */
        long epochOf(long seq) {
            int k = 0;
            while (k < boundaries.length && boundaries[k] < seq) {
                k++;
            }
            return epochs[k];
        }

        /** The owner's epoch once {@code published} bullets exist (a move happens right after its boundary). */
        long ownerEpoch(long published) {
            int k = 0;
            while (k < boundaries.length && boundaries[k] <= published) {
                k++;
            }
            return epochs[k];
        }

        /** The first move after {@code published}, or total. */
        long nextMove(long published) {
            for (long b : boundaries) {
                if (b > published) {
                    return b;
                }
            }
            return total;
        }
    }

    /** A generated run: the events and the seqs a correct cursor delivers. */
    private record Run(List<Event> events, long firstDelivered, long lastDelivered) {
    }

    /** Splits seqs from..to into batches that never span an epoch, of random sizes. */
    private static void batches(Room room, long from, long to, SplittableRandom r, List<Event> out) {
        long s = from;
        while (s <= to) {
            long epoch = room.epochOf(s);
            long end = Math.min(to, s + r.nextInt(8));
            while (room.epochOf(end) != epoch) {
                end--;
            }
            out.add(new Batch(epoch, s, (int) (end - s + 1), false, true));
            s = end + 1;
        }
    }

    private static Run generate(Room room, SplittableRandom r) {
        List<Event> ev = new ArrayList<>();
        long published = r.nextLong(room.total / 3 + 1);
        int history = r.nextInt(25);
        long nextSeq = Math.max(1, published - history + 1);
        long freshEpoch = room.ownerEpoch(published);
        ev.add(new JoinSent());
        if (r.nextBoolean() && published > 0) {
            ev.add(new Batch(room.epochOf(published), published, 1, true, false)); // before the first JOINED
        }
        ev.add(new Joined(freshEpoch, JoinedDecoder.STATUS_LIVE, nextSeq));
        batches(room, nextSeq, published, r, ev);
        while (true) {
            // live at the current owner, up to its move at most (then MOVED) or to a random disconnect; the last
            // batches of a dying connection may never arrive
            long end = Math.min(room.nextMove(published), published + 1 + r.nextInt(60));
            int lost = end < room.total && r.nextInt(3) == 0 ? r.nextInt((int) Math.min(6, end - published) + 1) : 0;
            batches(room, published + 1, end - lost, r, ev);
            long delivered = end - lost;
            if (end == room.total && lost == 0) {
                break;
            }
            // the room goes on while the viewer is away, possibly across more moves; then it resumes
            published = Math.min(room.total, end + r.nextInt(80));
            long cursorEpoch = delivered >= nextSeq ? room.epochOf(delivered) : freshEpoch;
            ev.add(new JoinSent());
            if (r.nextInt(4) == 0) {
                ev.add(new Batch(room.epochOf(end), end, 1, true, false)); // in flight before the resume's JOINED
            }
            ev.add(new Joined(room.ownerEpoch(published), JoinedDecoder.STATUS_RECOVERED, delivered + 1));
            long from = delivered + 1;
            int overlap = r.nextInt(3);
            if (overlap > 0 && delivered >= nextSeq) {
                // a node that resends a few bullets the viewer holds, within its epoch: dropped as duplicates
                long start = Math.max(nextSeq, delivered - overlap + 1);
                while (room.epochOf(start) != cursorEpoch) {
                    start++;
                }
                long stop = Math.min(published, delivered + r.nextInt(3));
                while (room.epochOf(stop) != cursorEpoch) {
                    stop--;
                }
                ev.add(new Batch(cursorEpoch, start, (int) (stop - start + 1), false, false));
                from = stop + 1;
            }
            batches(room, from, published, r, ev);
            if (published == room.total) {
                break;
            }
        }
        return new Run(ev, nextSeq, room.total);
    }

    /** Feeds the events to a fresh cursor; returns the delivered seqs and adds the breaks reported to {@code breaks}. */
    private static List<Long> feed(Room room, List<Event> events, List<Discontinuity> breaks, String where) {
        RoomCursor c = new RoomCursor(ROOM, 25);
        List<Long> delivered = new ArrayList<>();
        for (Event e : events) {
            if (e instanceof JoinSent) {
                c.joinSent();
            } else if (e instanceof Joined j) {
                Discontinuity d = c.onJoined(j.epoch(), j.status(), j.nextSeq());
                if (d != null) {
                    breaks.add(d);
                }
            } else if (e instanceof Batch b) {
                RoomCursor.Step s = c.onBatch(b.epoch(), b.first(), b.count());
                if (b.stale() && s.action() != RoomCursor.Action.DROP) {
                    fail(where + ": a batch before the JOINED was not discarded: " + b);
                }
                if (s.discontinuity() != null) {
                    breaks.add(s.discontinuity());
                }
                if (s.action() == RoomCursor.Action.DELIVER) {
                    for (int i = s.skip(); i < b.count(); i++) {
                        delivered.add(b.first() + i);
                    }
                }
            }
        }
        return delivered;
    }

    @Test
    void shouldDeliverEverySeqOnceWithoutADiscontinuityAcrossMovesAndResumes() {
        int crossedMoves = 0;
        int resumedAcrossEpochs = 0;
        for (int trial = 0; trial < TRIALS; trial++) {
            long seed = BASE_SEED + trial;
            String where = "seed=" + seed + " trial=" + trial + " (rerun with -Ddanmaku.seed=" + BASE_SEED + ")";
            SplittableRandom r = new SplittableRandom(seed);
            Room room = new Room(r);
            Run run = generate(room, r);
            List<Discontinuity> breaks = new ArrayList<>();
            List<Long> delivered = feed(room, run.events(), breaks, where);
            assertThat(breaks).as(where + " events " + run.events()).isEmpty();
            List<Long> expected = new ArrayList<>();
            for (long s = run.firstDelivered(); s <= run.lastDelivered(); s++) {
                expected.add(s);
            }
            assertThat(delivered).as(where + " events " + run.events()).isEqualTo(expected);
            crossedMoves += room.epochOf(run.firstDelivered()) != room.epochOf(run.lastDelivered()) ? 1 : 0;
            long joinedAbove = run.events().stream().filter(e -> e instanceof Joined j
                    && j.status() == JoinedDecoder.STATUS_RECOVERED && j.epoch() != room.epochOf(j.nextSeq() - 1)).count();
            resumedAcrossEpochs += joinedAbove > 0 ? 1 : 0;
        }
        // the generator really exercises the rule: streams across moves, resumes answered in a newer epoch
        assertThat(crossedMoves).isGreaterThan(TRIALS / 4);
        assertThat(resumedAcrossEpochs).isGreaterThan(TRIALS / 10);
    }

    @Test
    void shouldAlwaysReportARealGapEvenAcrossAnEpochBoundary() {
        int crossing = 0;
        for (int trial = 0; trial < TRIALS; trial++) {
            long seed = BASE_SEED + trial;
            String where = "seed=" + seed + " trial=" + trial;
            SplittableRandom r = new SplittableRandom(seed);
            Room room = new Room(r);
            Run run = generate(room, r);
            List<Event> ev = new ArrayList<>(run.events());
            // drop the head of one batch after the first JOINED: those seqs never reach the viewer
            List<Integer> candidates = new ArrayList<>();
            boolean joined = false;
            for (int i = 0; i < ev.size(); i++) {
                if (ev.get(i) instanceof Joined) {
                    joined = true;
                } else if (joined && ev.get(i) instanceof Batch b && b.exact() && b.count() >= 2) {
                    candidates.add(i);
                }
            }
            if (candidates.isEmpty()) {
                continue;
            }
            int at = candidates.get(r.nextInt(candidates.size()));
            Batch b = (Batch) ev.get(at);
            int cut = 1 + r.nextInt(b.count() - 1);
            ev.set(at, new Batch(b.epoch(), b.first() + cut, b.count() - cut, false, true));
            if (at > 0 && ev.get(at - 1) instanceof Batch prev && prev.epoch() != b.epoch()) {
                crossing++;
            }
            List<Discontinuity> breaks = new ArrayList<>();
            List<Long> delivered = feed(room, ev, breaks, where);
            assertThat(breaks).as(where + ": a gap of " + cut + " at " + b + " was not reported").isNotEmpty();
            // nothing past the gap was delivered before the break was reported: the missing seqs are not silently
            // skipped (they may be delivered later only if a resume filled them, which this node never does)
            assertThat(delivered).as(where).doesNotHaveDuplicates();
        }
        assertThat(crossing).as("some gaps sit on an epoch boundary").isPositive();
    }

    @Test
    void shouldAlwaysReportARestartOfTheNumbering() {
        for (int trial = 0; trial < TRIALS; trial++) {
            long seed = BASE_SEED + trial;
            String where = "seed=" + seed + " trial=" + trial;
            SplittableRandom r = new SplittableRandom(seed);
            Room room = new Room(r);
            Run run = generate(room, r);
            List<Event> ev = new ArrayList<>(run.events());
            // at some point after the first JOINED, the node restarts without history: a higher epoch from seq 1,
            // announced either by nothing (the next batch) or by a NOT_RECOVERED/LIVE answer to a resume
            int first = 0;
            while (!(ev.get(first) instanceof Joined)) {
                first++;
            }
            int at = first + 1 + r.nextInt(ev.size() - first);
            long maxEpoch = room.epochs[room.epochs.length - 1];
            long restarted = maxEpoch + 1 + r.nextInt(3);
            List<Event> tail = new ArrayList<>();
            int how = r.nextInt(3);
            int lastJoin = -1;
            int lastJoined = -1;
            for (int i = 0; i < at; i++) {
                lastJoin = ev.get(i) instanceof JoinSent ? i : lastJoin;
                lastJoined = ev.get(i) instanceof Joined ? i : lastJoined;
            }
            if (how == 0 && lastJoin > lastJoined) {
                how = 1 + r.nextInt(2); // a batch while a JOINED is awaited is rightly discarded: announce the restart
            }
            if (how > 0) {
                tail.add(new JoinSent());
                tail.add(new Joined(restarted, how == 1 ? JoinedDecoder.STATUS_NOT_RECOVERED
                        : JoinedDecoder.STATUS_LIVE, 1));
            }
            tail.add(new Batch(restarted, 1, 1 + r.nextInt(4), false, true));
            List<Event> mutated = new ArrayList<>(ev.subList(0, at));
            mutated.addAll(tail);
            List<Discontinuity> breaks = new ArrayList<>();
            feed(room, mutated, breaks, where);
            assertThat(breaks).as(where + ": a restart to epoch " + restarted + " (" + how + ") was not reported")
                    .extracting(Discontinuity::kind).contains(Discontinuity.Kind.EPOCH_CHANGED);
        }
    }
}
