package dev.danmaku.engine.sink;

import net.openhft.chronicle.queue.RollCycles;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Position (the danmaku.position header of every Kafka record) orders like the journal for today's indexes,
 * and the Kafka sink resumes from the right one.
 */
class KafkaPositionTest {
    @Test
    void positionsShouldRoundTripAndOrderLikeTheJournalForEveryRollCycle() {
        long now = System.currentTimeMillis();
        SplittableRandom random = new SplittableRandom(7);
        for (RollCycles rc : new RollCycles[] {RollCycles.FAST_HOURLY, RollCycles.FAST_DAILY, RollCycles.FIVE_MINUTELY}) {
            int cycle = (int) (now / rc.lengthInMillis());
            long previous = Position.NONE;
            for (int c = cycle - 1; c <= cycle + 1; c++) {
                for (long seq : new long[] {0, 1, random.nextInt(1 << 20), 1 << 29}) {
                    long index = rc.toIndex(c, seq);
                    for (int ordinal : new int[] {0, 1, 65_534}) {
                        long p = Position.of(index, ordinal);
                        assertThat(p).as("%s cycle %d seq %d", rc, c, seq).isGreaterThan(previous);
                        assertThat(Position.document(p)).isEqualTo(index);
                        assertThat(Position.ordinal(p)).isEqualTo(ordinal);
                        previous = p;
                    }
                }
            }
        }
    }

    @Test
    void recoveryShouldResumeAfterTheGreatestPositionUnlessItAbortedAHangingTransaction() {
        long[] last = {500, 900, 700, Position.NONE};
        assertThat(KafkaSinkWriter.resumePosition(last, new boolean[4])).as("no abort: the greatest").isEqualTo(900);
        // Partitions 1 and 2 lost records of a transaction that partition 0 shows committed (or whose
        // records there come later): resume before the earliest of them, at the least aborted position.
        assertThat(KafkaSinkWriter.resumePosition(last, new boolean[] {false, true, true, false})).isEqualTo(700);
        assertThat(KafkaSinkWriter.resumePosition(last, new boolean[] {false, false, false, true}))
                .as("an aborted partition with nothing visible: from the start").isEqualTo(Position.NONE);
        assertThat(KafkaSinkWriter.resumePosition(new long[0], new boolean[0])).isEqualTo(Position.NONE);
    }
}
