package dev.danmaku.engine.filter;

import java.lang.management.ManagementFactory;

/** Measures bytes allocated by the current thread (HotSpot's com.sun.management.ThreadMXBean). */
final class Allocations {
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    private Allocations() {
    }

    /** Runs {@code body} {@code warmUp} times, then returns the bytes allocated by {@code calls} more runs. */
    static long bytesAllocated(final int warmUp, final int calls, final Runnable body) {
        for (int i = 0; i < warmUp; i++) {
            body.run();
        }
        final long before = THREADS.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < calls; i++) {
            body.run();
        }
        return THREADS.getCurrentThreadAllocatedBytes() - before;
    }
}
