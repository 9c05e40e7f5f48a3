package dev.danmaku.engine.journal;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.PointerBytesStore;
import net.openhft.chronicle.queue.ExcerptAppender;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

import static dev.danmaku.engine.journal.JournalLayout.*;

/**
 * Builds one journal document per ring batch and appends it with one Chronicle call. Owned by the
 * journal stage thread (the Chronicle appender is created on that thread at the first commit); not
 * thread-safe. Allocation-free after the first commit.
 *
 * <p>Per batch: {@link #appendBullet} / {@link #appendRoom} / {@link #appendEpoch} for each record
 * (each returns false, changing nothing, when the record would not fit: commit and append it to
 * the next document), then {@link #commit()}. Only after {@code commit()} returns may the batch's
 * senders get their ACKs and viewers see the bullets. {@link #begin()} discards an uncommitted
 * document.
 *
 * <p><b>Chronicle API.</b> Records are encoded into a reusable direct buffer (Agrona
 * {@link UnsafeBuffer}), then {@link ExcerptAppender#writeBytes(BytesStore)} is called with a
 * {@link PointerBytesStore} re-pointed at that buffer: one lock, one header write, one memcpy into
 * the mapped file, one header update and index write, and no per-call object. This is cheaper than
 * {@code writingDocument()}, whose {@code DocumentContext} bookkeeping (nesting, rollback, metadata
 * flag, close) buys nothing when the bytes are already laid out; and encoding straight into the
 * mapped file inside {@code writingDocument()} would tie a partly built batch to the file and
 * give up the "whole batch or nothing" property of building it off to the side.
 *
 * <p><b>Sync.</b> With {@link SyncPolicy#FSYNC} the queue's mapped files use
 * {@code SyncMode.SYNC} and {@code commit()} calls {@link ExcerptAppender#sync()}, which
 * {@code msync(MS_SYNC)}s the pages written since the previous sync, before returning.
 */
public final class JournalWriter implements AutoCloseable {
    private final Journal journal;
    private final RoomJournalIndex roomIndex;
    private final boolean fsync;
    private final ByteBuffer direct;
    private final UnsafeBuffer buffer;
    private final PointerBytesStore pointer = BytesStore.nativePointer();
    private final int capacity;
    private final long[] pendingRoom;
    private final long[] pendingEpoch;
    private final long[] pendingSequence;
    private ExcerptAppender appender;

    private int position = DOCUMENT_HEADER_LENGTH;
    private int count;
    private int pending;
    private long lastIndex = Journal.NO_INDEX;
    private long documents;
    private long records;
    private long bytes;

    JournalWriter(final Journal journal, final RoomJournalIndex roomIndex) {
        this.journal = journal;
        this.roomIndex = roomIndex;
        this.fsync = journal.config().syncPolicy() == SyncPolicy.FSYNC;
        this.capacity = journal.config().maxDocumentLength();
        this.direct = ByteBuffer.allocateDirect(capacity);
        this.buffer = new UnsafeBuffer(direct);
        // At most one checkpoint per bullet; a document holds at most this many bullets.
        final int maxBullets = Math.min(MAX_RECORDS_PER_DOCUMENT, (capacity - DOCUMENT_HEADER_LENGTH) / BULLET_FIXED_LENGTH);
        final int pendingCapacity = roomIndex == null ? 0 : maxBullets;
        this.pendingRoom = new long[pendingCapacity];
        this.pendingEpoch = new long[pendingCapacity];
        this.pendingSequence = new long[pendingCapacity];
    }

    /** Discards any records appended since the last commit and starts an empty document. */
    public void begin() {
        position = DOCUMENT_HEADER_LENGTH;
        count = 0;
        pending = 0;
    }

