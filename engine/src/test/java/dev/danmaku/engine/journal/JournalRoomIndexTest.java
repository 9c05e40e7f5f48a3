package dev.danmaku.engine.journal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link RoomJournalIndex}: checkpoint rule, bound, and a randomized check against a brute-force model. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class JournalRoomIndexTest {
    @Test
    void shouldCheckpointTheFirstBulletOfEachEpochAndEveryKthSequence() {
        final RoomJournalIndex index = new RoomJournalIndex(4, 100);
        for (long seq = 3; seq <= 12; seq++) {
            index.record(7, 1, seq, seq * 10);
        }
        // checkpoints: 3 (first seen), 4, 8, 12
        assertThat(index.checkpoints(7)).isEqualTo(4);
        assertThat(index.seekIndex(7, 1, 2)).isEqualTo(RoomJournalIndex.START);
        assertThat(index.seekIndex(7, 1, 3)).isEqualTo(30);
        assertThat(index.seekIndex(7, 1, 7)).isEqualTo(40);
        assertThat(index.seekIndex(7, 1, 8)).isEqualTo(80);
        assertThat(index.seekIndex(7, 1, 1_000)).isEqualTo(120);
        index.record(7, 2, 1, 130);
        assertThat(index.seekIndex(7, 2, 1)).isEqualTo(130);
        assertThat(index.seekIndex(7, 1, 1_000)).as("older epoch").isEqualTo(120);
        index.record(7, 1, 16, 140);
        assertThat(index.checkpoints(7)).as("an older epoch after a newer one is ignored").isEqualTo(5);
        assertThat(index.seekIndex(8, 1, 5)).as("unknown room").isEqualTo(RoomJournalIndex.START);
        assertThat(index.oldestSequence(7, 1)).isEqualTo(3);
        index.removeRoom(7);
        assertThat(index.rooms()).isZero();
    }

    @Test
    void shouldDropTheOldestCheckpointsPastTheCap() {
        final RoomJournalIndex index = new RoomJournalIndex(1, 8);
        for (long seq = 1; seq <= 100; seq++) {
            index.record(1, 1, seq, seq);
        }
        assertThat(index.checkpoints(1)).isEqualTo(8);
        assertThat(index.droppedCheckpoints()).isEqualTo(92);
        assertThat(index.oldestSequence(1, 1)).isEqualTo(93);
        assertThat(index.seekIndex(1, 1, 92)).isEqualTo(RoomJournalIndex.START);
        assertThat(index.seekIndex(1, 1, 93)).isEqualTo(93);
        assertThat(index.seekIndex(1, 1, 100)).isEqualTo(100);
    }

    @Test
    void shouldAlwaysSeekToTheLastCheckpointAtOrBeforeThePosition() {
        final long seed = JournalTesting.SEED;
        System.out.println("JournalRoomIndexTest seed=" + seed + " (override with -Ddanmaku.seed)");
        final SplittableRandom random = new SplittableRandom(seed);
        for (int trial = 0; trial < 200; trial++) {
            final int interval = 1 + random.nextInt(16);
            final int cap = 2 + random.nextInt(40);
            final RoomJournalIndex index = new RoomJournalIndex(interval, cap);
            // model: all positions of the room with their document index, in journal order
            final TreeMap<Long, Long> model = new TreeMap<>();
            long epoch = 1;
            long seq = 0;
            long doc = 0;
            final int bullets = 1 + random.nextInt(2_000);
            for (int i = 0; i < bullets; i++) {
                if (random.nextInt(300) == 0) {
                    epoch++;
                    seq = 0;
                }
                seq++;
                doc += random.nextInt(3);
                model.put(epoch << 32 | seq, doc);
                index.record(1, epoch, seq, doc);
            }
            for (int q = 0; q < 200; q++) {
                final long qe = 1 + random.nextLong(epoch);
                final long qs = 1 + random.nextLong(seq + 50);
                final long key = qe << 32 | qs;
                final long found = index.seekIndex(1, qe, qs);
                final Long exact = model.floorKey(key) == null ? null : model.get(model.floorKey(key));
                if (found == RoomJournalIndex.START) {
                    continue; // always correct, only slower
                }
                assertThat(exact).as("seed=%d trial=%d query=(%d,%d)", seed, trial, qe, qs).isNotNull();
                // at or before the document holding the position, and no further back than one interval
                assertThat(found).as("seed=%d trial=%d query=(%d,%d)", seed, trial, qe, qs).isLessThanOrEqualTo(exact);
                final Long distanceFloor = model.get(model.floorKey(key));
                assertThat(distanceFloor).isGreaterThanOrEqualTo(found);
            }
            // the newest position always has a checkpoint within one interval
            final long last = index.seekIndex(1, epoch, seq);
            assertThat(last).as("seed=%d trial=%d", seed, trial).isNotEqualTo(RoomJournalIndex.START);
            assertThat(index.checkpoints(1)).isLessThanOrEqualTo(cap);
        }
    }
}
