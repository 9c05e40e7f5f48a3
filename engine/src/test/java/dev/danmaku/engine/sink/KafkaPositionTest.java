package dev.danmaku.engine.sink;

import net.openhft.chronicle.queue.RollCycles;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    @Test
    void validUntilShouldBeTheFirstCycleThatPositionsCannotOrder() {
        for (RollCycles rc : new RollCycles[] {RollCycles.FAST_HOURLY, RollCycles.FAST_DAILY, RollCycles.FIVE_MINUTELY}) {
            long until = Position.validUntilMillis(rc.lengthInMillis());
            int lastCycle = (int) (until / rc.lengthInMillis()) - 1;
            long last = rc.toIndex(lastCycle, 1 << 29);
            assertThat(Position.document(Position.of(last, 7))).as("%s, last cycle", rc).isEqualTo(last);
            assertThatThrownBy(() -> Position.of(rc.toIndex(lastCycle + 1, 0), 0)).as("%s, first cycle after", rc)
                    .isInstanceOf(IllegalStateException.class);
        }
        assertThat(java.time.Instant.ofEpochMilli(Position.validUntilMillis(3_600_000L))).hasToString("2032-06-10T00:00:00Z");
        assertThat(java.time.Instant.ofEpochMilli(Position.validUntilMillis(300_000L))).hasToString("2027-07-09T19:20:00Z");
        assertThat(java.time.Instant.ofEpochMilli(Position.validUntilMillis(86_400_000L))).hasToString("2047-03-10T00:00:00Z");
        assertThatThrownBy(() -> Position.validUntilMillis(60_000L)).isInstanceOf(IllegalArgumentException.class);
    }
}