    /**
     * Appends a BULLET record. The strings are UTF-8 ranges of {@code src}, already validated by the
     * codec (lengths within the protocol limits).
     *
     * @param epoch       u32
     * @param userLevel   u8
     * @return false, changing nothing, if the document is full (commit, then append again)
     * @throws IllegalArgumentException if a string length exceeds the protocol limit (a caller bug)
     */
    public boolean appendBullet(final long roomId, final long epoch, final long sequence, final long clientTimestamp,
                                final long userId, final long acceptTimeMs, final int userLevel,
                                final DirectBuffer src, final int nameOffset, final int nameLength,
                                final int contentOffset, final int contentLength,
                                final int colorOffset, final int colorLength) {
        JournalRecord.checkStringLengths(nameLength, contentLength, colorLength);
        final int length = bulletLength(nameLength, contentLength, colorLength);
        if (!fits(length)) {
            return false;
        }
        final UnsafeBuffer b = buffer;
        final int p = position;
        b.putByte(p + KIND_OFFSET, (byte) KIND_BULLET);
        b.putShort(p + LENGTH_OFFSET, (short) length, ORDER);
        b.putLong(p + ROOM_OFFSET, roomId, ORDER);
        b.putInt(p + EPOCH_OFFSET, (int) epoch, ORDER);
        b.putLong(p + BULLET_SEQUENCE_OFFSET, sequence, ORDER);
        b.putLong(p + BULLET_ACCEPT_TIME_OFFSET, acceptTimeMs, ORDER);
        b.putByte(p + BULLET_LEVEL_OFFSET, (byte) userLevel);
        b.putLong(p + BULLET_TIMESTAMP_OFFSET, clientTimestamp, ORDER);
        b.putLong(p + BULLET_USER_OFFSET, userId, ORDER);
        int q = putString(p + BULLET_NAME_OFFSET, src, nameOffset, nameLength);
        q = putString(q, src, contentOffset, contentLength);
        putString(q, src, colorOffset, colorLength);
        position = p + length;
        count++;
        if (roomIndex != null && roomIndex.wants(roomId, epoch, sequence)) {
            pendingRoom[pending] = roomId;
            pendingEpoch[pending] = epoch;
            pendingSequence[pending] = sequence;
            pending++;
        }
        return true;
    }

    /**
     * Appends a ROOM record: the room was created with its first epoch.
     *
     * @return false, changing nothing, if the document is full
     */
    public boolean appendRoom(final long roomId, final long epoch, final long createTimeMs) {
        if (!fits(ROOM_LENGTH)) {
            return false;
        }
        final int p = position;
        buffer.putByte(p + KIND_OFFSET, (byte) KIND_ROOM);
        buffer.putShort(p + LENGTH_OFFSET, (short) ROOM_LENGTH, ORDER);
        buffer.putLong(p + ROOM_OFFSET, roomId, ORDER);
        buffer.putInt(p + EPOCH_OFFSET, (int) epoch, ORDER);
        buffer.putLong(p + ROOM_CREATE_TIME_OFFSET, createTimeMs, ORDER);
        position = p + ROOM_LENGTH;
        count++;
        return true;
    }

    /**
     * Appends an EPOCH record: the room starts {@code newEpoch}; its next bullet has sequence 1.
     *
     * @return false, changing nothing, if the document is full
     */
    public boolean appendEpoch(final long roomId, final long newEpoch, final EpochReason reason, final long timeMs) {
        if (!fits(EPOCH_LENGTH)) {
            return false;
        }
        final int p = position;
        buffer.putByte(p + KIND_OFFSET, (byte) KIND_EPOCH);
        buffer.putShort(p + LENGTH_OFFSET, (short) EPOCH_LENGTH, ORDER);
        buffer.putLong(p + ROOM_OFFSET, roomId, ORDER);
        buffer.putInt(p + EPOCH_OFFSET, (int) newEpoch, ORDER);
        buffer.putByte(p + EPOCH_REASON_OFFSET, (byte) reason.code());
        buffer.putLong(p + EPOCH_TIME_OFFSET, timeMs, ORDER);
        position = p + EPOCH_LENGTH;
        count++;
        return true;
    }

    /**
     * Appends a RELEASED record: the room left this node after {@code lastSequence} of {@code epoch}.
     *
     * @return false, changing nothing, if the document is full
     */
    public boolean appendReleased(final long roomId, final long epoch, final long lastSequence, final long timeMs) {
        if (!fits(RELEASED_LENGTH)) {
            return false;
        }
        final int p = position;
        buffer.putByte(p + KIND_OFFSET, (byte) KIND_RELEASED);
        buffer.putShort(p + LENGTH_OFFSET, (short) RELEASED_LENGTH, ORDER);
        buffer.putLong(p + ROOM_OFFSET, roomId, ORDER);
        buffer.putInt(p + EPOCH_OFFSET, (int) epoch, ORDER);
        buffer.putLong(p + RELEASED_LAST_SEQUENCE_OFFSET, lastSequence, ORDER);
        buffer.putLong(p + RELEASED_TIME_OFFSET, timeMs, ORDER);
        position = p + RELEASED_LENGTH;
        count++;
        return true;
    }

