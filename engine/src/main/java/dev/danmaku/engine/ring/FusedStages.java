package dev.danmaku.engine.ring;

import dev.danmaku.codec.ErrorCode;

/**
 * Runs the four stages over one ring batch on one thread, stage by stage: every event through
 * decode, then every event through admit, then journal (which commits at its end of batch), then
 * fan-out. Each stage sees the events in ring order and its {@link Stage#onEndOfBatch} after the last
 * one, exactly as when each stage has its own thread, so nothing is ACKed or delivered before the
 * journal committed it.
 *
 * <p>Why stage by stage: before a stage runs, {@link Stage#prefetch} is called with the whole
 * batch. The random reads a stage needs per event (the duplicate filter's bucket, for one) are
 * independent across events, so issued back to back the CPU overlaps their cache misses (about
 * 150-180 ns each here for tables of 16 MiB and more) instead of paying them one after another.
 *
 * <p>Used by the fused wiring ({@link EngineWiring}) and by the in-process ring benchmark, so both
 * run exactly this code. Single-threaded; allocation-free.
 */
public final class FusedStages {
    /** What to do when a stage throws on an event or at the end of a batch. */
    public interface FailureHandler {
        void failed(Stage stage, Throwable t);
    }

    private final Stage[] stages;
    private final FailureHandler failures;

    public FusedStages(Stage decode, Stage admit, Stage journal, Stage fanout, FailureHandler failures) {
        this.stages = new Stage[] {decode, admit, journal, fanout};
        this.failures = failures;
    }

    /** Runs {@code events[0, count)} (one ring batch, in ring order, count &gt; 0) through every stage. */
    public void run(RingEvent[] events, int count) {
        RingEvent last = events[count - 1];
        for (Stage stage : stages) {
            try {
                stage.prefetch(events, count);
            } catch (Throwable t) {
                failures.failed(stage, t); // a hint only: the events still go through onEvent
            }
            for (int i = 0; i < count; i++) {
                onEvent(stage, events[i], failures);
            }
            onEndOfBatch(stage, last, failures);
        }
    }

    /** {@link Stage#onEvent}, contained: a throw answers the event INTERNAL and is reported. */
    static void onEvent(Stage stage, RingEvent e, FailureHandler failures) {
        try {
            stage.onEvent(e);
        } catch (Throwable t) {
            e.reject(ErrorCode.INTERNAL.code(), 0);
            failures.failed(stage, t);
        }
    }

    /** {@link Stage#onEndOfBatch}, contained: a throw is reported. */
    static void onEndOfBatch(Stage stage, RingEvent last, FailureHandler failures) {
        try {
            stage.onEndOfBatch(last);
        } catch (Throwable t) {
            failures.failed(stage, t);
        }
    }
}
