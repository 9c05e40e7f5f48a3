package dev.danmaku.engine.journal;

import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Rolling files on a test clock, and the retention sweep. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class JournalRetentionTest {
    private static final long T0 = 1_764_000_000_000L;
    private static final long FIVE_MINUTES = 5 * 60_000L;

    @TempDir
    Path dir;

    @Test
    void shouldDeleteOnlyOldFilesThatNobodyNeedsAndKeepTheNewestN() {
        final CachedEpochClock clock = new CachedEpochClock();
        clock.update(T0);
        final JournalTesting.Strings s = new JournalTesting.Strings().set("u", "roll", "");
        final JournalConfig config = JournalConfig.defaults(dir).withClock(clock)
                .withRollCycle(JournalRollCycle.FIVE_MINUTELY).withRetainedCycles(2);
        final RoomJournalIndex roomIndex = new RoomJournalIndex(10, 100);
        try (Journal journal = Journal.open(config)) {
            final JournalWriter writer = journal.writer(roomIndex);
            final long[] firstOfCycle = new long[6];
            final long[] docOfSeq = new long[61];
            long seq = 0;
            for (int cycle = 0; cycle < 6; cycle++) {
                for (int d = 0; d < 10; d++) {
                    s.append(writer, 1, 1, ++seq, 0, 1, 0, 0);
                    final long index = writer.commit();
                    docOfSeq[(int) seq] = index;
                    if (d == 0) {
                        firstOfCycle[cycle] = index;
                    }
                }
                clock.advance(FIVE_MINUTES);
            }
            assertThat(JournalTesting.cycleFiles(dir)).hasSize(6);
            final int c0 = journal.cycleOf(firstOfCycle[0]);
            for (int cycle = 0; cycle < 6; cycle++) {
                assertThat(journal.cycleOf(firstOfCycle[cycle])).isEqualTo(c0 + cycle);
            }

            // a sink still needs cycle 2: only cycles 0 and 1 may go
            final JournalReader lagging = journal.reader(firstOfCycle[2]);
            assertThat(journal.sweep(-1)).as("negative = unknown, delete nothing").isZero();
            assertThat(journal.sweep(firstOfCycle[2] + 3)).isEqualTo(2);
            assertThat(JournalTesting.cycleFiles(dir)).hasSize(4);
            assertThat(journal.firstIndex()).isGreaterThanOrEqualTo(firstOfCycle[2]).isLessThanOrEqualTo(firstOfCycle[2]);
            assertThat(journal.sweep(firstOfCycle[2])).as("idempotent").isZero();

            // the lagging reader reads from cycle 2 across the rolls to the end
            final List<Long> seqs = new ArrayList<>();
            while (lagging.read((r, i) -> seqs.add(r.sequence()), 100) > 0) {
                // drain
            }
            assertThat(seqs).hasSize(40).first().isEqualTo(21L);
            assertThat(seqs).last().isEqualTo(60L);
            lagging.close();

            // a reader from the start now starts at the first remaining file
            try (JournalReader fromStart = journal.reader()) {
                final long[] first = {-1};
                fromStart.read((r, i) -> first[0] = r.sequence(), 1);
                assertThat(first[0]).isEqualTo(21);
            }
            // the room index forgets deleted positions
            roomIndex.trimBefore(journal.firstIndex());
            // checkpoints (interval 10) at seq 1, 10, 20 were in cycles 0-1; 30 is in cycle 2
            assertThat(roomIndex.seekIndex(1, 1, 25)).isEqualTo(RoomJournalIndex.START);
            assertThat(roomIndex.seekIndex(1, 1, 35)).isEqualTo(docOfSeq[30]);
            assertThat(roomIndex.seekIndex(1, 1, 40)).isEqualTo(docOfSeq[40]);

            // nobody needs anything: still keep the newest 2
            assertThat(journal.sweep(Long.MAX_VALUE)).isEqualTo(2);
            assertThat(JournalTesting.cycleFiles(dir)).hasSize(2);

            // and the writer keeps appending to the newest file
            s.append(writer, 1, 1, ++seq, 0, 1, 0, 0);
            assertThat(journal.cycleOf(writer.commit())).isEqualTo(c0 + 6);
        }
    }

    @Test
    void shouldNeverDeleteTheFileBeingAppended() {
        final CachedEpochClock clock = new CachedEpochClock();
        clock.update(T0);
        final JournalTesting.Strings s = new JournalTesting.Strings().set("u", "x", "");
        try (Journal journal = Journal.open(JournalConfig.defaults(dir).withClock(clock)
                .withRollCycle(JournalRollCycle.FIVE_MINUTELY).withRetainedCycles(1))) {
            final JournalWriter writer = journal.writer();
            s.append(writer, 1, 1, 1, 0, 1, 0, 0);
            final long index = writer.commit();
            assertThat(journal.sweep(Long.MAX_VALUE)).isZero();
            assertThat(JournalTesting.cycleFiles(dir)).hasSize(1);
            try (JournalReader reader = journal.reader()) {
                assertThat(reader.read((r, i) -> assertThat(i).isEqualTo(index), 10)).isEqualTo(1);
            }
        }
    }
}
