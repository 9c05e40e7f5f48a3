package dev.danmaku.engine.filter;

import org.agrona.DirectBuffer;

/**
 * A content range of a buffer as a byte array, which the content filters scan with plain array
 * reads: a heap buffer (the ring's slots) is read in place; an off-heap one is copied into scratch
 * first (not a node path; the scratch grows if a longer range comes, so only then does it allocate).
 * Owned by one filter instance, like the rest of its scratch.
 */
final class ContentBytes {
    /** The bytes of the last {@link #wrap}ped range: {@code bytes[from..to)}. */
    byte[] bytes;
    int from;
    int to;
    /** Array index minus buffer index: add it to a buffer index, subtract it from an array index. */
    int shift;
    private byte[] scratch;

    ContentBytes(final int capacity) {
        scratch = new byte[capacity];
    }

    /** Points {@link #bytes}, {@link #from} and {@link #to} at {@code len} bytes of {@code buf} from {@code off}. */
    void wrap(final DirectBuffer buf, final int off, final int len) {
        buf.boundsCheck(off, len);
        final byte[] array = buf.byteArray();
        if (array != null) {
            bytes = array;
            shift = Math.toIntExact(buf.wrapAdjustment());
        } else {
            if (len > scratch.length) {
                scratch = new byte[len];
            }
            buf.getBytes(off, scratch, 0, len);
            bytes = scratch;
            shift = -off;
        }
        from = off + shift;
        to = from + len;
    }
}
