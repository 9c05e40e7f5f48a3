package dev.danmaku.engine.journal;

import dev.danmaku.codec.BatchEncoder;
import dev.danmaku.codec.Protocol;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.charset.StandardCharsets;

import static dev.danmaku.engine.journal.JournalLayout.*;

/**
 * A reusable read-only flyweight over one record of a journal document ({@link JournalLayout}).
 *
 * <p>Owned by the thread that wraps it (a {@link JournalReader}'s thread). Valid until the next wrap:
 * the underlying memory is Chronicle's mapped file, so do not keep a record, or its buffer, past the
 * {@link RecordHandler} call that received it. Accessors that do not apply to the record's kind
 * return whatever bytes are at that offset; check {@link #kind()} first.
 */
public final class JournalRecord {
    private DirectBuffer buffer;
    private int offset;
    private int length;
    private int kind;
    private long documentIndex;
    private int nameOffset;
    private int nameLength;
    private int contentOffset;
    private int contentLength;
    private int colorOffset;
    private int colorLength;

    /**
     * Points this view at the record starting at {@code offset}, checking that it lies within
     * {@code limit} and that its strings lie within the record.
     *
     * @return the offset just after the record
     * @throws JournalFormatException if the record is malformed
     */
    public int wrap(final DirectBuffer buffer, final int offset, final int limit, final long documentIndex) {
        if (limit - offset < RECORD_HEADER_LENGTH) {
            throw new JournalFormatException("truncated record header", documentIndex, offset);
        }
        final int kind = buffer.getByte(offset + KIND_OFFSET) & 0xFF;
        final int length = buffer.getShort(offset + LENGTH_OFFSET, ORDER) & 0xFFFF;
        if (length < RECORD_HEADER_LENGTH || length > limit - offset) {
            throw new JournalFormatException("record length " + length + " outside the document", documentIndex, offset);
        }
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        this.kind = kind;
        this.documentIndex = documentIndex;
        switch (kind) {
            case KIND_BULLET:
                wrapBullet();
                break;
            case KIND_ROOM:
                requireLength(ROOM_LENGTH);
                break;
            case KIND_EPOCH:
                requireLength(EPOCH_LENGTH);
                break;
            case KIND_RELEASED:
                requireLength(RELEASED_LENGTH);
                break;
            case KIND_ADOPTED:
                requireLength(ADOPTED_LENGTH);
                break;
            default:
                // A kind from a newer writer: readable as kind + length only; handlers skip it.
                break;
        }
        return offset + length;
    }

    private void requireLength(final int minimum) {
        if (length < minimum) {
            throw new JournalFormatException("record of kind " + kind + " shorter than " + minimum, documentIndex, offset);
        }
    }

    private void wrapBullet() {
        requireLength(BULLET_FIXED_LENGTH);
        final int end = offset + length;
        nameOffset = offset + BULLET_NAME_OFFSET + 2;
        nameLength = stringLength(nameOffset - 2, end);
        contentOffset = nameOffset + nameLength + 2;
        contentLength = stringLength(contentOffset - 2, end);
        colorOffset = contentOffset + contentLength + 2;
        colorLength = stringLength(colorOffset - 2, end);
        if (colorOffset + colorLength != end) {
            throw new JournalFormatException("bullet strings do not fill the record", documentIndex, offset);
        }
    }

    private int stringLength(final int prefixOffset, final int end) {
        if (end - prefixOffset < 2) {
            throw new JournalFormatException("bullet string prefix outside the record", documentIndex, offset);
        }
        final int n = buffer.getShort(prefixOffset, ORDER) & 0xFFFF;
        if (n > end - prefixOffset - 2) {
            throw new JournalFormatException("bullet string outside the record", documentIndex, offset);
        }
        return n;
    }

    /** {@link JournalLayout#KIND_BULLET}, {@link JournalLayout#KIND_ROOM}, {@link JournalLayout#KIND_EPOCH}, or an unknown kind. */
    public int kind() {
        return kind;
    }

    /** RELEASED: the last sequence the node assigned before the room left. */
    public long releasedLastSequence() {
        return buffer.getLong(offset + RELEASED_LAST_SEQUENCE_OFFSET, ORDER);
    }

    /** ADOPTED: the previous owner's last sequence (this node's first is base + 1). */
    public long adoptedBaseSequence() {
        return buffer.getLong(offset + ADOPTED_BASE_OFFSET, ORDER);
    }

    /** ADOPTED: why ({@link EpochReason#MIGRATION} exact handoff, {@link EpochReason#HISTORY_LOST} rebuilt from sinks). */
    public EpochReason adoptedReason() {
        return EpochReason.fromCode(buffer.getByte(offset + ADOPTED_REASON_OFFSET) & 0xFF);
    }

