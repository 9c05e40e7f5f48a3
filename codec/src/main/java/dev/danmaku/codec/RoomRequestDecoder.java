package dev.danmaku.codec;

import org.agrona.DirectBuffer;

/**
 * Decodes the four fixed 28-byte frames that share the original design's header layout:
 * HEARTBEAT (0x02, both directions), CREATE_ROOM (0x03), CHECK_ROOM (0x04) and LEAVE (0x06).
 *
 * <pre>
 *  offset  size  field
 *   0      4     preamble (magic, version, type)
 *   4      8     timestamp  i64, Unix ms, &gt;= 0
 *  12      8     user id    u64 (0 = anonymous)
 *  20      8     room id    u64 (!= 0 except for HEARTBEAT)
 * </pre>
 *
 * Reusable; owned by the thread that calls {@link #wrap}. Allocation-free.
 */
public final class RoomRequestDecoder {
    public static final int TIMESTAMP_OFFSET = 4;
    public static final int USER_OFFSET = 12;
    public static final int ROOM_OFFSET = 20;
    public static final int LENGTH = 28;

    private FrameType type;
    private long timestamp;
    private long userId;
    private long roomId;

    /** @return {@link Protocol#OK} or an {@link ErrorCode#code()} */
    public int wrap(DirectBuffer buffer, int offset, int length) {
        int t = Frames.checkPreamble(buffer, offset, length, Protocol.MAX_CLIENT_FRAME_LENGTH);
        if (t < 0) {
            return -t;
        }
        FrameType ft = FrameType.of(t);
        if (ft != FrameType.HEARTBEAT && ft != FrameType.CREATE_ROOM && ft != FrameType.CHECK_ROOM
                && ft != FrameType.LEAVE) {
            return ErrorCode.UNEXPECTED_TYPE.code();
        }
        int status = Frames.exact(length, LENGTH);
        if (status != Protocol.OK) {
            return status;
        }
        type = ft;
        timestamp = buffer.getLong(offset + TIMESTAMP_OFFSET, Protocol.ORDER);
        userId = buffer.getLong(offset + USER_OFFSET, Protocol.ORDER);
        roomId = buffer.getLong(offset + ROOM_OFFSET, Protocol.ORDER);
        if (timestamp < 0 || (roomId == 0 && ft != FrameType.HEARTBEAT)) {
            return ErrorCode.INVALID_FIELD.code();
        }
        return Protocol.OK;
    }

    public FrameType type() {
        return type;
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
}
