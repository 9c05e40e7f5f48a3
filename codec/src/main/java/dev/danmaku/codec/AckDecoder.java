package dev.danmaku.codec;

import org.agrona.DirectBuffer;

/**
 * Decodes ACK (0x10): the bullet sent at {@code timestamp} is journaled as {@code (epoch, seq)}.
 *
 * <pre>
 *  offset  size  field
 *   0      4     preamble
 *   4      8     timestamp  i64, the bullet's own timestamp (the client's key)
 *  12      8     room id    u64, != 0
 *  20      4     epoch      u32
 *  24      8     sequence   u64, &gt;= 1
 *  32      1     flags      bit 0 = RETRY (this re-acknowledges an earlier copy); other bits 0
 * </pre>
 */
public final class AckDecoder {
    public static final int LENGTH = 33;
    public static final int FLAG_RETRY = 0x01;

    private long timestamp;
    private long roomId;
    private long epoch;
    private long sequence;
    private int flags;

    /** @return {@link Protocol#OK} or an {@link ErrorCode#code()} */
    public int wrap(DirectBuffer buffer, int offset, int length) {
        int status = Frames.expect(buffer, offset, length, FrameType.ACK);
        if (status == Protocol.OK) {
            status = Frames.exact(length, LENGTH);
        }
        if (status != Protocol.OK) {
            return status;
        }
        timestamp = buffer.getLong(offset + 4, Protocol.ORDER);
        roomId = buffer.getLong(offset + 12, Protocol.ORDER);
        epoch = buffer.getInt(offset + 20, Protocol.ORDER) & 0xFFFF_FFFFL;
        sequence = buffer.getLong(offset + 24, Protocol.ORDER);
        flags = buffer.getByte(offset + 32) & 0xFF;
        if (timestamp < 0 || roomId == 0 || sequence < 1 || (flags & ~FLAG_RETRY) != 0) {
            return ErrorCode.INVALID_FIELD.code();
        }
        return Protocol.OK;
    }

    public long timestamp() {
        return timestamp;
    }

    public long roomId() {
        return roomId;
    }

    public long epoch() {
        return epoch;
    }

    public long sequence() {
        return sequence;
    }

    public int flags() {
        return flags;
    }

    public boolean retry() {
        return (flags & FLAG_RETRY) != 0;
    }
}
