package dev.danmaku.engine.journal;

import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.SystemEpochClock;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Immutable journal settings. Start from {@link #defaults(Path)} and change what differs with the
 * {@code with…} methods.
 *
 * @param directory         the Chronicle queue directory (created if missing); one journal per node
 * @param rollCycle         how often a new file starts; the unit of retention
 * @param syncPolicy        what a returned {@link JournalWriter#commit()} (and so an ACK) promises
 * @param maxDocumentLength largest document (one ring batch), bytes; the writer's buffer is this big
 *                          and {@code append…} returns false when the next record would not fit
 * @param retainedCycles    {@link Journal#sweep(long)} always keeps this many most recent files, &gt;= 1
 * @param clock             wall clock for roll-cycle boundaries, Unix ms (a test clock in tests)
 */
public record JournalConfig(Path directory, JournalRollCycle rollCycle, SyncPolicy syncPolicy,
                            int maxDocumentLength, int retainedCycles, EpochClock clock) {
    /** Default {@link #rollCycle}: one file per hour. */
    public static final JournalRollCycle DEFAULT_ROLL_CYCLE = JournalRollCycle.HOURLY;
    /** Default {@link #syncPolicy}: page cache, survives kill -9, not power loss. */
    public static final SyncPolicy DEFAULT_SYNC_POLICY = SyncPolicy.PAGE_CACHE;
    /** Default {@link #maxDocumentLength}: 1 MiB, about 1,500 of the largest bullets or 10,000 typical ones. */
    public static final int DEFAULT_MAX_DOCUMENT_LENGTH = 1 << 20;
    /** Smallest allowed {@link #maxDocumentLength}: one largest bullet. */
    public static final int MIN_MAX_DOCUMENT_LENGTH = JournalLayout.DOCUMENT_HEADER_LENGTH + JournalLayout.MAX_BULLET_LENGTH;
    /** Largest allowed {@link #maxDocumentLength}: 8 MiB, half of Chronicle's mapping overlap, so a document is always contiguous in memory. */
    public static final int MAX_MAX_DOCUMENT_LENGTH = 8 << 20;
    /** Default {@link #retainedCycles}: a week of hourly files. */
    public static final int DEFAULT_RETAINED_CYCLES = 7 * 24;

    public JournalConfig {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(rollCycle, "rollCycle");
        Objects.requireNonNull(syncPolicy, "syncPolicy");
        Objects.requireNonNull(clock, "clock");
        if (maxDocumentLength < MIN_MAX_DOCUMENT_LENGTH || maxDocumentLength > MAX_MAX_DOCUMENT_LENGTH) {
            throw new IllegalArgumentException("maxDocumentLength must be in [" + MIN_MAX_DOCUMENT_LENGTH + ", "
                    + MAX_MAX_DOCUMENT_LENGTH + "]: " + maxDocumentLength);
        }
        if (retainedCycles < 1) {
            throw new IllegalArgumentException("retainedCycles must be >= 1: " + retainedCycles);
        }
    }

    /** The defaults above, in {@code directory}, on the system clock. */
    public static JournalConfig defaults(final Path directory) {
        return new JournalConfig(directory, DEFAULT_ROLL_CYCLE, DEFAULT_SYNC_POLICY, DEFAULT_MAX_DOCUMENT_LENGTH,
                DEFAULT_RETAINED_CYCLES, SystemEpochClock.INSTANCE);
    }

    public JournalConfig withRollCycle(final JournalRollCycle rollCycle) {
        return new JournalConfig(directory, rollCycle, syncPolicy, maxDocumentLength, retainedCycles, clock);
    }

    public JournalConfig withSyncPolicy(final SyncPolicy syncPolicy) {
        return new JournalConfig(directory, rollCycle, syncPolicy, maxDocumentLength, retainedCycles, clock);
    }

    public JournalConfig withMaxDocumentLength(final int maxDocumentLength) {
        return new JournalConfig(directory, rollCycle, syncPolicy, maxDocumentLength, retainedCycles, clock);
    }

    public JournalConfig withRetainedCycles(final int retainedCycles) {
        return new JournalConfig(directory, rollCycle, syncPolicy, maxDocumentLength, retainedCycles, clock);
    }

    public JournalConfig withClock(final EpochClock clock) {
        return new JournalConfig(directory, rollCycle, syncPolicy, maxDocumentLength, retainedCycles, clock);
    }
}
