package dev.danmaku.engine.sink;

import dev.danmaku.engine.journal.JournalRecord;
import org.agrona.ExpandableArrayBuffer;

/**
 * Journal records copied out of the journal for one sink write, with each record's position
 * (document index, ordinal within the document). Copies, so a sink may retry a write after the
 * journal reader has moved on. Owned by one tailer thread; reused from batch to batch.
 */
public final class RecordBatch {
    private final ExpandableArrayBuffer bytes = new ExpandableArrayBuffer(64 * 1024);
    private int[] offsets = new int[256];
    private int[] lengths = new int[256];
    private long[] documents = new long[256];
    private int[] ordinals = new int[256];
    private int count;
    private int used;
    private final JournalRecord view = new JournalRecord();

    void clear() {
        count = 0;
        used = 0;
    }

    void add(JournalRecord r, int ordinal) {
        if (count == offsets.length) {
            int n = count * 2;
            offsets = java.util.Arrays.copyOf(offsets, n);
            lengths = java.util.Arrays.copyOf(lengths, n);
            documents = java.util.Arrays.copyOf(documents, n);
            ordinals = java.util.Arrays.copyOf(ordinals, n);
        }
        bytes.putBytes(used, r.buffer(), r.offset(), r.length());
        offsets[count] = used;
        lengths[count] = r.length();
        documents[count] = r.documentIndex();
        ordinals[count] = ordinal;
        used += r.length();
        count++;
    }

    /** Records in the batch. */
    public int size() {
        return count;
    }

    /** The {@code i}-th record, as a view valid until the next call. */
    public JournalRecord record(int i) {
        view.wrap(bytes, offsets[i], offsets[i] + lengths[i], documents[i]);
        return view;
    }

    /** Journal document of the {@code i}-th record. */
    public long document(int i) {
        return documents[i];
    }

    /** Ordinal of the {@code i}-th record within its document. */
    public int ordinal(int i) {
        return ordinals[i];
    }

    /** Position of the {@code i}-th record as one comparable number (see {@link Position}). */
    public long position(int i) {
        return Position.of(documents[i], ordinals[i]);
    }
}
