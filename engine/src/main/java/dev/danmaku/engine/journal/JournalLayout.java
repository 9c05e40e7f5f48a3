package dev.danmaku.engine.journal;

import dev.danmaku.codec.BatchLayout;
import dev.danmaku.codec.Protocol;

import java.nio.ByteOrder;

/**
 * Byte layout of one journal document: the payload of one Chronicle Queue excerpt, written by
 * {@link JournalWriter#commit()} once per ring batch. Chronicle adds its own 4-byte excerpt header
 * (length + ready/metadata bits) in front; everything below is ours.
 *
 * <p>All multi-byte integers are <b>big-endian</b> ({@link Protocol#ORDER}), the codec's wire order, so
 * the batch-entry part of a BULLET record is byte-for-byte a codec BATCH payload entry
 * ({@link BatchLayout}) and can be copied without re-encoding. Unsigned fields (u8/u16/u32/u64) are
 * stored in Java's signed types and must be read as unsigned.
 *
 * <pre>
 * document
 *  offset  size  field
 *   0      2     record count   u16, &gt;= 1
 *   2      n     records, back to back, no padding
 *
 * every record starts with
 *   0      1     kind           u8: 1 BULLET, 2 ROOM (created), 3 EPOCH
 *   1      2     length         u16, bytes of the whole record, this header included; a reader
 *                               skips a record it does not understand by this length
 *
 * BULLET (kind 1), 54 + n1 + n2 + n3 bytes
 *   3      8     room id        u64
 *  11      4     epoch          u32
 *  15      8     sequence       u64, the room's sequence within the epoch, &gt;= 1
 *  23      8     accept time    i64, node clock, Unix ms
 *  31      1     user level     u8
 *  32      ---   batch entry, exactly a codec BATCH payload entry:
 *  32      8       timestamp    i64, client send time, Unix ms
 *  40      8       user id      u64
 *  48      2+n1    username     u16 length + UTF-8, n1 &lt;= 64
 *  ..      2+n2    content      u16 length + UTF-8, 1 &lt;= n2 &lt;= 512
 *  ..      2+n3    colour       u16 length + UTF-8, n3 &lt;= 32
 *
 * ROOM (kind 2): a room was created, 23 bytes
 *   3      8     room id        u64
 *  11      4     epoch          u32, the room's first epoch
 *  15      8     create time    i64, node clock, Unix ms
 *
 * EPOCH (kind 3): a room started a new epoch (its sequence restarts at 1), 24 bytes
 *   3      8     room id        u64
 *  11      4     new epoch      u32
 *  15      1     reason         u8, {@link EpochReason#code()}
 *  16      8     time           i64, node clock, Unix ms
 *
 * RELEASED (kind 4): the room left this node (handed to another one in a cluster), 31 bytes
 *   3      8     room id        u64
 *  11      4     epoch          u32, the room's epoch here
 *  15      8     last sequence  u64, the last sequence this node assigned
 *  23      8     time           i64, node clock, Unix ms
 *
 * ADOPTED (kind 5): the room came to this node from another one, 36 bytes; it continues under the
 * new epoch, its next bullet has sequence base + 1
 *   3      8     room id        u64
 *  11      4     epoch          u32, the room's new epoch here
 *  15      8     base sequence  u64, the previous owner's last sequence
 *  23      4     previous epoch u32, the epoch at the previous owner
 *  27      8     time           i64, node clock, Unix ms
 *  35      1     reason         u8, {@link EpochReason#code()}: MIGRATION (handed over: the previous
 *                               epoch ended exactly at base) or HISTORY_LOST (rebuilt from the sinks
 *                               after its owner died: the previous epoch may have gone on)
 * </pre>
 *
 * The brief lists the BULLET fields as room, epoch, seq, timestamp, user, accept time, level, strings;
 * accept time and level are stored <em>before</em> the client timestamp so that timestamp, user id
 * and the three strings form one contiguous range (the batch entry) that a single
 * {@code putBytes} copies into a BATCH payload.
 */
public final class JournalLayout {
    private JournalLayout() {
    }

    /** Byte order of every integer in a document. */
    public static final ByteOrder ORDER = Protocol.ORDER;

    public static final int DOCUMENT_COUNT_OFFSET = 0;
    public static final int DOCUMENT_HEADER_LENGTH = 2;
    /** Records in one document (the u16 count). */
    public static final int MAX_RECORDS_PER_DOCUMENT = 0xFFFF;

    public static final int KIND_OFFSET = 0;
    public static final int LENGTH_OFFSET = 1;
    public static final int RECORD_HEADER_LENGTH = 3;

    public static final int KIND_BULLET = 1;
    public static final int KIND_ROOM = 2;
    public static final int KIND_EPOCH = 3;
    public static final int KIND_RELEASED = 4;
    public static final int KIND_ADOPTED = 5;

    /** Room id offset, every kind. */
    public static final int ROOM_OFFSET = 3;
    /** Epoch offset, every kind. */
    public static final int EPOCH_OFFSET = 11;

    public static final int BULLET_SEQUENCE_OFFSET = 15;
    public static final int BULLET_ACCEPT_TIME_OFFSET = 23;
    public static final int BULLET_LEVEL_OFFSET = 31;
    public static final int BULLET_ENTRY_OFFSET = 32;
    public static final int BULLET_TIMESTAMP_OFFSET = BULLET_ENTRY_OFFSET;
    public static final int BULLET_USER_OFFSET = BULLET_ENTRY_OFFSET + 8;
    public static final int BULLET_NAME_OFFSET = BULLET_ENTRY_OFFSET + 16;
    /** Bytes of a BULLET record with three empty strings. */
    public static final int BULLET_FIXED_LENGTH = BULLET_ENTRY_OFFSET + BatchLayout.ENTRY_FIXED_LENGTH;
    /** Largest BULLET record, bytes. */
    public static final int MAX_BULLET_LENGTH = BULLET_ENTRY_OFFSET + BatchLayout.MAX_ENTRY_LENGTH;

    public static final int ROOM_CREATE_TIME_OFFSET = 15;
    public static final int ROOM_LENGTH = 23;

    public static final int EPOCH_REASON_OFFSET = 15;
    public static final int EPOCH_TIME_OFFSET = 16;
    public static final int EPOCH_LENGTH = 24;

    public static final int RELEASED_LAST_SEQUENCE_OFFSET = 15;
    public static final int RELEASED_TIME_OFFSET = 23;
    public static final int RELEASED_LENGTH = 31;

    public static final int ADOPTED_BASE_OFFSET = 15;
    public static final int ADOPTED_PREVIOUS_EPOCH_OFFSET = 23;
    public static final int ADOPTED_TIME_OFFSET = 27;
    public static final int ADOPTED_REASON_OFFSET = 35;
    public static final int ADOPTED_LENGTH = 36;

    /** Smallest record of any kind, bytes. */
    public static final int MIN_RECORD_LENGTH = ROOM_LENGTH;

    /** Length of a BULLET record with strings of these UTF-8 lengths, bytes. */
    public static int bulletLength(final int nameLength, final int contentLength, final int colorLength) {
        return BULLET_FIXED_LENGTH + nameLength + contentLength + colorLength;
    }
}
