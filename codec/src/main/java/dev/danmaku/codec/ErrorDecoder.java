package dev.danmaku.codec;

import org.agrona.DirectBuffer;

/**
 * Decodes ERROR (0x11): why a request failed, and what it referred to.
 *
 * <pre>
 *  offset  size  field
 *   0      4     preamble
 *   4      2     code            u16, an ErrorCode (!= 0)
 *   6      1     ref type        u8, type of the frame this answers (0 = none, e.g. a close reason)
 *   7      8     ref timestamp   i64, that frame's timestamp (0 = none)
 *  15      8     room id         u64 (0 = none)
 *  23      4     retry after     u32, ms to wait before retrying (0 = not retriable / no hint)
 *  27      2+n   reason          u16 length + UTF-8, n &lt;= 256
 * </pre>
 */
public final class ErrorDecoder {
    public static final int REASON_OFFSET = 27;

    private DirectBuffer buffer;
    private int code;
    private int refType;
    private long refTimestamp;
    private long roomId;
    private long retryAfterMs;
    private int reasonOffset;
    private int reasonLength;

    /** @return {@link Protocol#OK} or an {@link ErrorCode#code()} */
    public int wrap(DirectBuffer buffer, int offset, int length) {
        int status = Frames.expect(buffer, offset, length, FrameType.ERROR);
        if (status != Protocol.OK) {
            return status;
        }
        if (length < REASON_OFFSET + 2) {
            return ErrorCode.TRUNCATED.code();
        }
        int end = offset + length;
        int p = Frames.string(buffer, offset + REASON_OFFSET, end, 0, Protocol.MAX_REASON_LENGTH);
        if (p < 0) {
            return -p;
        }
        if (p != end) {
            return ErrorCode.TRAILING_BYTES.code();
        }
        this.buffer = buffer;
        code = buffer.getShort(offset + 4, Protocol.ORDER) & 0xFFFF;
        refType = buffer.getByte(offset + 6) & 0xFF;
        refTimestamp = buffer.getLong(offset + 7, Protocol.ORDER);
        roomId = buffer.getLong(offset + 15, Protocol.ORDER);
        retryAfterMs = buffer.getInt(offset + 23, Protocol.ORDER) & 0xFFFF_FFFFL;
        reasonOffset = offset + REASON_OFFSET + 2;
        reasonLength = p - reasonOffset;
        if (code == 0 || refTimestamp < 0) {
            return ErrorCode.INVALID_FIELD.code();
        }
        return Protocol.OK;
    }

    /** The numeric code; {@link ErrorCode#of(int)} maps it (null for a code this build does not know). */
    public int code() {
        return code;
    }

    public int refType() {
        return refType;
    }

    public long refTimestamp() {
        return refTimestamp;
    }

    public long roomId() {
        return roomId;
    }

    public long retryAfterMs() {
        return retryAfterMs;
    }

    public int reasonOffset() {
        return reasonOffset;
    }

    public int reasonLength() {
        return reasonLength;
    }

    public DirectBuffer buffer() {
        return buffer;
    }

    /** The reason as a new String (allocates). */
    public String reason() {
        return Utf8.toString(buffer, reasonOffset, reasonLength);
    }
}
