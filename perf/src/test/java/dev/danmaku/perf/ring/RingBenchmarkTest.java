package dev.danmaku.perf.ring;

import dev.danmaku.engine.config.NodeConfig;
import dev.danmaku.engine.transport.Egress;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Smoke tests: the benchmark's chain does the work it claims (a benchmark that measures nothing is a bug). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RingBenchmarkTest {
    @Test
    void shouldAcceptAckAndDeliverEveryBulletWhenStagesAreDrivenDirectly() throws Exception {
        RingBenchmark.Stages s = new RingBenchmark.Stages();
        s.viewers = 3;
        s.users = 10_007;
        s.setUp();
        try {
            int batches = 200;
            for (int i = 0; i < batches; i++) {
                s.batch();
            }
            long bullets = (long) batches * RingBenchmark.BATCH;
            assertThat(s.f.metrics.accepted).isEqualTo(bullets);
            assertThat(s.f.rejected()).isZero();
            assertThat(s.f.metrics.journalCommits).isGreaterThanOrEqualTo(batches);
            // One ROOM_INFO for the CREATE_ROOM, then one ACK per bullet, all through the real Egress.
            awaitAtLeast(s.f.senderSink::frames, bullets + 1);
            // 20,000 bullets of ~70 bytes exceed the 64 KiB batch limit many times: viewers got batches.
            awaitAtLeast(s.f::viewerFrames, 3L * 10);
            assertThat(s.f.egress.dropped()).isZero();
        } finally {
            s.tearDown();
        }
    }

    @Test
    void shouldCarryEveryPublishedBulletThroughTheRealRing() throws Exception {
        RingBenchmark.Disruptor s = new RingBenchmark.Disruptor();
        s.viewers = 2;
        s.wait = NodeConfig.WaitStrategy.BLOCKING;
        s.setUp();
        try {
            int bullets = 50_000;
            for (int i = 0; i < bullets; i++) {
                s.publish();
            }
            assertThat(s.wiring.drain(10_000)).isTrue();
            assertThat(s.f.metrics.accepted).isEqualTo(bullets);
            awaitAtLeast(s.f.senderSink::frames, bullets + 1L);
            assertThat(s.f.egress.dropped()).isZero();
        } finally {
            s.tearDown();
        }
    }

    /** Regression for the drain taking a target before its frame was offered (Egress, fixed in bfac93a). */
    @Test
    void shouldNeverDesynchroniseEgressPairsUnderConcurrentDrain() throws Exception {
        try (RingFixture f = new RingFixture(RingFixture.config(NodeConfig.WaitStrategy.BLOCKING), 0, 10_007)) {
            Egress egress = f.egress;
            long sent = 0;
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1_500);
            while (System.nanoTime() - deadline < 0) {
                for (int i = 0; i < 64; i++) {
                    ByteBuf buf = egress.allocate(16);
                    Egress.seal(buf, 0);
                    if (egress.unicast(f.senders[(int) (sent & (RingFixture.SENDERS - 1))], buf)) {
                        sent++;
                    }
                }
                egress.flush();
            }
            long expected = sent;
            awaitAtLeast(f.senderSink::frames, expected);
            assertThat(f.senderSink.frames()).isEqualTo(expected);
            assertThat(egress.queued()).isZero();
        }
    }

    private static void awaitAtLeast(LongSupplier value, long target) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (value.getAsLong() < target && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        assertThat(value.getAsLong()).isGreaterThanOrEqualTo(target);
    }

    @Test
    void settingsShouldApplyOverTheFixtureAndBadOnesShouldFail() {
        NodeConfig c = RingFixture.config(NodeConfig.WaitStrategy.YIELDING,
                " batch.compression-threshold=2147483647 ; filter.words-file= ");
        assertThat(c.get(NodeConfig.COMPRESSION_THRESHOLD)).isEqualTo(Integer.MAX_VALUE);
        assertThat(c.get(NodeConfig.WORDS_FILE)).isEmpty();
        assertThat(c.get(NodeConfig.USER_RATE)).as("the fixture's own settings stay").isEqualTo(1_000);
        assertThat(RingFixture.config(NodeConfig.WaitStrategy.YIELDING, "").get(NodeConfig.COMPRESSION_THRESHOLD))
                .isEqualTo(NodeConfig.defaults().get(NodeConfig.COMPRESSION_THRESHOLD));
        assertThatThrownBy(() -> RingFixture.config(NodeConfig.WaitStrategy.YIELDING, "batch.max-bytes"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key=value");
        assertThatThrownBy(() -> RingFixture.config(NodeConfig.WaitStrategy.YIELDING, "no.such.key=1"))
                .hasMessageContaining("unknown key 'no.such.key'");
    }
}
