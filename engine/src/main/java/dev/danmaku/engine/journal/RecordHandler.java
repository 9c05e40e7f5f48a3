package dev.danmaku.engine.journal;

/**
 * Receives records from {@link JournalReader#read}. Called on the reader's thread.
 */
@FunctionalInterface
public interface RecordHandler {
    /**
     * @param record        a reusable view, valid only during this call: copy what you keep
     * @param documentIndex Chronicle index of the document the record came from (also {@link JournalRecord#documentIndex()})
     */
    void onRecord(JournalRecord record, long documentIndex);
}
