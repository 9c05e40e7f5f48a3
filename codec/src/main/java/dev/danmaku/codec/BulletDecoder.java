package dev.danmaku.codec;

import org.agrona.DirectBuffer;

/**
 * Decodes and validates a BULLET frame (type 0x01), the original design's frame:
 *
 * <pre>
 *  offset  size  field
 *   0      2     magic 0xABCD
 *   2      1     version 0x01
 *   3      1     type 0x01
 *   4      8     timestamp   i64, Unix ms, &gt;= 0
 *  12      8     user id     u64, != 0
 *  20      8     room id     u64, != 0
 *  28      2+n   username    u16 length + UTF-8, n &lt;= 64
 *   .      2+n   content     u16 length + UTF-8, 1 &lt;= n &lt;= 512
 *   .      2+n   colour      u16 length + UTF-8, n &lt;= 32
 * </pre>
 *
 * Reusable; owned by the thread that calls {@link #wrap}. Allocation-free.
 */
public final class BulletDecoder extends BulletView {
    public static final int TIMESTAMP_OFFSET = 4;
    public static final int USER_OFFSET = 12;
    public static final int ROOM_OFFSET = 20;
    public static final int STRINGS_OFFSET = 28;
    /** Smallest valid BULLET frame: fixed fields, three length prefixes and one content byte. */
    public static final int MIN_LENGTH = STRINGS_OFFSET + 6 + 1;

    private int frameLength;

    /**
     * Validates the frame at {@code offset} and positions this view on it.
     *
     * @return {@link Protocol#OK} or an {@link ErrorCode#code()}; on error the view is undefined
     */
    public int wrap(DirectBuffer buffer, int offset, int length) {
        int status = Frames.expect(buffer, offset, length, FrameType.BULLET);
        if (status != Protocol.OK) {
            return status;
        }
        if (length < STRINGS_OFFSET) {
            return ErrorCode.TRUNCATED.code();
        }
        this.buffer = buffer;
        this.sequence = 0;
        timestamp = buffer.getLong(offset + TIMESTAMP_OFFSET, Protocol.ORDER);
        userId = buffer.getLong(offset + USER_OFFSET, Protocol.ORDER);
        roomId = buffer.getLong(offset + ROOM_OFFSET, Protocol.ORDER);
        int end = offset + length;
        int p = parseStrings(buffer, offset + STRINGS_OFFSET, end);
        if (p < 0) {
            return -p;
        }
        if (p != end) {
            return ErrorCode.TRAILING_BYTES.code();
        }
        if (timestamp < 0 || userId == 0 || roomId == 0) {
            return ErrorCode.INVALID_FIELD.code();
        }
        frameLength = length;
        return Protocol.OK;
    }

    /** Length of the wrapped frame, bytes. */
    public int frameLength() {
        return frameLength;
    }
}
