package dev.danmaku.engine.journal;

import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;

/**
 * How often the journal starts a new file (Chronicle "cycle"). Retention works in whole files, so
 * this is also the granularity of {@link Journal#sweep(long)}.
 */
public enum JournalRollCycle {
    /** One file per UTC day; at most 2^32 documents per day. */
    DAILY(RollCycles.FAST_DAILY),
    /** One file per UTC hour; at most 2^32 documents per hour. */
    HOURLY(RollCycles.FAST_HOURLY),
    /** One file per 5 minutes; at most 2^30 documents per 5 minutes. Mostly for tests of rolling and retention. */
    FIVE_MINUTELY(RollCycles.FIVE_MINUTELY);

    private final RollCycle chronicle;

    JournalRollCycle(final RollCycle chronicle) {
        this.chronicle = chronicle;
    }

    /** The Chronicle roll cycle this maps to. */
    public RollCycle chronicle() {
        return chronicle;
    }
}
