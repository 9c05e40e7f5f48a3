package dev.danmaku.engine.stage;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StageMetricsTest {
    @Test
    void shouldClampLatenciesToTheRecordersFixedRange() {
        StageMetrics m = new StageMetrics();
        m.ackLatency.recordValue(StageMetrics.latency(-5));
        m.ackLatency.recordValue(StageMetrics.latency(1_500));
        m.ackLatency.recordValue(StageMetrics.latency(10 * StageMetrics.MAX_LATENCY_NS));
        Histogram h = m.ackLatency.getIntervalHistogram();
        assertThat(h.getTotalCount()).isEqualTo(3);
        assertThat(h.getMinValue()).isZero();
        assertThat(h.valuesAreEquivalent(h.getMaxValue(), StageMetrics.MAX_LATENCY_NS)).isTrue();
        assertThat(h.getHighestTrackableValue()).as("fixed range: no resizing on the stage thread")
                .isGreaterThanOrEqualTo(StageMetrics.MAX_LATENCY_NS);
        assertThat(h.isAutoResize()).isFalse();
    }
}
