package dev.danmaku.engine.room;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RoundRobinSweepTest {
    @Test
    void shouldVisitEveryItemOncePerPeriodSpreadOverTheTicks() {
        int n = 5_000;
        long period = 5_000;
        long tick = 5;
        RoundRobinSweep sweep = new RoundRobinSweep(period);
        long[] lastVisit = new long[n];
        int[] visits = new int[n];
        int maxPerTick = 0;
        assertThat(sweep.due(1_000, n)).as("the first call starts the clock").isZero();
        for (long now = 1_000 + tick; now <= 1_000 + 4 * period; now += tick) {
            int due = sweep.due(now, n);
            maxPerTick = Math.max(maxPerTick, due);
            for (int v = 0; v < due; v++) {
                int i = sweep.next(n);
                if (visits[i] > 0) {
                    assertThat(now - lastVisit[i]).as("gap of item %d", i).isBetween(period - tick, period + tick);
                }
                lastVisit[i] = now;
                visits[i]++;
            }
        }
        assertThat(maxPerTick).as("visits per tick: n x tick / period").isEqualTo(5);
        assertThat(visits).containsOnly(4);
    }

    @Test
    void shouldOweAtMostOneSweepAfterAPauseAndNothingAfterAClockStepBack() {
        RoundRobinSweep sweep = new RoundRobinSweep(1_000);
        sweep.due(0, 10);
        assertThat(sweep.due(60_000, 10)).isEqualTo(10);
        assertThat(sweep.due(50_000, 10)).isZero();
        assertThat(sweep.due(50_100, 10)).isEqualTo(1);
    }

    @Test
    void shouldWrapTheCursorWhenItemsAreFewerOrAdded() {
        RoundRobinSweep sweep = new RoundRobinSweep(100);
        assertThat(new int[] {sweep.next(3), sweep.next(3), sweep.next(3), sweep.next(3)}).containsExactly(0, 1, 2, 0);
        assertThat(new int[] {sweep.next(5), sweep.next(5), sweep.next(5), sweep.next(2)}).containsExactly(1, 2, 3, 0);
    }

    @Test
    void shouldRejectANonPositivePeriod() {
        assertThatThrownBy(() -> new RoundRobinSweep(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
