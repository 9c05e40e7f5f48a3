package dev.danmaku.engine.ring;

import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.BatchEventProcessorBuilder;
import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.SleepingWaitStrategy;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.YieldingWaitStrategy;
import dev.danmaku.engine.config.NodeConfig;
import dev.danmaku.engine.stage.StageMetrics;
import dev.danmaku.engine.transport.Connection;
import io.netty.buffer.ByteBuf;
import org.agrona.concurrent.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The node's one ring and which thread runs which stage, in one place.
 *
 * <pre>
 *  producers (any thread, never blocking): Netty I/O loops  -> frames, disconnects
 *                                          ticker thread    -> ticks
 *  ring.stage-threads = fused (2-core hosts):
 *      thread "danmaku-stages": each ring batch stage by stage (FusedStages): decode, admit and
 *      journal over the batch, the journal commits, then fan-out over the same events (so nothing
 *      is ACKed or delivered before it is journaled)
 *  ring.stage-threads = per-stage (tuned hosts):
 *      "danmaku-decode" -> "danmaku-admit" -> "danmaku-journal" -> "danmaku-fanout", each gated on
 *      the previous one's sequence; the journal commits before publishing its sequence
 * </pre>
 *
 * A stage that throws on an event marks that event INTERNAL (answered and counted) and the ring goes
 * on; each distinct failure is logged once.
 */
