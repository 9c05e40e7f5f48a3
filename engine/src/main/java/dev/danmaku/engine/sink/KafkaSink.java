package dev.danmaku.engine.sink;

import dev.danmaku.engine.journal.Journal;
import org.agrona.concurrent.EpochClock;

import java.nio.file.Path;

/**
 * The Kafka sink of a node: a {@link JournalTailer} (own thread {@code danmaku-sink-kafka}, position
 * saved in {@code DATA_DIR/sinks/kafka.position}) feeding a {@link KafkaSinkWriter}. Built and
 * closed on the node's lifecycle thread; {@link #lag}, {@link #ageMs} and {@link #degraded} from any
 * thread (metrics, /health).
 */
public final class KafkaSink implements AutoCloseable {
    /** The sink's name: thread, metrics label, position file. */
    public static final String NAME = "kafka";

    private final KafkaSinkSettings settings;
    private final KafkaSinkWriter writer;
    private final JournalTailer tailer;
    private final EpochClock clock;
    private final long startedMs;

    private KafkaSink(KafkaSinkSettings settings, Journal journal, Path dataDir, EpochClock clock) {
        this.settings = settings;
        this.clock = clock;
        this.startedMs = clock.time();
        this.writer = new KafkaSinkWriter(settings);
        this.tailer = new JournalTailer(NAME, journal, writer, dataDir.resolve("sinks").resolve(NAME + ".position"),
                settings.batchRecords(), new SinkMetrics(NAME));
    }

    /** Starts the sink's thread; it connects (and retries) on its own, so this never blocks on Kafka. */
    public static KafkaSink start(KafkaSinkSettings settings, Journal journal, Path dataDir, EpochClock clock) {
        KafkaSink s = new KafkaSink(settings, journal, dataDir, clock);
        s.tailer.start();
        return s;
    }

    public SinkMetrics metrics() {
        return tailer.metrics();
    }

    public KafkaSinkSettings settings() {
        return settings;
    }

    /** Journal documents committed and not yet in Kafka. */
    public long lag() {
        return tailer.metrics().lagDocuments.get();
    }

    /**
     * How far behind the sink is, ms: 0 when caught up, else the age of the last bullet written
     * (an upper bound for the oldest unwritten one's age, within one write); the time since the sink
     * started if it has written nothing yet.
     */
    public long ageMs() {
        if (lag() == 0) {
            return 0;
        }
        long last = tailer.metrics().lastAcceptTimeMs.get();
        return Math.max(0, clock.time() - (last == 0 ? startedMs : last));
    }

    /** Kafka record retries of the sink's producers. */
    public long producerRetries() {
        return writer.producerRetries();
    }

    /** True while Kafka is failing or the sink is further behind than {@code kafka.degraded-after-ms}. */
    public boolean degraded() {
        return tailer.metrics().failing || ageMs() > settings.degradedAfterMs();
    }

    /** Stops the tailer (saving its position) and closes the producer. */
    @Override
    public void close() throws Exception {
        tailer.close();
    }
}
