package dev.danmaku.codec;

import org.agrona.DirectBuffer;

/**
 * Frame-level checks shared by every decoder: the preamble and length-prefixed strings.
 *
 * <p>Methods return a non-negative value on success and {@code -code} of an {@link ErrorCode}
 * on failure, so the hot path never throws or allocates. Stateless; safe from any thread.
 */
public final class Frames {
    private Frames() {
    }

    /**
     * Checks size, magic, version and type of the frame at {@code offset}.
     *
     * @param maxLength the largest frame this peer accepts, bytes
     * @return the type code (1-255) on success, else {@code -ErrorCode.code()}
     */
    public static int checkPreamble(DirectBuffer buffer, int offset, int length, int maxLength) {
        if (length > maxLength) {
            return -ErrorCode.FRAME_TOO_LARGE.code();
        }
        if (length < 2) {
            return -ErrorCode.TRUNCATED.code();
        }
        if ((buffer.getShort(offset + Protocol.MAGIC_OFFSET, Protocol.ORDER) & 0xFFFF) != Protocol.MAGIC) {
            return -ErrorCode.BAD_MAGIC.code();
        }
        if (length < Protocol.PREAMBLE_LENGTH) {
            return -ErrorCode.TRUNCATED.code();
        }
        if ((buffer.getByte(offset + Protocol.VERSION_OFFSET) & 0xFF) != Protocol.VERSION) {
            return -ErrorCode.BAD_VERSION.code();
        }
        int type = buffer.getByte(offset + Protocol.TYPE_OFFSET) & 0xFF;
        if (FrameType.of(type) == null) {
            return -ErrorCode.UNKNOWN_TYPE.code();
        }
        return type;
    }

    /**
     * The largest frame of this type a peer accepts: {@link Protocol#MAX_SERVER_FRAME_LENGTH} for
     * node-to-client types, {@link Protocol#MAX_CLIENT_FRAME_LENGTH} otherwise.
     */
    public static int maxLength(FrameType type) {
        return type.fromServer() && !type.fromClient() ? Protocol.MAX_SERVER_FRAME_LENGTH : Protocol.MAX_CLIENT_FRAME_LENGTH;
    }

    /**
     * Checks the preamble and that the type is {@code expected}.
     *
     * @return {@link Protocol#OK} or an error code
     */
    static int expect(DirectBuffer buffer, int offset, int length, FrameType expected) {
        int type = checkPreamble(buffer, offset, length, maxLength(expected));
        if (type < 0) {
            return -type;
        }
        return type == expected.code() ? Protocol.OK : ErrorCode.UNEXPECTED_TYPE.code();
    }

    /**
     * Reads a u16 length-prefixed UTF-8 string starting at {@code position}.
     *
     * @param end       first byte past the frame (or payload)
     * @param minLength smallest valid byte length (0 or 1)
     * @param maxLength largest valid byte length
     * @return the position after the string, else {@code -ErrorCode.code()}
     */
    static int string(DirectBuffer buffer, int position, int end, int minLength, int maxLength) {
        if (end - position < 2) {
            return -ErrorCode.TRUNCATED.code();
        }
        int n = buffer.getShort(position, Protocol.ORDER) & 0xFFFF;
        int start = position + 2;
        if (n > end - start) {
            return -ErrorCode.LENGTH_OUT_OF_BOUNDS.code();
        }
        if (n > maxLength) {
            return -ErrorCode.FIELD_TOO_LONG.code();
        }
        if (n < minLength) {
            return -ErrorCode.INVALID_FIELD.code();
        }
        if (!Utf8.isValid(buffer, start, n)) {
            return -ErrorCode.INVALID_UTF8.code();
        }
        return start + n;
    }

    /** OK if the frame is exactly {@code fixed} bytes, else TRUNCATED or TRAILING_BYTES. */
    static int exact(int length, int fixed) {
        if (length < fixed) {
            return ErrorCode.TRUNCATED.code();
        }
        return length > fixed ? ErrorCode.TRAILING_BYTES.code() : Protocol.OK;
    }
}
