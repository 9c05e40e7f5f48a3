package dev.danmaku.codec;

import org.agrona.DirectBuffer;

/**
 * A reusable read-only view of one bullet: fixed fields plus three UTF-8 ranges in the
 * underlying buffer. Strings are only created when a caller asks ({@link #name()} etc.);
 * the {@code *Offset}/{@code *Length} accessors and {@link #buffer()} give the raw bytes.
 *
 * <p>Owned by one thread (the one that wraps it). Valid until the next wrap or until the
 * underlying buffer is reused.
 */
public class BulletView {
    protected DirectBuffer buffer;
    long timestamp;
    long userId;
    long roomId;
    long sequence;
    int nameOffset;
    int nameLength;
    int contentOffset;
    int contentLength;
    int colorOffset;
    int colorLength;

    /** The buffer the string ranges refer to. */
    public DirectBuffer buffer() {
        return buffer;
    }

    /** Client send time, Unix milliseconds (also the sender's idempotency key). */
    public long timestamp() {
        return timestamp;
    }

    /** Sender id (u64; compare with {@link Long#compareUnsigned}). */
    public long userId() {
        return userId;
    }

    /** Room id (u64). */
    public long roomId() {
        return roomId;
    }

    /** Room sequence number for a bullet taken from a BATCH; 0 for a client BULLET frame. */
    public long sequence() {
        return sequence;
    }

    public int nameOffset() {
        return nameOffset;
    }

    public int nameLength() {
        return nameLength;
    }

    public int contentOffset() {
        return contentOffset;
    }

    public int contentLength() {
        return contentLength;
    }

    public int colorOffset() {
        return colorOffset;
    }

    public int colorLength() {
        return colorLength;
    }

    /** The username as a new String (allocates). */
    public String name() {
        return Utf8.toString(buffer, nameOffset, nameLength);
    }

    /** The content as a new String (allocates). */
    public String content() {
        return Utf8.toString(buffer, contentOffset, contentLength);
    }

    /** The colour as a new String (allocates). */
    public String color() {
        return Utf8.toString(buffer, colorOffset, colorLength);
    }

    /**
     * Parses and validates username, content and colour starting at {@code position}.
     *
     * @return the position after the colour, else {@code -ErrorCode.code()}
     */
    final int parseStrings(DirectBuffer buffer, int position, int end) {
        int p = Frames.string(buffer, position, end, 0, Protocol.MAX_NAME_LENGTH);
        if (p < 0) {
            return p;
        }
        nameOffset = position + 2;
        nameLength = p - nameOffset;
        int q = Frames.string(buffer, p, end, 1, Protocol.MAX_CONTENT_LENGTH);
        if (q < 0) {
            return q;
        }
        contentOffset = p + 2;
        contentLength = q - contentOffset;
        int r = Frames.string(buffer, q, end, 0, Protocol.MAX_COLOR_LENGTH);
        if (r < 0) {
            return r;
        }
        colorOffset = q + 2;
        colorLength = r - colorOffset;
        return r;
    }
}