    /**
     * Appends an ADOPTED record: the room came from another node and continues here under
     * {@code epoch} after {@code baseSequence} (the previous owner's last, in {@code previousEpoch}).
     *
     * @return false, changing nothing, if the document is full
     */
    public boolean appendAdopted(final long roomId, final long epoch, final long baseSequence, final long previousEpoch,
                                 final EpochReason reason, final long timeMs) {
        if (!fits(ADOPTED_LENGTH)) {
            return false;
        }
        final int p = position;
        buffer.putByte(p + KIND_OFFSET, (byte) KIND_ADOPTED);
        buffer.putShort(p + LENGTH_OFFSET, (short) ADOPTED_LENGTH, ORDER);
        buffer.putLong(p + ROOM_OFFSET, roomId, ORDER);
        buffer.putInt(p + EPOCH_OFFSET, (int) epoch, ORDER);
        buffer.putLong(p + ADOPTED_BASE_OFFSET, baseSequence, ORDER);
        buffer.putInt(p + ADOPTED_PREVIOUS_EPOCH_OFFSET, (int) previousEpoch, ORDER);
        buffer.putLong(p + ADOPTED_TIME_OFFSET, timeMs, ORDER);
        buffer.putByte(p + ADOPTED_REASON_OFFSET, (byte) reason.code());
        position = p + ADOPTED_LENGTH;
        count++;
        return true;
    }

    /**
     * Appends the document built since the last commit as one Chronicle excerpt and, with
     * {@link SyncPolicy#FSYNC}, forces it to disk. When this returns, the records are journaled:
     * ACK them.
     *
     * <p>If Chronicle throws (disk full, closed queue) the document is kept, so {@code commit()}
     * may be retried; nothing may be ACKed.
     *
     * @return the Chronicle index of the document, or -1 if no record was appended
     */
    public long commit() {
        if (count == 0) {
            return Journal.NO_INDEX;
        }
        buffer.putShort(DOCUMENT_COUNT_OFFSET, (short) count, ORDER);
        ExcerptAppender a = appender;
        if (a == null) {
            a = appender = journal.queue().createAppender();
        }
        pointer.set(buffer.addressOffset(), position);
        a.writeBytes(pointer);
        if (fsync) {
            a.sync();
        }
        final long index = a.lastIndexAppended();
        for (int i = 0; i < pending; i++) {
            roomIndex.record(pendingRoom[i], pendingEpoch[i], pendingSequence[i], index);
        }
        lastIndex = index;
        documents++;
        records += count;
        bytes += position;
        begin();
        return index;
    }

    private boolean fits(final int length) {
        return count < MAX_RECORDS_PER_DOCUMENT && position + length <= capacity;
    }

    private int putString(final int at, final DirectBuffer src, final int offset, final int length) {
        buffer.putShort(at, (short) length, ORDER);
        buffer.putBytes(at + 2, src, offset, length);
        return at + 2 + length;
    }

    /** Records appended since the last commit. */
    public int recordCount() {
        return count;
    }

    /** Bytes of the document built so far, header included. */
    public int documentLength() {
        return position;
    }

    /** Index of the last committed document, or -1. */
    public long lastIndex() {
        return lastIndex;
    }

    /** Documents committed by this writer. */
    public long documentsCommitted() {
        return documents;
    }

    /** Records committed by this writer. */
    public long recordsCommitted() {
        return records;
    }

    /** Document bytes committed by this writer (Chronicle's 4-byte headers excluded). */
    public long bytesCommitted() {
        return bytes;
    }

    /** The Chronicle appender, once created (tests). */
    ExcerptAppender appender() {
        return appender;
    }

    /** Closes the Chronicle appender; an uncommitted document is discarded. */
    @Override
    public void close() {
        if (appender != null) {
            appender.close();
        }
        begin();
    }
}
