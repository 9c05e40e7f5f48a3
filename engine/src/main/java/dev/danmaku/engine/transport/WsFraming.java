package dev.danmaku.engine.transport;

import io.netty.buffer.ByteBuf;

/**
 * Server-to-client WebSocket framing (RFC 6455 section 5.2) written by hand, so that a frame
 * encoded once can be written as raw bytes to every viewer: a final binary frame, unmasked
 * (servers never mask), no extensions. Netty's WebSocket encoder passes raw ByteBufs through.
 */
public final class WsFraming {
    private WsFraming() {
    }

    /** Bytes of the header for a payload of {@code length} bytes. */
    public static int headerLength(int length) {
        return length < 126 ? 2 : length < 65536 ? 4 : 10;
    }

    /** Largest header, bytes. */
    public static final int MAX_HEADER = 10;

    /**
     * Writes the header of a final binary frame at {@code index}.
     *
     * @return header length
     */
    public static int writeHeader(ByteBuf buf, int index, int length) {
        buf.setByte(index, 0x82);
        if (length < 126) {
            buf.setByte(index + 1, length);
            return 2;
        }
        if (length < 65536) {
            buf.setByte(index + 1, 126);
            buf.setShort(index + 2, length);
            return 4;
        }
        buf.setByte(index + 1, 127);
        buf.setLong(index + 2, length);
        return 10;
    }
}
