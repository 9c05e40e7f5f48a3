package dev.danmaku.codec;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Writes every frame type except BATCH (see {@link BatchEncoder}) into a caller's buffer, without
 * allocating. Layouts are documented on the matching decoders and in docs/protocol.md.
 *
 * <p>Each method returns the frame length in bytes. The caller guarantees capacity (every frame but
 * BATCH fits in {@link Protocol#MAX_CLIENT_FRAME_LENGTH}). Values outside the protocol's limits are
 * programming errors and throw {@link IllegalArgumentException}; peers' bytes never reach here.
 * Stateless; safe from any thread.
 */
public final class FrameEncoder {
    private FrameEncoder() {
    }

    /** Writes the 4-byte preamble. */
    public static void preamble(MutableDirectBuffer b, int off, FrameType type) {
        b.putShort(off, (short) Protocol.MAGIC, Protocol.ORDER);
        b.putByte(off + 2, (byte) Protocol.VERSION);
        b.putByte(off + 3, (byte) type.code());
    }

    /** BULLET (0x01) from text. */
    public static int bullet(MutableDirectBuffer b, int off, long timestamp, long userId, long roomId,
                             CharSequence name, CharSequence content, CharSequence color) {
        preamble(b, off, FrameType.BULLET);
        b.putLong(off + 4, timestamp, Protocol.ORDER);
        b.putLong(off + 12, userId, Protocol.ORDER);
        b.putLong(off + 20, roomId, Protocol.ORDER);
        if (content.length() == 0) {
            throw new IllegalArgumentException("bullet content must not be empty");
        }
        int p = putString(b, off + 28, name, Protocol.MAX_NAME_LENGTH);
        p = putString(b, p, content, Protocol.MAX_CONTENT_LENGTH);
        p = putString(b, p, color, Protocol.MAX_COLOR_LENGTH);
        return p - off;
    }

    /** BULLET (0x01) from UTF-8 ranges of {@code src} (already validated). */
    public static int bullet(MutableDirectBuffer b, int off, long timestamp, long userId, long roomId, DirectBuffer src,
                             int nameOffset, int nameLength, int contentOffset, int contentLength,
                             int colorOffset, int colorLength) {
        preamble(b, off, FrameType.BULLET);
        b.putLong(off + 4, timestamp, Protocol.ORDER);
        b.putLong(off + 12, userId, Protocol.ORDER);
        b.putLong(off + 20, roomId, Protocol.ORDER);
        int p = putBytes(b, off + 28, src, nameOffset, nameLength, Protocol.MAX_NAME_LENGTH);
        p = putBytes(b, p, src, contentOffset, contentLength, Protocol.MAX_CONTENT_LENGTH);
        p = putBytes(b, p, src, colorOffset, colorLength, Protocol.MAX_COLOR_LENGTH);
        return p - off;
    }

    /** HEARTBEAT, CREATE_ROOM, CHECK_ROOM or LEAVE: the 28-byte header-only frames. */
    public static int roomRequest(MutableDirectBuffer b, int off, FrameType type, long timestamp, long userId,
                                  long roomId) {
        if (type != FrameType.HEARTBEAT && type != FrameType.CREATE_ROOM && type != FrameType.CHECK_ROOM
                && type != FrameType.LEAVE) {
            throw new IllegalArgumentException("not a room request type: " + type);
        }
        preamble(b, off, type);
        b.putLong(off + 4, timestamp, Protocol.ORDER);
        b.putLong(off + 12, userId, Protocol.ORDER);
        b.putLong(off + 20, roomId, Protocol.ORDER);
        return RoomRequestDecoder.LENGTH;
    }

    /** JOIN (0x05). {@code epoch} is a u32. */
    public static int join(MutableDirectBuffer b, int off, long timestamp, long userId, long roomId, int flags,
                           long epoch, long lastSequence, int history) {
        preamble(b, off, FrameType.JOIN);
        b.putLong(off + 4, timestamp, Protocol.ORDER);
        b.putLong(off + 12, userId, Protocol.ORDER);
        b.putLong(off + 20, roomId, Protocol.ORDER);
        b.putByte(off + JoinDecoder.FLAGS_OFFSET, (byte) flags);
        b.putInt(off + JoinDecoder.EPOCH_OFFSET, (int) epoch, Protocol.ORDER);
        b.putLong(off + JoinDecoder.LAST_SEQ_OFFSET, lastSequence, Protocol.ORDER);
        b.putShort(off + JoinDecoder.HISTORY_OFFSET, (short) history, Protocol.ORDER);
        return JoinDecoder.LENGTH;
    }

    /** AUTH (0x07). */
    public static int auth(MutableDirectBuffer b, int off, long timestamp, CharSequence token) {
        preamble(b, off, FrameType.AUTH);
        b.putLong(off + 4, timestamp, Protocol.ORDER);
        return putString(b, off + AuthDecoder.TOKEN_OFFSET, token, Protocol.MAX_TOKEN_LENGTH) - off;
    }

    /** ACK (0x10). */
    public static int ack(MutableDirectBuffer b, int off, long timestamp, long roomId, long epoch, long sequence,
                          int flags) {
        preamble(b, off, FrameType.ACK);
        b.putLong(off + 4, timestamp, Protocol.ORDER);
        b.putLong(off + 12, roomId, Protocol.ORDER);
        b.putInt(off + 20, (int) epoch, Protocol.ORDER);
        b.putLong(off + 24, sequence, Protocol.ORDER);
        b.putByte(off + 32, (byte) flags);
        return AckDecoder.LENGTH;
    }

    /** ERROR (0x11) with the code's default reason. */
    public static int error(MutableDirectBuffer b, int off, ErrorCode code, int refType, long refTimestamp,
                            long roomId, long retryAfterMs) {
        return error(b, off, code.code(), refType, refTimestamp, roomId, retryAfterMs, code.message());
    }

    /** ERROR (0x11). {@code retryAfterMs} is a u32. */
    public static int error(MutableDirectBuffer b, int off, int code, int refType, long refTimestamp, long roomId,
                            long retryAfterMs, CharSequence reason) {
        preamble(b, off, FrameType.ERROR);
        b.putShort(off + 4, (short) code, Protocol.ORDER);
        b.putByte(off + 6, (byte) refType);
        b.putLong(off + 7, refTimestamp, Protocol.ORDER);
        b.putLong(off + 15, roomId, Protocol.ORDER);
        b.putInt(off + 23, (int) Math.min(retryAfterMs, 0xFFFF_FFFFL), Protocol.ORDER);
        return putString(b, off + ErrorDecoder.REASON_OFFSET, reason, Protocol.MAX_REASON_LENGTH) - off;
    }

    /** REDIRECT (0x13); {@code kind} is {@link RedirectDecoder#KIND_REDIRECT} or {@link RedirectDecoder#KIND_MOVED}. */
    public static int redirect(MutableDirectBuffer b, int off, long roomId, int kind, long epoch,
                               CharSequence address) {
        preamble(b, off, FrameType.REDIRECT);
        b.putLong(off + 4, roomId, Protocol.ORDER);
        b.putByte(off + 12, (byte) kind);
        b.putInt(off + 13, (int) epoch, Protocol.ORDER);
        return putString(b, off + RedirectDecoder.ADDRESS_OFFSET, address, Protocol.MAX_ADDRESS_LENGTH) - off;
    }

    /** ROOM_INFO (0x14). */
    public static int roomInfo(MutableDirectBuffer b, int off, long timestamp, long roomId, int flags, long viewers,
                               long epoch, long lastSequence, CharSequence owner) {
        preamble(b, off, FrameType.ROOM_INFO);
        b.putLong(off + 4, timestamp, Protocol.ORDER);
        b.putLong(off + 12, roomId, Protocol.ORDER);
        b.putByte(off + 20, (byte) flags);
        b.putInt(off + 21, (int) Math.min(viewers, 0xFFFF_FFFFL), Protocol.ORDER);
        b.putInt(off + 25, (int) epoch, Protocol.ORDER);
        b.putLong(off + 29, lastSequence, Protocol.ORDER);
        return putString(b, off + RoomInfoDecoder.OWNER_OFFSET, owner, Protocol.MAX_ADDRESS_LENGTH) - off;
    }

    /** RANKING (0x15) from the first {@code count} entries of parallel arrays, highest score first. */
    public static int ranking(MutableDirectBuffer b, int off, long roomId, long timestamp, int count, long[] userIds,
                              long[] scores) {
        if (count < 0 || count > Protocol.MAX_RANKING_COUNT) {
            throw new IllegalArgumentException("ranking count " + count);
        }
        preamble(b, off, FrameType.RANKING);
        b.putLong(off + 4, roomId, Protocol.ORDER);
        b.putLong(off + 12, timestamp, Protocol.ORDER);
        b.putByte(off + 20, (byte) count);
        int p = off + RankingDecoder.ENTRIES_OFFSET;
        for (int i = 0; i < count; i++) {
            b.putLong(p, userIds[i], Protocol.ORDER);
            b.putLong(p + 8, scores[i], Protocol.ORDER);
            p += RankingDecoder.ENTRY_LENGTH;
        }
        return p - off;
    }

    /** JOINED (0x16). */
    public static int joined(MutableDirectBuffer b, int off, long roomId, long epoch, int status, long lastSequence,
                             long nextSequence) {
        preamble(b, off, FrameType.JOINED);
        b.putLong(off + 4, roomId, Protocol.ORDER);
        b.putInt(off + 12, (int) epoch, Protocol.ORDER);
        b.putByte(off + 16, (byte) status);
        b.putLong(off + 17, lastSequence, Protocol.ORDER);
        b.putLong(off + 25, nextSequence, Protocol.ORDER);
        return JoinedDecoder.LENGTH;
    }

    /** AUTH_OK (0x17). */
    public static int authOk(MutableDirectBuffer b, int off, long userId, int level, long expiresAt) {
        preamble(b, off, FrameType.AUTH_OK);
        b.putLong(off + 4, userId, Protocol.ORDER);
        b.putByte(off + 12, (byte) level);
        b.putLong(off + 13, expiresAt, Protocol.ORDER);
        return AuthOkDecoder.LENGTH;
    }

    /** Writes a u16 length and the UTF-8 of {@code s}; returns the position after it. */
    static int putString(MutableDirectBuffer b, int position, CharSequence s, int maxLength) {
        int n = Utf8.encodedLength(s);
        if (n > maxLength) {
            throw new IllegalArgumentException("string of " + n + " bytes exceeds the limit of " + maxLength);
        }
        Utf8.encode(s, b, position + 2);
        b.putShort(position, (short) n, Protocol.ORDER);
        return position + 2 + n;
    }

    /** Writes a u16 length and {@code length} bytes of {@code src}; returns the position after it. */
    static int putBytes(MutableDirectBuffer b, int position, DirectBuffer src, int offset, int length, int maxLength) {
        if (length > maxLength) {
            throw new IllegalArgumentException("field of " + length + " bytes exceeds the limit of " + maxLength);
        }
        b.putShort(position, (short) length, Protocol.ORDER);
        b.putBytes(position + 2, src, offset, length);
        return position + 2 + length;
    }
}
