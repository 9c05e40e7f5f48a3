package dev.danmaku.codec;

import org.agrona.DirectBuffer;

/**
 * Decodes REDIRECT (0x13): the room lives on another node. Kind REDIRECT (1) answers a request
 * for a room this node does not own; kind MOVED (2) tells joined viewers that the room migrated
 * and now continues under {@code epoch} at the address.
 *
 * <pre>
 *  offset  size  field
 *   0      4     preamble
 *   4      8     room id   u64, != 0
 *  12      1     kind      u8, 1 = REDIRECT, 2 = MOVED
 *  13      4     epoch     u32, the room's epoch at the new owner (0 if unknown)
 *  17      2+n   address   u16 length + UTF-8 URL, 1 &lt;= n &lt;= 256 (e.g. ws://10.0.0.2:7000/ws)
 * </pre>
 */
public final class RedirectDecoder {
    public static final int KIND_REDIRECT = 1;
    public static final int KIND_MOVED = 2;
    public static final int ADDRESS_OFFSET = 17;

    private DirectBuffer buffer;
    private long roomId;
    private int kind;
    private long epoch;
    private int addressOffset;
    private int addressLength;

    /** @return {@link Protocol#OK} or an {@link ErrorCode#code()} */
    public int wrap(DirectBuffer buffer, int offset, int length) {
        int status = Frames.expect(buffer, offset, length, FrameType.REDIRECT);
        if (status != Protocol.OK) {
            return status;
        }
        if (length < ADDRESS_OFFSET + 2) {
            return ErrorCode.TRUNCATED.code();
        }
        int end = offset + length;
        int p = Frames.string(buffer, offset + ADDRESS_OFFSET, end, 1, Protocol.MAX_ADDRESS_LENGTH);
        if (p < 0) {
            return -p;
        }
        if (p != end) {
            return ErrorCode.TRAILING_BYTES.code();
        }
        this.buffer = buffer;
        roomId = buffer.getLong(offset + 4, Protocol.ORDER);
        kind = buffer.getByte(offset + 12) & 0xFF;
        epoch = buffer.getInt(offset + 13, Protocol.ORDER) & 0xFFFF_FFFFL;
        addressOffset = offset + ADDRESS_OFFSET + 2;
        addressLength = p - addressOffset;
        if (roomId == 0 || (kind != KIND_REDIRECT && kind != KIND_MOVED)) {
            return ErrorCode.INVALID_FIELD.code();
        }
        return Protocol.OK;
    }

    public long roomId() {
        return roomId;
    }

    public int kind() {
        return kind;
    }

    public long epoch() {
        return epoch;
    }

    public DirectBuffer buffer() {
        return buffer;
    }

    public int addressOffset() {
        return addressOffset;
    }

    public int addressLength() {
        return addressLength;
    }

    /** The address as a new String (allocates). */
    public String address() {
        return Utf8.toString(buffer, addressOffset, addressLength);
    }
}
