package dev.danmaku.codec;

import org.agrona.DirectBuffer;

/**
 * Decodes JOIN (0x05): start receiving a room's bullets, optionally resuming after a known
 * (epoch, sequence) or with the most recent bullets first.
 *
 * <pre>
 *  offset  size  field
 *   0      4     preamble
 *   4      8     timestamp   i64, Unix ms
 *  12      8     user id     u64 (0 = anonymous viewer)
 *  20      8     room id     u64, != 0
 *  28      1     flags       bit 0 = RESUME; other bits 0
 *  29      4     epoch       u32, the epoch of last seq (0 unless RESUME)
 *  33      8     last seq    u64, last sequence the viewer holds (0 unless RESUME)
 *  41      2     history     u16, recent bullets wanted when not resuming, &lt;= 10000
 * </pre>
 *
 * Reusable; owned by the thread that calls {@link #wrap}. Allocation-free.
 */
public final class JoinDecoder {
    public static final int FLAGS_OFFSET = 28;
    public static final int EPOCH_OFFSET = 29;
    public static final int LAST_SEQ_OFFSET = 33;
    public static final int HISTORY_OFFSET = 41;
    public static final int LENGTH = 43;
    public static final int FLAG_RESUME = 0x01;

    private long timestamp;
    private long userId;
    private long roomId;
    private int flags;
    private long epoch;
    private long lastSequence;
    private int history;

    /** @return {@link Protocol#OK} or an {@link ErrorCode#code()} */
    public int wrap(DirectBuffer buffer, int offset, int length) {
        int status = Frames.expect(buffer, offset, length, FrameType.JOIN);
        if (status == Protocol.OK) {
            status = Frames.exact(length, LENGTH);
        }
        if (status != Protocol.OK) {
            return status;
        }
        timestamp = buffer.getLong(offset + 4, Protocol.ORDER);
        userId = buffer.getLong(offset + 12, Protocol.ORDER);
        roomId = buffer.getLong(offset + 20, Protocol.ORDER);
        flags = buffer.getByte(offset + FLAGS_OFFSET) & 0xFF;
        epoch = buffer.getInt(offset + EPOCH_OFFSET, Protocol.ORDER) & 0xFFFF_FFFFL;
        lastSequence = buffer.getLong(offset + LAST_SEQ_OFFSET, Protocol.ORDER);
        history = buffer.getShort(offset + HISTORY_OFFSET, Protocol.ORDER) & 0xFFFF;
        boolean resume = (flags & FLAG_RESUME) != 0;
        if (timestamp < 0 || roomId == 0 || (flags & ~FLAG_RESUME) != 0 || history > Protocol.MAX_JOIN_HISTORY
                || lastSequence < 0 || (!resume && (epoch != 0 || lastSequence != 0))) {
            return ErrorCode.INVALID_FIELD.code();
        }
        return Protocol.OK;
    }

    public long timestamp() {
        return timestamp;
    }

    public long userId() {
        return userId;
    }

    public long roomId() {
        return roomId;
    }

    public int flags() {
        return flags;
    }

    public boolean resume() {
        return (flags & FLAG_RESUME) != 0;
    }

    /** Epoch of {@link #lastSequence()} (u32 as a long). */
    public long epoch() {
        return epoch;
    }

    public long lastSequence() {
        return lastSequence;
    }

    public int history() {
        return history;
    }
}
