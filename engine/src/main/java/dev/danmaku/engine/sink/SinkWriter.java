package dev.danmaku.engine.sink;

/**
 * A backend a {@link JournalTailer} feeds. Writes must be idempotent by (room, sequence): after a
 * failure or a crash the tailer writes the same records again.
 */
public interface SinkWriter extends AutoCloseable {
    /**
     * Where to resume: the position of the last record the backend already holds, or
     * {@link Position#NONE}. Called on the tailer thread before the first write and after every
     * failure; the tailer takes the later of this and its saved position file.
     */
    default long recoverPosition() throws Exception {
        return Position.NONE;
    }

    /** Writes every record of the batch (the tailer retries the whole batch if this throws). */
    void write(RecordBatch batch) throws Exception;

    @Override
    default void close() throws Exception {
    }
}
