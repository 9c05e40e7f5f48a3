package dev.danmaku.engine.filter;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;

/** Test helpers: strings to and from UTF-8 buffers. */
final class Bytes {
    private Bytes() {
    }

    static UnsafeBuffer utf8(final String s) {
        return new UnsafeBuffer(s.getBytes(StandardCharsets.UTF_8));
    }

    static String string(final UnsafeBuffer buf, final int len) {
        final byte[] out = new byte[len];
        buf.getBytes(0, out);
        return new String(out, StandardCharsets.UTF_8);
    }
}
