package dev.danmaku.codec;

import org.agrona.DirectBuffer;

/**
 * Decodes ROOM_INFO (0x14), the answer to CREATE_ROOM and CHECK_ROOM.
 *
 * <pre>
 *  offset  size  field
 *   0      4     preamble
 *   4      8     timestamp  i64, echo of the request's timestamp
 *  12      8     room id    u64, != 0
 *  20      1     flags      bit 0 EXISTS, bit 1 CREATED (by this request), bit 2 LOCAL (owned by
 *                           this node); other bits 0
 *  21      4     viewers    u32, joined viewers on the owner
 *  25      4     epoch      u32
 *  29      8     last seq   u64, last assigned sequence (0 = none yet)
 *  37      2+n   owner      u16 length + UTF-8 address of the owning node, n &lt;= 256 (empty = this node)
 * </pre>
 */
public final class RoomInfoDecoder {
    public static final int FLAG_EXISTS = 0x01;
    public static final int FLAG_CREATED = 0x02;
    public static final int FLAG_LOCAL = 0x04;
    public static final int OWNER_OFFSET = 37;

    private DirectBuffer buffer;
    private long timestamp;
    private long roomId;
    private int flags;
    private long viewers;
    private long epoch;
    private long lastSequence;
    private int ownerOffset;
    private int ownerLength;

    /** @return {@link Protocol#OK} or an {@link ErrorCode#code()} */
    public int wrap(DirectBuffer buffer, int offset, int length) {
        int status = Frames.expect(buffer, offset, length, FrameType.ROOM_INFO);
        if (status != Protocol.OK) {
            return status;
        }
        if (length < OWNER_OFFSET + 2) {
            return ErrorCode.TRUNCATED.code();
        }
        int end = offset + length;
        int p = Frames.string(buffer, offset + OWNER_OFFSET, end, 0, Protocol.MAX_ADDRESS_LENGTH);
        if (p < 0) {
            return -p;
        }
        if (p != end) {
            return ErrorCode.TRAILING_BYTES.code();
        }
        this.buffer = buffer;
        timestamp = buffer.getLong(offset + 4, Protocol.ORDER);
        roomId = buffer.getLong(offset + 12, Protocol.ORDER);
        flags = buffer.getByte(offset + 20) & 0xFF;
        viewers = buffer.getInt(offset + 21, Protocol.ORDER) & 0xFFFF_FFFFL;
        epoch = buffer.getInt(offset + 25, Protocol.ORDER) & 0xFFFF_FFFFL;
        lastSequence = buffer.getLong(offset + 29, Protocol.ORDER);
        ownerOffset = offset + OWNER_OFFSET + 2;
        ownerLength = p - ownerOffset;
        if (timestamp < 0 || roomId == 0 || (flags & ~(FLAG_EXISTS | FLAG_CREATED | FLAG_LOCAL)) != 0
                || lastSequence < 0) {
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

    public int flags() {
        return flags;
    }

    public boolean exists() {
        return (flags & FLAG_EXISTS) != 0;
    }

    public boolean created() {
        return (flags & FLAG_CREATED) != 0;
    }

    public boolean local() {
        return (flags & FLAG_LOCAL) != 0;
    }

    public long viewers() {
        return viewers;
    }

    public long epoch() {
        return epoch;
    }

    public long lastSequence() {
        return lastSequence;
    }

    public DirectBuffer buffer() {
        return buffer;
    }

    public int ownerOffset() {
        return ownerOffset;
    }

    public int ownerLength() {
        return ownerLength;
    }

    /** The owner address as a new String (allocates). */
    public String owner() {
        return Utf8.toString(buffer, ownerOffset, ownerLength);
    }
}
