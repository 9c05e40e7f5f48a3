package dev.danmaku.perf.harness;

import dev.danmaku.codec.JoinedDecoder;
import dev.danmaku.perf.harness.Stats.Counter;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** The harness viewer's bookkeeping: gaps, duplicates, resumes and epochs across moves (docs/protocol.md 5.8). */
class ViewerCursorTest {
    private static final long BASE_SEED = Long.getLong("danmaku.seed", 0x5EED_7E41_0001L);

    private final Stats stats = new Stats(1);

    private ViewerCursor joined(long epoch, long nextSeq) {
        ViewerCursor c = new ViewerCursor(0);
        c.onJoined(epoch, JoinedDecoder.STATUS_LIVE, nextSeq, stats);
        return c;
    }

    private long[] delivered(ViewerCursor c, long epoch) {
        long[] e = new long[ViewerCursor.EPOCH_SLOTS];
        long[] s = new long[ViewerCursor.EPOCH_SLOTS];
        int n = c.delivered(e, s);
        for (int i = 0; i < n; i++) {
            if (e[i] == epoch) {
                return new long[] {s[i]};
            }
        }
        return new long[0];
    }

    @Test
    void shouldDeliverAContinuousStreamWithoutCountingAnything() {
        ViewerCursor c = joined(3, 10);
        assertThat(c.positioned()).isTrue();
        assertThat(c.onBatch(3, 10, 5, stats)).isZero();
        assertThat(c.onBatch(3, 15, 1, stats)).isZero();
        assertThat(c.lastSeq()).isEqualTo(15);
        assertThat(stats.get(Counter.GAPS) + stats.get(Counter.DUPLICATES) + stats.get(Counter.EPOCH_CHANGES)).isZero();
        assertThat(delivered(c, 3)).containsExactly(15);
    }

    @Test
    void shouldCountAGapAndGoOn() {
        ViewerCursor c = joined(3, 10);
        c.onBatch(3, 10, 2, stats);
        assertThat(c.onBatch(3, 15, 1, stats)).isZero();
        assertThat(stats.get(Counter.GAPS)).isEqualTo(1);
        assertThat(stats.get(Counter.GAP_BULLETS)).isEqualTo(3);
        assertThat(c.lastSeq()).isEqualTo(15);
    }

    @Test
    void shouldCountDuplicatesSeparatelyAndNotDeliverThemAgain() {
        ViewerCursor c = joined(3, 1);
        c.onBatch(3, 1, 5, stats);
        assertThat(c.onBatch(3, 2, 2, stats)).as("all duplicates").isEqualTo(2);
        assertThat(c.onBatch(3, 4, 4, stats)).as("a head of two duplicates").isEqualTo(2);
        assertThat(stats.get(Counter.DUPLICATES)).isEqualTo(4);
        assertThat(stats.get(Counter.GAPS)).isZero();
        assertThat(c.lastSeq()).isEqualTo(7);
    }

    @Test
    void shouldResumeAcrossAMoveWithoutADiscontinuity() {
        ViewerCursor c = joined(3, 1);
        c.onBatch(3, 1, 41, stats);
        c.onJoined(1027, JoinedDecoder.STATUS_RECOVERED, 42, stats); // the new owner, a much higher epoch
        assertThat(c.epoch()).isEqualTo(3);
        assertThat(c.lastSeq()).isEqualTo(41);
        assertThat(c.onBatch(3, 42, 3, stats)).isZero(); // the old epoch's tail, replayed by the new owner
        assertThat(c.onBatch(1027, 45, 2, stats)).isZero();
        assertThat(stats.get(Counter.RESUMES)).isEqualTo(1);
        assertThat(stats.get(Counter.EPOCH_CHANGES) + stats.get(Counter.GAPS)).isZero();
        assertThat(c.epoch()).isEqualTo(1027);
        assertThat(delivered(c, 3)).containsExactly(44);
        assertThat(delivered(c, 1027)).containsExactly(46);
    }

