package dev.danmaku.engine.ring;

/**
 * One step of the ring: {@link #onEvent} for every event in order, then {@link #onEndOfBatch} after
 * the last event the stage's thread took in one go (where stages commit, flush and sample clocks).
 * {@link EngineWiring} decides which thread runs which stage; a stage never knows.
 */
public interface Stage {
    /** Processes one event. A throw skips this event only (it is answered INTERNAL and counted). */
    void onEvent(RingEvent e);

    /**
     * A hint, called with a whole batch before {@link #onEvent} of its first event when the stages
     * share a thread ({@link FusedStages}): start the random memory reads {@code onEvent} will need,
     * so that the CPU overlaps the cache misses of the whole batch (issue the loads back to back,
     * with little work between them). May cache what it computed in the events for {@code onEvent};
     * must change nothing else that {@code onEvent} reads. Not called when each stage has its own
     * thread.
     */
    default void prefetch(RingEvent[] events, int count) {
    }

    /** Called after the last event of a batch ({@code last}); commits and flushes go here. */
    default void onEndOfBatch(RingEvent last) {
    }
}
