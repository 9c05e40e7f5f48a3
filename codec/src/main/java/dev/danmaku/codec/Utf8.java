package dev.danmaku.codec;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Strict UTF-8 (RFC 3629) over Agrona buffers without allocation: validation rejects overlong
 * forms, surrogates (U+D800-U+DFFF), code points above U+10FFFF and truncated sequences.
 * Stateless; safe from any thread.
 */
public final class Utf8 {
    /** The high bit of each byte of a long: zero after masking iff all eight bytes are ASCII. */
    private static final long NON_ASCII = 0x8080_8080_8080_8080L;

    private Utf8() {
    }

    /** True if {@code length} bytes at {@code offset} are well-formed UTF-8. */
    public static boolean isValid(DirectBuffer buffer, int offset, int length) {
        int i = offset;
        final int end = offset + length;
        while (i < end) {
            int b0 = buffer.getByte(i) & 0xFF;
            if (b0 < 0x80) {
                i++;
                // ASCII fast path: eight bytes per step while they are all ASCII (byte order does not matter).
                while (end - i >= Long.BYTES && (buffer.getLong(i) & NON_ASCII) == 0) {
                    i += Long.BYTES;
                }
                continue;
            }
            if (b0 < 0xC2) {
                return false; // continuation byte or overlong 2-byte lead
            }
            if (b0 < 0xE0) {
                if (i + 1 >= end || !isContinuation(buffer.getByte(i + 1))) {
                    return false;
                }
                i += 2;
                continue;
            }
            if (b0 < 0xF0) {
                if (i + 2 >= end) {
                    return false;
                }
                int b1 = buffer.getByte(i + 1) & 0xFF;
                if (b0 == 0xE0 && b1 < 0xA0) {
                    return false; // overlong
                }
                if (b0 == 0xED && b1 >= 0xA0) {
                    return false; // surrogate
                }
                if (!isContinuation((byte) b1) || !isContinuation(buffer.getByte(i + 2))) {
                    return false;
                }
                i += 3;
                continue;
            }
            if (b0 < 0xF5) {
                if (i + 3 >= end) {
                    return false;
                }
                int b1 = buffer.getByte(i + 1) & 0xFF;
                if (b0 == 0xF0 && b1 < 0x90) {
                    return false; // overlong
                }
                if (b0 == 0xF4 && b1 >= 0x90) {
                    return false; // above U+10FFFF
                }
                if (!isContinuation((byte) b1) || !isContinuation(buffer.getByte(i + 2))
                        || !isContinuation(buffer.getByte(i + 3))) {
                    return false;
                }
                i += 4;
                continue;
            }
            return false;
        }
        return true;
    }

    private static boolean isContinuation(byte b) {
        return (b & 0xC0) == 0x80;
    }

    /** UTF-8 byte length of {@code s}; unpaired surrogates count as '?' (1 byte), as {@link #encode} writes them. */
    public static int encodedLength(CharSequence s) {
        int n = 0;
        for (int i = 0, len = s.length(); i < len; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                n += 1;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /**
     * Writes {@code s} as UTF-8 at {@code offset} without allocating; unpaired surrogates become '?'.
     *
     * @return bytes written
     */
    public static int encode(CharSequence s, MutableDirectBuffer buffer, int offset) {
        int p = offset;
        for (int i = 0, len = s.length(); i < len; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                buffer.putByte(p++, (byte) c);
            } else if (c < 0x800) {
                buffer.putByte(p++, (byte) (0xC0 | (c >> 6)));
                buffer.putByte(p++, (byte) (0x80 | (c & 0x3F)));
            } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                buffer.putByte(p++, (byte) (0xF0 | (cp >> 18)));
                buffer.putByte(p++, (byte) (0x80 | ((cp >> 12) & 0x3F)));
                buffer.putByte(p++, (byte) (0x80 | ((cp >> 6) & 0x3F)));
                buffer.putByte(p++, (byte) (0x80 | (cp & 0x3F)));
            } else if (Character.isSurrogate(c)) {
                buffer.putByte(p++, (byte) '?');
            } else {
                buffer.putByte(p++, (byte) (0xE0 | (c >> 12)));
                buffer.putByte(p++, (byte) (0x80 | ((c >> 6) & 0x3F)));
                buffer.putByte(p++, (byte) (0x80 | (c & 0x3F)));
            }
        }
        return p - offset;
    }

    /** Decodes a validated range into a new String (allocates: only when a caller asks for text). */
    public static String toString(DirectBuffer buffer, int offset, int length) {
        return buffer.getStringWithoutLengthUtf8(offset, length);
    }

    /**
     * Appends a validated range to {@code out} without creating a String (allocation-free once
     * {@code out} has capacity).
     */
    public static void appendTo(DirectBuffer buffer, int offset, int length, StringBuilder out) {
        int i = offset;
        final int end = offset + length;
        while (i < end) {
            int b0 = buffer.getByte(i) & 0xFF;
            int cp;
            if (b0 < 0x80) {
                cp = b0;
                i += 1;
            } else if (b0 < 0xE0) {
                cp = ((b0 & 0x1F) << 6) | (buffer.getByte(i + 1) & 0x3F);
                i += 2;
            } else if (b0 < 0xF0) {
                cp = ((b0 & 0x0F) << 12) | ((buffer.getByte(i + 1) & 0x3F) << 6) | (buffer.getByte(i + 2) & 0x3F);
                i += 3;
            } else {
                cp = ((b0 & 0x07) << 18) | ((buffer.getByte(i + 1) & 0x3F) << 12)
                        | ((buffer.getByte(i + 2) & 0x3F) << 6) | (buffer.getByte(i + 3) & 0x3F);
                i += 4;
            }
            out.appendCodePoint(cp);
        }
    }
}