    @Test
    void shouldCountAnEpochChangeThatRestartsOrJumpsTheSequence() {
        ViewerCursor c = joined(3, 1);
        c.onBatch(3, 1, 10, stats);
        c.onJoined(4, JoinedDecoder.STATUS_RECOVERED, 11, stats);
        c.onBatch(4, 1, 3, stats); // a restart of the numbering
        assertThat(stats.get(Counter.EPOCH_CHANGES)).isEqualTo(1);
        c.onBatch(5, 4, 1, stats); // continues the sequence, but no JOINED announced epoch 5
        assertThat(stats.get(Counter.EPOCH_CHANGES)).isEqualTo(2);
    }

    @Test
    void shouldCountANotRecoveredResumeAndWhatItSkipped() {
        ViewerCursor c = joined(3, 1);
        c.onBatch(3, 1, 10, stats);
        c.onJoined(3, JoinedDecoder.STATUS_NOT_RECOVERED, 20, stats);
        assertThat(stats.get(Counter.NOT_RECOVERED)).isEqualTo(1);
        assertThat(stats.get(Counter.GAPS)).isEqualTo(1);
        assertThat(stats.get(Counter.GAP_BULLETS)).isEqualTo(9);
        assertThat(c.lastSeq()).isEqualTo(19);
        c.onJoined(9, JoinedDecoder.STATUS_NOT_RECOVERED, 1, stats); // a move whose owner could not prove it
        assertThat(stats.get(Counter.EPOCH_CHANGES)).isEqualTo(1);
        assertThat(c.epoch()).isEqualTo(9);
        assertThat(c.lastSeq()).isZero();
    }

    @Test
    void shouldJudgeALiveAnswerToAResumeLikeTheBaselineDoes() {
        ViewerCursor c = joined(1, 1);
        c.onBatch(1, 1, 5, stats);
        c.onJoined(1, JoinedDecoder.STATUS_LIVE, 9, stats); // the node ignored RESUME: 6..8 are gone
        assertThat(stats.get(Counter.GAP_BULLETS)).isEqualTo(3);
        assertThat(stats.get(Counter.RESUMES) + stats.get(Counter.NOT_RECOVERED)).isZero();
    }

    @Test
    void shouldLetTheFirstBatchAfterAFreshJoinContinueInAnOlderEpoch() {
        ViewerCursor c = joined(1027, 38);
        assertThat(c.onBatch(3, 38, 4, stats)).isZero();
        assertThat(c.onBatch(1027, 42, 1, stats)).isZero();
        assertThat(stats.get(Counter.EPOCH_CHANGES)).isZero();
    }

    @Test
    void shouldKeepTheNewestEpochsWhenThereAreMoreThanItsSlots() {
        ViewerCursor c = joined(1, 1);
        long seq = 1;
        for (long e = 1; e <= ViewerCursor.EPOCH_SLOTS + 3; e++) {
            c.onJoined(e, JoinedDecoder.STATUS_RECOVERED, seq, stats);
            c.onBatch(e, seq, 2, stats);
            seq += 2;
        }
        assertThat(delivered(c, ViewerCursor.EPOCH_SLOTS + 3)).containsExactly(seq - 1);
        assertThat(delivered(c, 1)).as("the oldest epoch was forgotten").isEmpty();
        assertThat(stats.get(Counter.EPOCH_CHANGES)).isZero();
    }

