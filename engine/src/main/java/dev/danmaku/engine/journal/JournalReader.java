package dev.danmaku.engine.journal;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.concurrent.UnsafeBuffer;

import static dev.danmaku.engine.journal.JournalLayout.*;

/**
 * Reads journal records in order, from a given document index or from the start, and never blocks:
 * {@link #read} returns 0 when it has caught up with the writer. A torn final document (the writer
 * died mid-append) is never returned: Chronicle treats it as not yet written.
 *
 * <p>Owned by one thread (the Chronicle tailer is created on it at the first call); not
 * thread-safe. Allocation-free in steady state: records are delivered through one reusable
 * {@link JournalRecord} flyweight over Chronicle's mapped memory (a document is contiguous there,
 * since it is smaller than Chronicle's mapping overlap; see {@link JournalConfig#MAX_MAX_DOCUMENT_LENGTH}).
 *
 * <p>Delivery is at least once per reader: if a {@link RecordHandler} throws, the exception
 * propagates and the next {@code read} starts again at the record that threw.
 */
public final class JournalReader implements AutoCloseable {
    static final long START = RoomJournalIndex.START;

    private final Journal journal;
    private final JournalRecord record = new JournalRecord();
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private ExcerptTailer tailer;
    private long startIndex;

    /** Offset and ordinal of the next record of a partly delivered document; 0 when between documents. */
    private int resumeOffset;
    private int resumeOrdinal;
    private long lastDocumentIndex = Journal.NO_INDEX;
    private long documentsRead;
    private long recordsRead;

    JournalReader(final Journal journal, final long startIndex) {
        this.journal = journal;
        this.startIndex = startIndex;
    }

    /**
     * Delivers up to {@code maxRecords} records to {@code handler}, in journal order, continuing
     * inside a document where the previous call stopped.
     *
     * @return records delivered; 0 when caught up
     * @throws JournalFormatException if a document is malformed (the reader stays before it)
     */
    public int read(final RecordHandler handler, final int maxRecords) {
        final ExcerptTailer t = tailer();
        int delivered = 0;
        while (delivered < maxRecords) {
            try (DocumentContext dc = t.readingDocument()) {
                if (!dc.isPresent()) {
                    break;
                }
                final Bytes<?> bytes = dc.wire().bytes();
                final long documentIndex = dc.index();
                final long start = bytes.readPosition();
                final int length = (int) bytes.readRemaining();
                view.wrap(bytes.addressForRead(start), length);
                boolean complete = false;
                try {
                    if (length < DOCUMENT_HEADER_LENGTH) {
                        throw new JournalFormatException("document shorter than its header", documentIndex, 0);
                    }
                    final int count = view.getShort(DOCUMENT_COUNT_OFFSET, ORDER) & 0xFFFF;
                    int offset = resumeOffset == 0 ? DOCUMENT_HEADER_LENGTH : resumeOffset;
                    int ordinal = resumeOrdinal;
                    while (ordinal < count && delivered < maxRecords) {
                        final int next = record.wrap(view, offset, length, documentIndex);
                        resumeOffset = offset;
                        resumeOrdinal = ordinal;
                        handler.onRecord(record, documentIndex);
                        offset = next;
                        ordinal++;
                        delivered++;
                    }
                    if (ordinal < count) {
                        resumeOffset = offset;
                        resumeOrdinal = ordinal;
                    } else {
                        if (offset != length) {
                            throw new JournalFormatException("document has " + (length - offset)
                                    + " bytes after its " + count + " records", documentIndex, offset);
                        }
                        complete = true;
                        resumeOffset = 0;
                        resumeOrdinal = 0;
                        documentsRead++;
                    }
                    lastDocumentIndex = documentIndex;
                } finally {
                    if (!complete) {
                        // Stay on this document: the next read resumes at resumeOffset.
                        dc.rollbackOnClose();
                    }
                }
                if (!complete) {
                    break;
                }
            }
        }
        recordsRead += delivered;
        return delivered;
    }

    /**
     * Positions the reader at the document with this index; {@link RoomJournalIndex#START}, or an
     * index before the first retained document, means the start.
     *
     * @return false if that index is after the end of the journal (the reader is then at the end)
     */
    public boolean moveTo(final long index) {
        resumeOffset = 0;
        resumeOrdinal = 0;
        if (tailer == null) {
            startIndex = index;
            tailer();
            return startIndex != Long.MAX_VALUE;
        }
        return position(tailer, index);
    }

    /** Positions the reader at the first retained document. */
    public void toStart() {
        moveTo(START);
    }

    /** Positions the reader after the last complete document (live tailing). */
    public void toEnd() {
        resumeOffset = 0;
        resumeOrdinal = 0;
        tailer().toEnd();
    }

    private ExcerptTailer tailer() {
        ExcerptTailer t = tailer;
        if (t == null) {
            t = tailer = journal.queue().createTailer();
            if (!position(t, startIndex)) {
                startIndex = Long.MAX_VALUE;
            }
        }
        return t;
    }

    private boolean position(final ExcerptTailer t, final long index) {
        final long first = journal.firstIndex();
        if (index == START || first == Journal.NO_INDEX || index <= first) {
            t.toStart();
            return true;
        }
        if (t.moveToIndex(index)) {
            return true;
        }
        t.toEnd();
        return false;
    }

    /** Index of the document the last delivered record came from, or -1. */
    public long lastDocumentIndex() {
        return lastDocumentIndex;
    }

    /**
     * True if the last {@code read} stopped inside a document (because of {@code maxRecords} or a
     * handler exception); the next {@code read} continues there.
     */
    public boolean insideDocument() {
        return resumeOffset != 0;
    }

    /** Documents fully read. */
    public long documentsRead() {
        return documentsRead;
    }

    /** Records delivered. */
    public long recordsRead() {
        return recordsRead;
    }

    @Override
    public void close() {
        if (tailer != null) {
            tailer.close();
        }
    }
}
