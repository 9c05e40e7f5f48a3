package dev.danmaku.codec;

import org.agrona.DirectBuffer;

/**
 * Decodes AUTH_OK (0x17): the token was accepted; bullets on this connection are sent as this user.
 *
 * <pre>
 *  offset  size  field
 *   0      4     preamble
 *   4      8     user id     u64, != 0
 *  12      1     level       u8, the user's level from the token
 *  13      8     expires at  i64, Unix ms when the token expires
 * </pre>
 */
public final class AuthOkDecoder {
    public static final int LENGTH = 21;

    private long userId;
    private int level;
    private long expiresAt;

    /** @return {@link Protocol#OK} or an {@link ErrorCode#code()} */
    public int wrap(DirectBuffer buffer, int offset, int length) {
        int st = Frames.expect(buffer, offset, length, FrameType.AUTH_OK);
        if (st == Protocol.OK) {
            st = Frames.exact(length, LENGTH);
        }
        if (st != Protocol.OK) {
            return st;
        }
        userId = buffer.getLong(offset + 4, Protocol.ORDER);
        level = buffer.getByte(offset + 12) & 0xFF;
        expiresAt = buffer.getLong(offset + 13, Protocol.ORDER);
        return userId == 0 || expiresAt < 0 ? ErrorCode.INVALID_FIELD.code() : Protocol.OK;
    }

    public long userId() {
        return userId;
    }

    public int level() {
        return level;
    }

    public long expiresAt() {
        return expiresAt;
    }
}