    /**
     * A seeded property: a room's stream crossing 0-3 moves (higher epochs, the sequence continuing), watched
     * by a viewer that reconnects at random points (losing the last batches of the dying connection) and
     * resumes RECOVERED at the owner of the moment, possibly with a few duplicates resent: no gap, no epoch
     * change, the duplicates exactly counted, every bullet delivered once; the same stream with a hole is
     * always reported.
     */
    @Test
    void shouldCountNoBreakAcrossMovesAndResumesAndAlwaysCountAHole() {
        for (int trial = 0; trial < 1_000; trial++) {
            long seed = BASE_SEED + trial;
            String where = "seed=" + seed + " trial=" + trial + " (base -Ddanmaku.seed=" + BASE_SEED + ")";
            for (boolean hole : new boolean[] {false, true}) {
                SplittableRandom r = new SplittableRandom(seed);
                Stats s = new Stats(1);
                long total = 30 + r.nextInt(300);
                TreeSet<Long> moves = new TreeSet<>();
                int k = r.nextInt(4);
                while (moves.size() < k) {
                    moves.add(1 + r.nextLong(total - 1));
                }
                List<Long> b = new ArrayList<>(moves);
                long[] epochs = new long[k + 1];
                epochs[0] = 1 + r.nextInt(3);
                for (int i = 1; i <= k; i++) {
                    epochs[i] = epochs[i - 1] + 1 + r.nextInt(600);
                }
                long holeAt = hole ? 2 + r.nextLong(total - 2) : -1;
                ViewerCursor c = new ViewerCursor(0);
                c.onJoined(epochs[0], JoinedDecoder.STATUS_LIVE, 1, s);
                long held = 0;
                long delivered = 0;
                long expectDuplicates = 0;
                while (held < total) {
                    long published = Math.min(total, held + 1 + r.nextInt(40));
                    if (held == 0 && !b.isEmpty()) {
                        published = Math.min(published, b.get(0)); // the first owner serves until its move
                    }
                    // the owner of the moment: after every move at or below 'published'
                    int m = 0;
                    while (m < b.size() && b.get(m) <= published) {
                        m++;
                    }
                    if (held > 0) {
                        c.onJoined(epochs[m], JoinedDecoder.STATUS_RECOVERED, held + 1, s);
                        int overlap = r.nextInt(3);
                        long from = Math.max(1, held - overlap + 1);
                        if (!hole && overlap > 0 && epochOf(b, epochs, from) == epochOf(b, epochs, held)) {
                            long dup = held - from + 1;
                            expectDuplicates += dup;
                            assertThat(c.onBatch(epochOf(b, epochs, held), from, (int) dup, s)).as(where).isEqualTo((int) dup);
                        }
                    }
                    long seq = held + 1;
                    long until = published - (r.nextInt(3) == 0 ? r.nextInt((int) (published - held)) : 0);
                    while (seq <= until) {
                        long e = epochOf(b, epochs, seq);
                        long end = Math.min(until, seq + r.nextInt(6));
                        while (epochOf(b, epochs, end) != e) {
                            end--;
                        }
                        long first = seq;
                        int count = (int) (end - seq + 1);
                        if (holeAt >= first && holeAt <= end) {
                            if (holeAt == first) {
                                first++;
                                count--;
                            } else {
                                count = (int) (holeAt - first); // stop before the hole
                                end = holeAt;
                            }
                            holeAt = -1;
                        }
                        if (count > 0) {
                            delivered += count - c.onBatch(e, first, count, s);
                        }
                        seq = end + 1;
                    }
                    held = until;
                }
                long breaks = s.get(Counter.GAPS) + s.get(Counter.EPOCH_CHANGES);
                if (hole) {
                    assertThat(breaks).as(where + ": a hole must be counted").isPositive();
                } else {
                    assertThat(breaks).as(where).isZero();
                    assertThat(s.get(Counter.DUPLICATES)).as(where).isEqualTo(expectDuplicates);
                    assertThat(delivered).as(where + ": every seq once").isEqualTo(total);
                    assertThat(c.lastSeq()).isEqualTo(total);
                    assertThat(c.epoch()).isEqualTo(epochs[k]);
                }
            }
        }
    }

    private static long epochOf(List<Long> moves, long[] epochs, long seq) {
        int k = 0;
        while (k < moves.size() && moves.get(k) < seq) {
            k++;
        }
        return epochs[k];
    }
}
