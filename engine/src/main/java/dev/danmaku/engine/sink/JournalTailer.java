package dev.danmaku.engine.sink;

import dev.danmaku.engine.journal.Journal;
import dev.danmaku.engine.journal.JournalReader;
import dev.danmaku.engine.journal.JournalRecord;
import dev.danmaku.engine.journal.RecordHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;

/**
 * Feeds one sink from the journal, on its own thread, with its own saved position: reads up to
 * {@code batchRecords} records, hands them to the {@link SinkWriter}, and on success moves its
 * position forward (saved to {@code positionFile} at most every 200 ms and on close). A failed write
 * is retried with exponential backoff (50 ms to 5 s) from the same position, so nothing is lost and
 * the writer's idempotency (room + sequence) keeps it from being applied twice. The ring never
 * waits for any of this.
 *
 * <p>Owned by its own thread (named {@code danmaku-sink-NAME}); {@link #close()} from any thread.
 */
public final class JournalTailer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JournalTailer.class);
    /** How long before the end of {@link Position}'s window the tailer warns at start. */
    static final long POSITION_HORIZON_WARNING_MS = TimeUnit.DAYS.toMillis(365);

    private final String name;
    private final Journal journal;
    private final SinkWriter writer;
    private final Path positionFile;
    private final int batchRecords;
    private final SinkMetrics metrics;
    private final RecordBatch batch = new RecordBatch();
    private final Thread thread;
    private volatile boolean running = true;
    /** Position of the last record written (see {@link Position}). */
    private volatile long position = Position.NONE;

    public JournalTailer(String name, Journal journal, SinkWriter writer, Path positionFile, int batchRecords,
                         SinkMetrics metrics) {
        this.name = name;
        this.journal = journal;
        this.writer = writer;
        this.positionFile = positionFile;
        this.batchRecords = batchRecords;
        this.metrics = metrics;
        this.thread = new Thread(this::run, "danmaku-sink-" + name);
        this.thread.setDaemon(true);
    }

    public JournalTailer start() {
        warnIfPositionsEndSoon(System.currentTimeMillis());
        thread.start();
        return this;
    }

    /** Positions have a horizon per roll cycle (see {@link Position}); say so well before it is reached. */
    private void warnIfPositionsEndSoon(long nowMs) {
        long until = Position.validUntilMillis(journal.cycleLengthMillis());
        if (until - nowMs < POSITION_HORIZON_WARNING_MS) {
            LOG.warn("sink {}: journal positions with {} ms roll cycles end at {}; from then on this sink stops "
                    + "writing (engine.sink.Position); a longer journal.roll-cycle ends later (docs/kafka.md, Limits)",
                    name, journal.cycleLengthMillis(), java.time.Instant.ofEpochMilli(until));
        }
    }

    public SinkMetrics metrics() {
        return metrics;
    }

    /** Position of the last record written. */
    public long position() {
        return position;
    }

    private void run() {
        long backoffMs = 50;
        JournalReader reader = null;
        long lastSaved = System.nanoTime();
        long savedPosition = Position.NONE;
        boolean recovered = false;
        Collector collector = new Collector();
        while (running) {
            try {
                if (!recovered) {
                    long fromFile = readPositionFile();
                    long fromBackend = writer.recoverPosition();
                    position = Math.max(fromFile, fromBackend);
                    if (reader != null) {
                        reader.close();
                    }
                    reader = seek(position);
                    collector.document = -1;
                    if (position >= 0 && metrics.lastDocument.get() < Position.document(position)) {
                        // Lag is measured from the last document written: after a restart that is the
                        // recovered one, not "nothing yet" (which would report the whole journal as lag).
                        metrics.lastDocument.set(Position.document(position));
                    }
                    recovered = true;
                    LOG.info("sink {} resumes after position {} (document {}, record {})", name, position,
                            position < 0 ? -1 : Position.document(position), position < 0 ? -1 : Position.ordinal(position));
                }
                batch.clear();
                collector.after = position;
                reader.read(collector, batchRecords);
                updateLag(reader);
                if (batch.size() == 0) {
                    if (metrics.failing) {
                        metrics.failing = false;
                    }
                    if (System.nanoTime() - lastSaved > TimeUnit.MILLISECONDS.toNanos(200) && savedPosition != position) {
                        savePosition(position);
                        savedPosition = position;
                        lastSaved = System.nanoTime();
                    }
                    Thread.sleep(2);
                    continue;
                }
                writer.write(batch);
                int last = batch.size() - 1;
                position = batch.position(last);
                metrics.records.addAndGet(batch.size());
                metrics.batches.incrementAndGet();
                metrics.lastDocument.set(batch.document(last));
                for (int i = last; i >= 0; i--) {
                    JournalRecord r = batch.record(i);
                    if (r.kind() == dev.danmaku.engine.journal.JournalLayout.KIND_BULLET) {
                        metrics.lastAcceptTimeMs.set(r.acceptTimeMs());
                        break;
                    }
                }
                metrics.failing = false;
                backoffMs = 50;
                if (System.nanoTime() - lastSaved > TimeUnit.MILLISECONDS.toNanos(200)) {
                    savePosition(position);
                    savedPosition = position;
                    lastSaved = System.nanoTime();
                }
            } catch (InterruptedException e) {
                break;
            } catch (Exception e) {
                metrics.errors.incrementAndGet();
                metrics.failing = true;
                metrics.lastError = e.toString();
                if (metrics.errors.get() < 10 || metrics.errors.get() % 100 == 0) {
                    LOG.warn("sink {} write failed (attempt {}; retrying in {} ms): {}", name, metrics.errors.get(),
                            backoffMs, e.toString());
                }
                recovered = false; // re-read the backend's position and the journal from there
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException ie) {
                    break;
                }
                backoffMs = Math.min(5_000, backoffMs * 2);
            }
        }
        if (reader != null) {
            reader.close();
        }
        try {
            savePosition(position);
        } catch (IOException e) {
            LOG.warn("sink {} could not save its position: {}", name, e.toString());
        }
    }

    /** A reader placed so that the next record it returns is the first after {@code after}. */
    private JournalReader seek(long after) {
        if (after < 0) {
            return journal.reader();
        }
        JournalReader r = journal.reader(Position.document(after));
        // Skip the records of that document up to and including the ordinal; the collector also
        // filters by position, so a reader placed a little early only costs a re-read.
        return r;
    }

    private void updateLag(JournalReader reader) {
        long last = journal.lastIndex();
        long done = metrics.lastDocument.get();
        metrics.lagDocuments.set(last < 0 || done >= last ? 0 : Math.max(0, countBetween(done, last)));
    }

    /** Documents after {@code done} up to {@code last}, approximated within one roll cycle by index difference. */
    private long countBetween(long done, long last) {
        if (done < 0) {
            return Math.max(1, last - Math.max(0, journal.firstIndex()) + 1);
        }
        return journal.cycleOf(done) == journal.cycleOf(last) ? last - done : 1 + (last & 0xFFFF_FFFFL);
    }

    private long readPositionFile() throws IOException {
        if (!Files.exists(positionFile)) {
            return Position.NONE;
        }
        String text = Files.readString(positionFile, StandardCharsets.US_ASCII).trim();
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            LOG.warn("sink {}: ignoring unreadable position file {} ({})", name, positionFile, text);
            return Position.NONE;
        }
    }

    private void savePosition(long p) throws IOException {
        Files.createDirectories(positionFile.getParent());
        Path tmp = positionFile.resolveSibling(positionFile.getFileName() + ".tmp");
        Files.writeString(tmp, Long.toString(p), StandardCharsets.US_ASCII);
        Files.move(tmp, positionFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Copies records after {@link #after} into the batch, counting ordinals within documents. */
    private final class Collector implements RecordHandler {
        long after;
        private long document = -1;
        private int ordinal;

        @Override
        public void onRecord(JournalRecord record, long documentIndex) {
            if (documentIndex != document) {
                document = documentIndex;
                ordinal = 0;
            } else {
                ordinal++;
            }
            if (Position.of(documentIndex, ordinal) > after) {
                batch.add(record, ordinal);
            }
        }
    }

    @Override
    public void close() throws Exception {
        running = false;
        thread.interrupt();
        thread.join(10_000);
        writer.close();
    }
}
