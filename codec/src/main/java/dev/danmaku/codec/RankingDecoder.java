package dev.danmaku.codec;

import org.agrona.DirectBuffer;

/**
 * Decodes RANKING (0x15): the top senders of a room (or of all rooms), highest score first.
 *
 * <pre>
 *  offset  size  field
 *   0      4     preamble
 *   4      8     room id    u64 (0 = global leaderboard)
 *  12      8     timestamp  i64, server time of the snapshot, Unix ms
 *  20      1     count      u8, n &lt;= 100
 *  21      16*n  entries    user id u64, score i64 (&gt;= 0), in non-increasing score order
 * </pre>
 */
public final class RankingDecoder {
    public static final int ENTRIES_OFFSET = 21;
    public static final int ENTRY_LENGTH = 16;

    private DirectBuffer buffer;
    private int offset;
    private long roomId;
    private long timestamp;
    private int count;

    /** @return {@link Protocol#OK} or an {@link ErrorCode#code()} */
    public int wrap(DirectBuffer buffer, int offset, int length) {
        int status = Frames.expect(buffer, offset, length, FrameType.RANKING);
        if (status != Protocol.OK) {
            return status;
        }
        if (length < ENTRIES_OFFSET) {
            return ErrorCode.TRUNCATED.code();
        }
        int n = buffer.getByte(offset + 20) & 0xFF;
        if (n > Protocol.MAX_RANKING_COUNT) {
            return ErrorCode.BAD_COUNT.code();
        }
        status = Frames.exact(length, ENTRIES_OFFSET + n * ENTRY_LENGTH);
        if (status != Protocol.OK) {
            return status;
        }
        this.buffer = buffer;
        this.offset = offset;
        roomId = buffer.getLong(offset + 4, Protocol.ORDER);
        timestamp = buffer.getLong(offset + 12, Protocol.ORDER);
        count = n;
        long previous = Long.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            long score = score(i);
            if (score < 0 || score > previous) {
                return ErrorCode.INVALID_FIELD.code();
            }
            previous = score;
        }
        return timestamp < 0 ? ErrorCode.INVALID_FIELD.code() : Protocol.OK;
    }

    public long roomId() {
        return roomId;
    }

    public long timestamp() {
        return timestamp;
    }

    public int count() {
        return count;
    }

    public long userId(int index) {
        return buffer.getLong(offset + ENTRIES_OFFSET + index * ENTRY_LENGTH, Protocol.ORDER);
    }

    public long score(int index) {
        return buffer.getLong(offset + ENTRIES_OFFSET + index * ENTRY_LENGTH + 8, Protocol.ORDER);
    }
}
