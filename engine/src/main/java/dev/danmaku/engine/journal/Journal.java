package dev.danmaku.engine.journal;

import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.core.time.TimeProvider;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.impl.RollingResourcesCache;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import org.agrona.concurrent.EpochClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The node's journal: one Chronicle Queue directory of rolling files holding {@link JournalLayout}
 * documents. Source of truth for crash recovery ({@link JournalRecovery}), for replaying a viewer's
 * gap that is no longer in memory ({@link RoomJournalIndex}, {@link JournalReader}), and for the
 * Kafka/Redis sinks, which tail it from their own saved positions.
 *
 * <p>Threads: {@link #open} and {@link #close} on the node's lifecycle thread. There is one
 * {@link JournalWriter}, owned by the journal stage thread. Each {@link JournalReader} is owned by
 * the one thread that reads it; readers never block or slow the writer. {@link #sweep} may run on
 * any one thread at a time (it is synchronized). The position helpers are thread-safe but scan
 * Chronicle's index: not for the hot path.
 *
 * <p>Positions are Chronicle indexes ({@code cycle << bits | sequence in cycle}): they increase with
 * every document but are not dense across a roll.
 */
public final class Journal implements AutoCloseable {
    /** Returned by {@link #firstIndex()} / {@link #lastIndex()} for an empty journal. */
    public static final long NO_INDEX = -1;

    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);
    private static final String SUFFIX = ".cq4";

    private final JournalConfig config;
    private final SingleChronicleQueue queue;
    private final RollingResourcesCache files;
    private JournalWriter writer;

    private Journal(final JournalConfig config, final SingleChronicleQueue queue) {
        this.config = config;
        this.queue = queue;
        final File dir = queue.file();
        this.files = new RollingResourcesCache(queue.rollCycle(), queue.epoch(),
                name -> new File(dir, name + SUFFIX),
                file -> file.getName().substring(0, file.getName().length() - SUFFIX.length()));
    }

    /**
     * Opens (creating if needed) the journal in {@code config.directory()}. A previous process that
     * died mid-append leaves a torn final document and a held write lock: Chronicle hides the torn
     * document from readers, the first append overwrites it, and the lock of a dead process is
     * released on that first append.
     */
    public static Journal open(final JournalConfig config) {
        try {
            Files.createDirectories(config.directory());
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create journal directory " + config.directory(), e);
        }
        final SingleChronicleQueueBuilder builder = SingleChronicleQueueBuilder.binary(config.directory())
                .rollCycle(config.rollCycle().chronicle())
                .timeProvider(new ClockTimeProvider(config.clock()));
        if (config.syncPolicy() == SyncPolicy.FSYNC) {
            // The mapped store's sync mode: what ExcerptAppender.sync() uses (NONE would make sync() a no-op),
            // and also applied when a chunk or file is released.
            builder.syncMode(SyncMode.SYNC);
        }
        final SingleChronicleQueue queue = builder.build();
        if (config.maxDocumentLength() > queue.overlapSize()) {
            queue.close();
            throw new IllegalArgumentException("maxDocumentLength " + config.maxDocumentLength()
                    + " exceeds Chronicle's mapping overlap " + queue.overlapSize());
        }
        LOG.info("journal open: dir={} rollCycle={} sync={} maxDocument={}B retainedCycles={}",
                config.directory(), config.rollCycle(), config.syncPolicy(), config.maxDocumentLength(),
                config.retainedCycles());
        return new Journal(config, queue);
    }

    public JournalConfig config() {
        return config;
    }

    /** The single writer, without a room index. */
    public JournalWriter writer() {
        return writer(null);
    }

    /**
     * Creates the journal's single writer. Call once; hand it to the journal stage thread.
     *
     * @param roomIndex receives a checkpoint per room every K sequences as documents commit, or null
     * @throws IllegalStateException if a writer already exists
     */
    public synchronized JournalWriter writer(final RoomJournalIndex roomIndex) {
        if (writer != null) {
            throw new IllegalStateException("the journal has one writer and it exists already");
        }
        writer = new JournalWriter(this, roomIndex);
        return writer;
    }

    /** A new reader positioned at the first document. */
    public JournalReader reader() {
        return new JournalReader(this, JournalReader.START);
    }

    /**
     * A new reader positioned at the document with this index (as returned by
     * {@link JournalWriter#commit()}, {@link RoomJournalIndex#seekIndex} or a sink's saved position);
     * {@link RoomJournalIndex#START} or an index before the first retained document means the start.
     */
    public JournalReader reader(final long index) {
        return new JournalReader(this, index);
    }

    /** Index of the first retained document, or {@link #NO_INDEX} if the journal is empty. */
    public long firstIndex() {
        final long first = queue.firstIndex();
        return first == Long.MAX_VALUE || first < 0 ? NO_INDEX : first;
    }

    /** Index of the last complete document, or {@link #NO_INDEX} if the journal is empty. */
    public long lastIndex() {
        final long last = queue.lastIndex();
        return last < 0 || last == Long.MAX_VALUE ? NO_INDEX : last;
    }

    /** The roll cycle (file) a document index belongs to. */
    public int cycleOf(final long index) {
        return queue.rollCycle().toCycle(index);
    }

    /**
     * Retention: deletes the oldest cycle files, keeping the {@link JournalConfig#retainedCycles()}
     * most recent ones and every file that could hold {@code lowestNeededIndex} or anything after
     * it. {@code lowestNeededIndex} is the minimum over everything that still reads the journal
     * (each sink's saved position, the oldest replay checkpoint the node still serves); pass
     * {@link Long#MAX_VALUE} if nothing needs old documents. A negative value deletes nothing.
     *
     * <p>Safe while the writer appends and readers read: the newest file (the one being appended)
     * is never deleted, a file is deleted only if its whole cycle is before the cycle of
     * {@code lowestNeededIndex}, and on Linux a reader that still has a deleted file mapped keeps
     * reading it. Afterwards Chronicle's directory listing is refreshed so {@link #firstIndex()} and
     * new readers start at the first remaining file.
     *
     * @return files deleted
     */
    public synchronized int sweep(final long lowestNeededIndex) {
        if (lowestNeededIndex < 0 || queue.isClosed()) {
            return 0;
        }
        final long neededCycle = lowestNeededIndex == Long.MAX_VALUE
                ? Long.MAX_VALUE : queue.rollCycle().toCycle(lowestNeededIndex);
        final File[] listed = queue.file().listFiles((dir, name) -> name.endsWith(SUFFIX));
        if (listed == null || listed.length <= config.retainedCycles()) {
            return 0;
        }
        final List<long[]> cycles = new ArrayList<>(listed.length);
        for (int i = 0; i < listed.length; i++) {
            final Long cycle = parseCycle(listed[i]);
            if (cycle != null) {
                cycles.add(new long[] {cycle, i});
            }
        }
        cycles.sort((a, b) -> Long.compare(a[0], b[0]));
        final long newest = Math.max(cycles.isEmpty() ? Long.MIN_VALUE : cycles.get(cycles.size() - 1)[0], queue.cycle());
        int deleted = 0;
        final int deletable = cycles.size() - config.retainedCycles();
        for (int i = 0; i < deletable; i++) {
            final long cycle = cycles.get(i)[0];
            if (cycle >= neededCycle || cycle >= newest) {
                break; // sorted: every later file is needed too
            }
            final File file = listed[(int) cycles.get(i)[1]];
            if (file.delete()) {
                deleted++;
                LOG.info("journal retention: deleted {} (cycle {}, lowest needed index 0x{})",
                        file.getName(), cycle, Long.toHexString(lowestNeededIndex));
            } else if (file.exists()) {
                LOG.warn("journal retention: could not delete {}", file);
                break; // keep the remaining files contiguous
            }
        }
        if (deleted > 0) {
            queue.refreshDirectoryListing();
        }
        return deleted;
    }

    private Long parseCycle(final File file) {
        try {
            return files.toLong(file);
        } catch (final RuntimeException e) {
            LOG.warn("journal retention: ignoring {} (not a cycle file of this roll cycle: {})", file.getName(), e.toString());
            return null;
        }
    }

    /** The Chronicle queue, for this package's writer and readers and for tests. */
    SingleChronicleQueue queue() {
        return queue;
    }

    RollCycle rollCycle() {
        return queue.rollCycle();
    }

    /** Length of one roll cycle (one journal file), ms. */
    public long cycleLengthMillis() {
        return queue.rollCycle().lengthInMillis();
    }

    /** Closes the writer and the queue. Readers must not be used afterwards. */
    @Override
    public synchronized void close() {
        if (writer != null) {
            writer.close();
        }
        queue.close();
        LOG.info("journal closed: dir={}", config.directory());
    }

    /** Chronicle's clock, driven by the journal's {@link EpochClock} (cycle boundaries only). */
    private static final class ClockTimeProvider implements TimeProvider {
        private final EpochClock clock;

        ClockTimeProvider(final EpochClock clock) {
            this.clock = clock;
        }

        @Override
        public long currentTimeMillis() {
            return clock.time();
        }

        @Override
        public long currentTimeMicros() {
            return clock.time() * 1_000L;
        }

        @Override
        public long currentTimeNanos() {
            return clock.time() * 1_000_000L;
        }
    }
}
