package dev.danmaku.codec;

/**
 * Layout of BATCH (0x12), the node-to-viewer frame that carries consecutive bullets of one room.
 *
 * <pre>
 *  offset  size  field
 *   0      4     preamble
 *   4      8     room id         u64, != 0
 *  12      4     epoch           u32
 *  16      8     first seq       u64, &gt;= 1; entry i has sequence first seq + i
 *  24      2     count           u16, 1 &lt;= count &lt;= 4096
 *  26      1     flags           bit 0 ZSTD (payload is one zstd frame), bit 1 DICTIONARY (compressed
 *                                with the protocol's trained dictionary; requires bit 0); other bits 0
 *  27      4     raw length      u32, payload bytes after inflation, &lt;= 1 MiB
 *  31      4     payload length  u32, bytes that follow (== raw length when not compressed)
 *  35      n     payload
 *
 * payload (after inflation) = count entries, each:
 *   8     timestamp   i64, Unix ms (client send time)
 *   8     user id     u64, != 0
 *   2+n   username    u16 length + UTF-8, n &lt;= 64
 *   2+n   content     u16 length + UTF-8, 1 &lt;= n &lt;= 512
 *   2+n   colour      u16 length + UTF-8, n &lt;= 32
 * </pre>
 */
public final class BatchLayout {
    private BatchLayout() {
    }

    public static final int ROOM_OFFSET = 4;
    public static final int EPOCH_OFFSET = 12;
    public static final int FIRST_SEQ_OFFSET = 16;
    public static final int COUNT_OFFSET = 24;
    public static final int FLAGS_OFFSET = 26;
    public static final int RAW_LENGTH_OFFSET = 27;
    public static final int PAYLOAD_LENGTH_OFFSET = 31;
    public static final int HEADER_LENGTH = 35;

    public static final int FLAG_ZSTD = 0x01;
    public static final int FLAG_DICTIONARY = 0x02;

    /** Fixed bytes of one entry: timestamp, user id and three length prefixes. */
    public static final int ENTRY_FIXED_LENGTH = 22;
    /** Largest entry, bytes. */
    public static final int MAX_ENTRY_LENGTH = ENTRY_FIXED_LENGTH + Protocol.MAX_NAME_LENGTH
            + Protocol.MAX_CONTENT_LENGTH + Protocol.MAX_COLOR_LENGTH;
}
