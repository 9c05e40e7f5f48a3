package dev.danmaku.engine.filter;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class AdmitCountersTest {
    @Test
    void shouldCountEachReasonSeparately() {
        final AdmitCounters counters = new AdmitCounters();
        counters.increment(AdmitCounters.Reason.DUPLICATE);
        counters.increment(AdmitCounters.Reason.DUPLICATE);
        counters.increment(AdmitCounters.Reason.RATE_LIMITED);
        assertThat(counters.get(AdmitCounters.Reason.DUPLICATE)).isEqualTo(2);
        assertThat(counters.get(AdmitCounters.Reason.RATE_LIMITED)).isEqualTo(1);
        assertThat(counters.get(AdmitCounters.Reason.BANNED_USER)).isZero();
    }
}
