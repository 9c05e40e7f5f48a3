package dev.danmaku.engine.room;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EpochChainTest {
    @Test
    void shouldPlaceEachSequenceInTheOldestEpochThatReachesIt() {
        // Epoch 1 up to 10, epoch 257 with no bullets of its own (also ends at 10), epoch 513 up to 25.
        EpochChain c = EpochChain.NONE.then(1, 10, true).then(257, 10, true).then(513, 25, true);
        assertThat(c.epochOf(1, 769)).isEqualTo(1);
        assertThat(c.epochOf(10, 769)).isEqualTo(1);
        assertThat(c.epochOf(11, 769)).isEqualTo(513);
        assertThat(c.epochOf(25, 769)).isEqualTo(513);
        assertThat(c.epochOf(26, 769)).isEqualTo(769);
        assertThat(c.indexOf(257)).isEqualTo(1);
        assertThat(c.indexOf(769)).isEqualTo(-1);
    }

    @Test
    void shouldBeExactFromAnEpochOnlyIfItAndEveryLaterEndIsKnown() {
        // Epoch 257 was rebuilt from the sinks after its owner died: its end is a lower bound.
        EpochChain c = EpochChain.NONE.then(1, 10, true).then(257, 20, false).then(513, 30, true);
        assertThat(c.exactFrom(0)).isFalse();
        assertThat(c.exactFrom(1)).isFalse();
        assertThat(c.exactFrom(2)).isTrue();
    }

    @Test
    void shouldDropTheOldestEpochsPastTheBoundAndRememberWhereTheyEnded() {
        EpochChain c = EpochChain.NONE;
        for (int i = 1; i <= EpochChain.MAX + 1; i++) {
            c = c.then(i, 10L * i, true);
        }
        assertThat(c.size()).isEqualTo(EpochChain.MAX);
        assertThat(c.epoch(0)).isEqualTo(2);
        assertThat(c.unknownThrough()).isEqualTo(10);
        assertThat(c.epochOf(10, 99)).isZero();
        assertThat(c.epochOf(11, 99)).isEqualTo(2);
    }

    @Test
    void shouldRefuseAnEpochEndingBeforeThePreviousOne() {
        EpochChain c = EpochChain.NONE.then(1, 10, true);
        assertThatThrownBy(() -> c.then(2, 9, true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.then(0, 11, true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.unknownThrough(11)).isInstanceOf(IllegalArgumentException.class);
    }
}