public final class EngineWiring implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EngineWiring.class);

    /** Most events a stage thread takes in one batch (one journal document at most this many records). */
    public static final int MAX_RING_BATCH = 4096;

    private final RingBuffer<RingEvent> ring;
    private final List<BatchEventProcessor<RingEvent>> processors = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final NanoClock clock;
    private final StageMetrics metrics;
    private final Set<String> loggedFailures = ConcurrentHashMap.newKeySet();
    private final Sequence last;
    private volatile boolean running;
    /** Where contained stage failures are counted and logged (once per distinct failure). */
    private final FusedStages.FailureHandler failures = this::failed;
    private Thread ticker;

    public EngineWiring(NodeConfig config, NanoClock clock, StageMetrics metrics, Stage decode, Stage admit,
                        Stage journal, Stage fanout) {
        this.clock = clock;
        this.metrics = metrics;
        this.ring = RingBuffer.createMultiProducer(RingEvent::new, config.get(NodeConfig.RING_SIZE),
                waitStrategy(config.get(NodeConfig.RING_WAIT)));
        // A ring batch is one journal document: bound it so documents stay small and latency flat.
        BatchEventProcessorBuilder builder = new BatchEventProcessorBuilder().setMaxBatchSize(MAX_RING_BATCH);
        if (config.get(NodeConfig.RING_THREADS) == NodeConfig.StageThreads.FUSED) {
            BatchEventProcessor<RingEvent> p = builder.build(ring, ring.newBarrier(),
                    new FusedHandler(decode, admit, journal, fanout));
            add(p, "danmaku-stages");
            last = p.getSequence();
        } else {
            Sequence previous = null;
            String[] names = {"danmaku-decode", "danmaku-admit", "danmaku-journal", "danmaku-fanout"};
            Stage[] stages = {decode, admit, journal, fanout};
            BatchEventProcessor<RingEvent> p = null;
            for (int i = 0; i < stages.length; i++) {
                SequenceBarrier barrier = previous == null ? ring.newBarrier() : ring.newBarrier(previous);
                p = builder.build(ring, barrier, new SingleStageHandler(stages[i]));
                add(p, names[i]);
                previous = p.getSequence();
            }
            last = p.getSequence();
        }
        ring.addGatingSequences(last);
    }

    private void add(BatchEventProcessor<RingEvent> p, String name) {
        p.setExceptionHandler(new StageExceptionHandler());
        processors.add(p);
        Thread t = new io.netty.util.concurrent.FastThreadLocalThread(p, name);
        t.setDaemon(true);
        threads.add(t);
    }

    private static WaitStrategy waitStrategy(NodeConfig.WaitStrategy s) {
        return switch (s) {
            case BLOCKING -> new BlockingWaitStrategy();
            case SLEEPING -> new SleepingWaitStrategy();
            case YIELDING -> new YieldingWaitStrategy();
            case BUSY_SPIN -> new BusySpinWaitStrategy();
        };
    }

    /** Starts the stage threads and a ticker publishing a TICK every {@code tickMs}. */
    public void start(long tickMs) {
        running = true;
        threads.forEach(Thread::start);
        ticker = new Thread(() -> {
            while (running) {
                try {
                    TimeUnit.MILLISECONDS.sleep(tickMs);
                } catch (InterruptedException e) {
                    return;
                }
                tryPublishControl(RingEvent.KIND_TICK, null);
            }
        }, "danmaku-ticker");
        ticker.setDaemon(true);
        ticker.start();
    }

    /**
     * Copies one inbound frame into a slot and publishes it; never blocks. I/O threads.
     *
     * @return false if the ring is full (the caller answers BUSY)
     */
    public boolean tryPublishFrame(Connection connection, ByteBuf content, long userId, int userLevel) {
        long seq;
        try {
            seq = ring.tryNext();
        } catch (InsufficientCapacityException e) {
            return false;
        }
        RingEvent ev = ring.get(seq);
        ev.reset(RingEvent.KIND_FRAME, connection, clock.nanoTime());
        int length = content.readableBytes();
        content.getBytes(content.readerIndex(), ev.frame.byteArray(), 0, length);
        ev.frameLength = length;
        ev.userId = userId;
        ev.userLevel = userLevel;
        ring.publish(seq);
        return true;
    }

    /** Publishes a control event (tick, disconnect, flush); false if the ring is full. Any thread. */
    public boolean tryPublishControl(int kind, Connection connection) {
        long seq;
        try {
            seq = ring.tryNext();
        } catch (InsufficientCapacityException e) {
            return false;
        }
        ring.get(seq).reset(kind, connection, clock.nanoTime());
        ring.publish(seq);
        return true;
    }

    /**
     * Publishes a cluster event ({@link RingEvent#KIND_CLUSTER}, {@code _RELEASE}, {@code _INSTALL})
     * for {@code roomId} with {@code payload}; false if the ring is full (the caller retries). Any thread.
     */
    public boolean tryPublishCluster(int kind, long roomId, Object payload) {
        long seq;
        try {
            seq = ring.tryNext();
        } catch (InsufficientCapacityException e) {
            return false;
        }
        RingEvent ev = ring.get(seq);
        ev.reset(kind, null, clock.nanoTime());
        ev.roomId = roomId;
        ev.payload = payload;
        ring.publish(seq);
        return true;
    }

    /** Slots free. */
    public long remainingCapacity() {
        return ring.remainingCapacity();
    }

    public int bufferSize() {
        return ring.getBufferSize();
    }

    /**
     * Seals every pending batch and waits (up to {@code timeoutMs}) until the last stage has
     * processed everything published so far. Graceful shutdown.
     */
    public boolean drain(long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!tryPublishControl(RingEvent.KIND_FLUSH, null)) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(1);
        }
        long target = ring.getCursor();
        while (last.get() < target) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    @Override
    public void close() {
        running = false;
        if (ticker != null) {
            ticker.interrupt();
        }
        processors.forEach(BatchEventProcessor::halt);
        for (Thread t : threads) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Runs one stage on its own thread; stage failures are contained per event. */
    private final class SingleStageHandler implements EventHandler<RingEvent> {
        private final Stage stage;

        SingleStageHandler(Stage stage) {
            this.stage = stage;
        }

        @Override
        public void onEvent(RingEvent e, long sequence, boolean endOfBatch) {
            FusedStages.onEvent(stage, e, failures);
            if (endOfBatch) {
                FusedStages.onEndOfBatch(stage, e, failures);
            }
        }
    }

    /**
     * Runs all four stages on one thread ({@link FusedStages}): it collects the events of a ring batch
     * and runs them stage by stage at the batch's end; fan-out runs after the journal committed the
     * batch, the same order of effects as the per-stage chain.
     */
    private final class FusedHandler implements EventHandler<RingEvent> {
        private final FusedStages stages;
        private final RingEvent[] batch = new RingEvent[MAX_RING_BATCH];
        private int count;

        FusedHandler(Stage decode, Stage admit, Stage journal, Stage fanout) {
            this.stages = new FusedStages(decode, admit, journal, fanout, failures);
        }

        @Override
        public void onEvent(RingEvent e, long sequence, boolean endOfBatch) {
            batch[count++] = e;
            if (endOfBatch || count == batch.length) {
                stages.run(batch, count);
                count = 0;
            }
        }
    }

    private void failed(Stage stage, Throwable t) {
        metrics.stageFailures++;
        String key = stage.getClass().getSimpleName() + ":" + t;
        if (loggedFailures.size() < 1000 && loggedFailures.add(key)) {
            LOG.error("stage {} failed on an event (skipped; further identical failures are only counted)",
                    stage.getClass().getSimpleName(), t);
        }
    }

    /** Last resort for anything outside the guarded stage calls: log once, count, keep the ring running. */
    private final class StageExceptionHandler implements com.lmax.disruptor.ExceptionHandler<RingEvent> {
        @Override
        public void handleEventException(Throwable ex, long sequence, RingEvent event) {
            metrics.stageFailures++;
            if (loggedFailures.add("processor:" + ex)) {
                LOG.error("ring event {} failed outside a stage", sequence, ex);
            }
        }

        @Override
        public void handleOnStartException(Throwable ex) {
            LOG.error("stage thread failed to start", ex);
        }

        @Override
        public void handleOnShutdownException(Throwable ex) {
            LOG.error("stage thread failed to stop", ex);
        }
    }
}