    /** ADOPTED: the room's epoch at the previous owner. */
    public long adoptedPreviousEpoch() {
        return buffer.getInt(offset + ADOPTED_PREVIOUS_EPOCH_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    /** Chronicle index of the document this record is in. */
    public long documentIndex() {
        return documentIndex;
    }

    /** The buffer all offsets refer to. */
    public DirectBuffer buffer() {
        return buffer;
    }

    /** Offset of the record (its kind byte) in {@link #buffer()}. */
    public int offset() {
        return offset;
    }

    /** Bytes of the whole record. */
    public int length() {
        return length;
    }

    /** Room id (u64), every kind. */
    public long roomId() {
        return buffer.getLong(offset + ROOM_OFFSET, ORDER);
    }

    /** Epoch (u32) of a BULLET or ROOM; the new epoch of an EPOCH record. */
    public long epoch() {
        return buffer.getInt(offset + EPOCH_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    /** BULLET: the room sequence within the epoch. */
    public long sequence() {
        return buffer.getLong(offset + BULLET_SEQUENCE_OFFSET, ORDER);
    }

    /** BULLET: when the node accepted it, node clock, Unix ms. */
    public long acceptTimeMs() {
        return buffer.getLong(offset + BULLET_ACCEPT_TIME_OFFSET, ORDER);
    }

    /** BULLET: the sender's level (u8). */
    public int userLevel() {
        return buffer.getByte(offset + BULLET_LEVEL_OFFSET) & 0xFF;
    }

    /** BULLET: client send time, Unix ms. */
    public long clientTimestamp() {
        return buffer.getLong(offset + BULLET_TIMESTAMP_OFFSET, ORDER);
    }

    /** BULLET: sender id (u64). */
    public long userId() {
        return buffer.getLong(offset + BULLET_USER_OFFSET, ORDER);
    }

    public int nameOffset() {
        return nameOffset;
    }

    public int nameLength() {
        return nameLength;
    }

    public int contentOffset() {
        return contentOffset;
    }

    public int contentLength() {
        return contentLength;
    }

    public int colorOffset() {
        return colorOffset;
    }

    public int colorLength() {
        return colorLength;
    }

    /** ROOM: creation time, node clock, Unix ms. */
    public long createTimeMs() {
        return buffer.getLong(offset + ROOM_CREATE_TIME_OFFSET, ORDER);
    }

    /** EPOCH: the reason code (u8), see {@link EpochReason#fromCode}. */
    public int epochReasonCode() {
        return buffer.getByte(offset + EPOCH_REASON_OFFSET) & 0xFF;
    }

    /** EPOCH: when the epoch started, node clock, Unix ms. */
    public long epochTimeMs() {
        return buffer.getLong(offset + EPOCH_TIME_OFFSET, ORDER);
    }

    /**
     * BULLET: offset in {@link #buffer()} of the batch entry (timestamp, user id, username, content,
     * colour), which is byte-for-byte a codec BATCH payload entry.
     */
    public int entryOffset() {
        return offset + BULLET_ENTRY_OFFSET;
    }

    /** BULLET: bytes of the batch entry. */
    public int entryLength() {
        return length - BULLET_ENTRY_OFFSET;
    }

    /**
     * BULLET: copies the batch entry to {@code dst} at {@code dstOffset} (one {@code putBytes}, no
     * allocation).
     *
     * @return bytes copied ({@link #entryLength()})
     */
    public int copyEntry(final MutableDirectBuffer dst, final int dstOffset) {
        final int n = entryLength();
        dst.putBytes(dstOffset, buffer, entryOffset(), n);
        return n;
    }

    /**
     * BULLET: adds this bullet to a BATCH being built (the fan-out stage's path into history and
     * viewers). No allocation.
     *
     * @return false, adding nothing, if the batch is full
     */
    public boolean addTo(final BatchEncoder encoder) {
        return encoder.add(clientTimestamp(), userId(), buffer, nameOffset, nameLength,
                contentOffset, contentLength, colorOffset, colorLength);
    }

    /** The username as a new String (allocates; tests and tools). */
    public String name() {
        return string(nameOffset, nameLength);
    }

    /** The content as a new String (allocates; tests and tools). */
    public String content() {
        return string(contentOffset, contentLength);
    }

    /** The colour as a new String (allocates; tests and tools). */
    public String color() {
        return string(colorOffset, colorLength);
    }

    private String string(final int at, final int n) {
        final byte[] bytes = new byte[n];
        buffer.getBytes(at, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Allocates; for logs and test failures. */
    @Override
    public String toString() {
        switch (kind) {
            case KIND_BULLET:
                return "BULLET{room=" + Long.toUnsignedString(roomId()) + ", epoch=" + epoch() + ", seq=" + sequence()
                        + ", ts=" + clientTimestamp() + ", user=" + Long.toUnsignedString(userId())
                        + ", accept=" + acceptTimeMs() + ", level=" + userLevel() + ", name=" + name()
                        + ", content=" + content() + ", color=" + color() + '}';
            case KIND_ROOM:
                return "ROOM{room=" + Long.toUnsignedString(roomId()) + ", epoch=" + epoch() + ", created=" + createTimeMs() + '}';
            case KIND_EPOCH:
                return "EPOCH{room=" + Long.toUnsignedString(roomId()) + ", epoch=" + epoch()
                        + ", reason=" + EpochReason.fromCode(epochReasonCode()) + ", at=" + epochTimeMs() + '}';
            default:
                return "UNKNOWN{kind=" + kind + ", length=" + length + '}';
        }
    }

    static void checkStringLengths(final int nameLength, final int contentLength, final int colorLength) {
        if (nameLength < 0 || nameLength > Protocol.MAX_NAME_LENGTH
                || contentLength < 0 || contentLength > Protocol.MAX_CONTENT_LENGTH
                || colorLength < 0 || colorLength > Protocol.MAX_COLOR_LENGTH) {
            throw new IllegalArgumentException("string length out of protocol range: name=" + nameLength
                    + " content=" + contentLength + " color=" + colorLength);
        }
    }
}
