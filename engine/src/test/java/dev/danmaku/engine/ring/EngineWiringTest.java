package dev.danmaku.engine.ring;

import dev.danmaku.codec.ErrorCode;
import dev.danmaku.engine.config.NodeConfig;
import dev.danmaku.engine.stage.StageMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The ring's contract: bounded (a full ring refuses, never blocks), ordered, and a poison event is contained. */
@Timeout(30)
class EngineWiringTest {
    private static final int RING = 1024;

    private static NodeConfig config(NodeConfig.StageThreads threads) {
        return NodeConfig.builder().set(NodeConfig.RING_SIZE, RING).set(NodeConfig.RING_THREADS, threads)
                .set(NodeConfig.RING_WAIT, NodeConfig.WaitStrategy.BLOCKING).build();
    }

    private static final Stage NOTHING = e -> {
    };

    private static ByteBuf frame(int marker) {
        return Unpooled.buffer(8).writeInt(0xABCD0101).writeInt(marker);
    }

    @ParameterizedTest
    @EnumSource(NodeConfig.StageThreads.class)
    void aFullRingShouldRefuseWithoutBlockingAndDeliverEverythingItAccepted(NodeConfig.StageThreads threads)
            throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        List<Integer> seen = new CopyOnWriteArrayList<>();
        Stage blocking = e -> {
            try {
                gate.await();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        };
        Stage last = e -> seen.add(e.frame.getInt(4, java.nio.ByteOrder.BIG_ENDIAN));
        try (EngineWiring w = new EngineWiring(config(threads), SystemNanoClock.INSTANCE, new StageMetrics(), blocking,
                NOTHING, NOTHING, last)) {
            w.start(1_000_000);
            int accepted = 0;
            long start = System.nanoTime();
            for (int i = 0; i < RING * 3; i++) {
                if (w.tryPublishFrame(null, frame(i), 0, 0)) {
                    accepted++;
                }
            }
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("never blocks").isLessThan(5_000);
            // The first event is held by the blocked stage, so at most RING + 1 fit.
            assertThat(accepted).isBetween(RING, RING + 1);
            assertThat(w.remainingCapacity()).isZero();
            gate.countDown();
            int expected = accepted;
            await().atMost(10, TimeUnit.SECONDS).until(() -> seen.size() == expected);
            for (int i = 0; i < expected; i++) {
                assertThat(seen.get(i)).as("in publish order").isEqualTo(i);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(NodeConfig.StageThreads.class)
    void aStageThatThrowsShouldCostOnlyThatEvent(NodeConfig.StageThreads threads) throws Exception {
        StageMetrics metrics = new StageMetrics();
        List<Integer> statuses = new CopyOnWriteArrayList<>();
        AtomicInteger ends = new AtomicInteger();
        Stage poison = e -> {
            if (e.frame.getInt(4, java.nio.ByteOrder.BIG_ENDIAN) % 10 == 3) {
                throw new IllegalStateException("poison");
            }
        };
        Stage last = new Stage() {
            @Override
            public void onEvent(RingEvent e) {
                statuses.add(e.status);
            }

            @Override
            public void onEndOfBatch(RingEvent l) {
                ends.incrementAndGet();
            }
        };
        try (EngineWiring w = new EngineWiring(config(threads), SystemNanoClock.INSTANCE, metrics, NOTHING, poison,
                NOTHING, last)) {
            w.start(1_000_000);
            for (int i = 0; i < 100; i++) {
                while (!w.tryPublishFrame(null, frame(i), 0, 0)) {
                    Thread.sleep(1);
                }
            }
            await().atMost(10, TimeUnit.SECONDS).until(() -> statuses.size() == 100);
            for (int i = 0; i < 100; i++) {
                assertThat(statuses.get(i)).as("event %d", i)
                        .isEqualTo(i % 10 == 3 ? ErrorCode.INTERNAL.code() : 0);
            }
            assertThat(metrics.stageFailures).isEqualTo(10);
            assertThat(ends.get()).as("end-of-batch still runs").isPositive();
        }
    }

    @Test
    void drainShouldWaitUntilTheLastStageHasSeenEverything() throws Exception {
        AtomicInteger flushes = new AtomicInteger();
        AtomicInteger frames = new AtomicInteger();
        Stage last = e -> {
            if (e.kind == RingEvent.KIND_FLUSH) {
                flushes.incrementAndGet();
            } else if (e.kind == RingEvent.KIND_FRAME) {
                frames.incrementAndGet();
            }
        };
        try (EngineWiring w = new EngineWiring(config(NodeConfig.StageThreads.FUSED), SystemNanoClock.INSTANCE,
                new StageMetrics(), NOTHING, NOTHING, NOTHING, last)) {
            w.start(1_000_000);
            for (int i = 0; i < 500; i++) {
                while (!w.tryPublishFrame(null, frame(i), 0, 0)) {
                    Thread.onSpinWait();
                }
            }
            assertThat(w.drain(5_000)).isTrue();
            assertThat(frames.get()).isEqualTo(500);
            assertThat(flushes.get()).isEqualTo(1);
        }
    }
}
