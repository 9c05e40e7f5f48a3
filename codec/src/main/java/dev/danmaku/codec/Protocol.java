package dev.danmaku.codec;

import java.nio.ByteOrder;

/**
 * Constants of protocol version 1: the preamble, the limits every peer enforces, and the
 * status value decoders return. docs/protocol.md is the normative text; the numbers here are
 * the same numbers.
 *
 * <pre>
 * Every frame starts with a 4-byte preamble (all integers big-endian):
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+---------------+---------------+
 * |         magic = 0xABCD        | version = 0x01|     type      |
 * +-------------------------------+---------------+---------------+
 * </pre>
 */
public final class Protocol {
    private Protocol() {
    }

    /** All multi-byte integers on the wire. */
    public static final ByteOrder ORDER = ByteOrder.BIG_ENDIAN;

    public static final int MAGIC = 0xABCD;
    public static final int VERSION = 0x01;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 2;
    public static final int TYPE_OFFSET = 3;
    public static final int PREAMBLE_LENGTH = 4;

    /** Status returned by every decoder's {@code wrap} when the frame is valid. Errors are {@link ErrorCode#code()}. */
    public static final int OK = 0;

    /** Largest frame a client may send (bytes, preamble included). */
    public static final int MAX_CLIENT_FRAME_LENGTH = 4096;
    /** Largest frame a node may send (bytes): a BATCH with the largest payload. */
    public static final int MAX_SERVER_FRAME_LENGTH = 35 + (1 << 20);

    /** Username, UTF-8 bytes. */
    public static final int MAX_NAME_LENGTH = 64;
    /** Bullet content, UTF-8 bytes (about 170 CJK characters). Must be at least 1 byte. */
    public static final int MAX_CONTENT_LENGTH = 512;
    /** Colour, UTF-8 bytes ("red", "#FFCC00"). Empty means the client's default. */
    public static final int MAX_COLOR_LENGTH = 32;
    /** AUTH token, bytes (ASCII, compact JWS). */
    public static final int MAX_TOKEN_LENGTH = 2048;
    /** ERROR reason text, UTF-8 bytes. */
    public static final int MAX_REASON_LENGTH = 256;
    /** REDIRECT / ROOM_INFO owner address, UTF-8 bytes. */
    public static final int MAX_ADDRESS_LENGTH = 256;
    /** Bullets in one BATCH. */
    public static final int MAX_BATCH_COUNT = 4096;
    /** A BATCH payload before compression (and after inflation), bytes. */
    public static final int MAX_BATCH_RAW_LENGTH = 1 << 20;
    /** Entries in one RANKING frame. */
    public static final int MAX_RANKING_COUNT = 100;
    /** Recent bullets a JOIN may ask for. */
    public static final int MAX_JOIN_HISTORY = 10_000;
}
