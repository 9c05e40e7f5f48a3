package dev.danmaku.codec;

import org.agrona.DirectBuffer;

/**
 * Decodes AUTH (0x07): a signed token (compact JWS, HS256) that identifies the sender.
 *
 * <pre>
 *  offset  size  field
 *   0      4     preamble
 *   4      8     timestamp  i64, Unix ms
 *  12      2+n   token      u16 length + bytes, 1 &lt;= n &lt;= 2048, printable ASCII (0x21-0x7E)
 * </pre>
 *
 * Reusable; owned by the thread that calls {@link #wrap}. Allocation-free.
 */
public final class AuthDecoder {
    public static final int TOKEN_OFFSET = 12;

    private DirectBuffer buffer;
    private long timestamp;
    private int tokenOffset;
    private int tokenLength;

    /** @return {@link Protocol#OK} or an {@link ErrorCode#code()} */
    public int wrap(DirectBuffer buffer, int offset, int length) {
        int status = Frames.expect(buffer, offset, length, FrameType.AUTH);
        if (status != Protocol.OK) {
            return status;
        }
        if (length < TOKEN_OFFSET + 2) {
            return ErrorCode.TRUNCATED.code();
        }
        int end = offset + length;
        int p = Frames.string(buffer, offset + TOKEN_OFFSET, end, 1, Protocol.MAX_TOKEN_LENGTH);
        if (p < 0) {
            return -p;
        }
        if (p != end) {
            return ErrorCode.TRAILING_BYTES.code();
        }
        this.buffer = buffer;
        timestamp = buffer.getLong(offset + 4, Protocol.ORDER);
        tokenOffset = offset + TOKEN_OFFSET + 2;
        tokenLength = p - tokenOffset;
        for (int i = tokenOffset; i < p; i++) {
            byte b = buffer.getByte(i);
            if (b < 0x21 || b > 0x7E) {
                return ErrorCode.INVALID_FIELD.code();
            }
        }
        if (timestamp < 0) {
            return ErrorCode.INVALID_FIELD.code();
        }
        return Protocol.OK;
    }

    public DirectBuffer buffer() {
        return buffer;
    }

    public long timestamp() {
        return timestamp;
    }

    public int tokenOffset() {
        return tokenOffset;
    }

    public int tokenLength() {
        return tokenLength;
    }

    /** The token as a new String (allocates). */
    public String token() {
        return buffer.getStringWithoutLengthAscii(tokenOffset, tokenLength);
    }
}
