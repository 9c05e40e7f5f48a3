package dev.danmaku.codec;

import org.agrona.DirectBuffer;

/**
 * Decodes JOINED (0x16), the node's answer to JOIN. It says exactly what the viewer will get:
 * the next BATCH it receives for this room starts at {@code next seq} in {@code epoch}.
 *
 * <pre>
 *  offset  size  field
 *   0      4     preamble
 *   4      8     room id    u64, != 0
 *  12      4     epoch      u32, the room's current epoch
 *  16      1     status     u8: 0 LIVE (no resume asked), 1 RECOVERED (every bullet after the
 *                           viewer's last seq follows, none missing), 2 NOT_RECOVERED (the asked
 *                           range is gone or from another epoch; what follows starts at next seq)
 *  17      8     last seq   u64, the room's last assigned sequence
 *  25      8     next seq   u64, first sequence the viewer will be sent (&gt;= 1)
 * </pre>
 */
public final class JoinedDecoder {
    public static final int LENGTH = 33;
    public static final int STATUS_LIVE = 0;
    public static final int STATUS_RECOVERED = 1;
    public static final int STATUS_NOT_RECOVERED = 2;

    private long roomId;
    private long epoch;
    private int status;
    private long lastSequence;
    private long nextSequence;

    /** @return {@link Protocol#OK} or an {@link ErrorCode#code()} */
    public int wrap(DirectBuffer buffer, int offset, int length) {
        int st = Frames.expect(buffer, offset, length, FrameType.JOINED);
        if (st == Protocol.OK) {
            st = Frames.exact(length, LENGTH);
        }
        if (st != Protocol.OK) {
            return st;
        }
        roomId = buffer.getLong(offset + 4, Protocol.ORDER);
        epoch = buffer.getInt(offset + 12, Protocol.ORDER) & 0xFFFF_FFFFL;
        status = buffer.getByte(offset + 16) & 0xFF;
        lastSequence = buffer.getLong(offset + 17, Protocol.ORDER);
        nextSequence = buffer.getLong(offset + 25, Protocol.ORDER);
        if (roomId == 0 || status > STATUS_NOT_RECOVERED || lastSequence < 0 || nextSequence < 1) {
            return ErrorCode.INVALID_FIELD.code();
        }
        return Protocol.OK;
    }

    public long roomId() {
        return roomId;
    }

    public long epoch() {
        return epoch;
    }

    public int status() {
        return status;
    }

    public long lastSequence() {
        return lastSequence;
    }

    public long nextSequence() {
        return nextSequence;
    }
}
