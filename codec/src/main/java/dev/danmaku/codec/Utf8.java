package dev.danmaku.codec;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Strict UTF-8 (RFC 3629) over Agrona buffers without allocation: validation rejects overlong
 * forms, surrogates (U+D800-U+DFFF), code points above U+10FFFF and truncated sequences.
 * Stateless; safe from any thread.
 */
public final class Utf8 {
    /** The high bit of each byte of a long: zero after masking iff all eight bytes are ASCII. */
    private static final long NON_ASCII = 0x8080_8080_8080_8080L;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private Utf8() {
    }

    /*
     * Validation is a shift-based DFA (one table row per byte value, each row packing the next state of
     * all nine states as 6-bit shift amounts): the per-byte dependency is one shift and one mask, with no
     * data-dependent branch, so mixed ASCII / CJK / emoji content costs the same per byte and nothing
     * mispredicts. A state is its own shift amount (6 x index); ACCEPT is 0, REJECT is absorbing.
     */
    private static final int ACCEPT = 0;
    private static final int REJECT = 6;
    /** Needs 1, 2 or 3 more continuation bytes (80..BF). */
    private static final int CONT1 = 12;
    private static final int CONT2 = 18;
    private static final int CONT3 = 24;
    /** After E0: A0..BF (no overlong); after ED: 80..9F (no surrogate). Then one continuation. */
    private static final int AFTER_E0 = 30;
    private static final int AFTER_ED = 36;
    /** After F0: 90..BF (no overlong); after F4: 80..8F (at most U+10FFFF). Then two continuations. */
    private static final int AFTER_F0 = 42;
    private static final int AFTER_F4 = 48;
    private static final long STATE_MASK = 63;
    private static final long[] DFA = new long[256];

    static {
        for (int b = 0; b < 256; b++) {
            long row = 0;
            for (int state = ACCEPT; state <= AFTER_F4; state += 6) {
                row |= (long) next(state, b) << state;
            }
            DFA[b] = row;
        }
    }

    /** The transition table in its plain form (RFC 3629, section 4), used only to build {@link #DFA}. */
    private static int next(int state, int b) {
        boolean cont = b >= 0x80 && b <= 0xBF;
        switch (state) {
            case ACCEPT:
                if (b < 0x80) {
                    return ACCEPT;
                } else if (b >= 0xC2 && b <= 0xDF) {
                    return CONT1;
                } else if (b == 0xE0) {
                    return AFTER_E0;
                } else if (b == 0xED) {
                    return AFTER_ED;
                } else if (b >= 0xE1 && b <= 0xEF) {
                    return CONT2;
                } else if (b == 0xF0) {
                    return AFTER_F0;
                } else if (b >= 0xF1 && b <= 0xF3) {
                    return CONT3;
                } else if (b == 0xF4) {
                    return AFTER_F4;
                }
                return REJECT;
            case CONT1:
                return cont ? ACCEPT : REJECT;
            case CONT2:
                return cont ? CONT1 : REJECT;
            case CONT3:
                return cont ? CONT2 : REJECT;
            case AFTER_E0:
                return b >= 0xA0 && b <= 0xBF ? CONT1 : REJECT;
            case AFTER_ED:
                return b >= 0x80 && b <= 0x9F ? CONT1 : REJECT;
            case AFTER_F0:
                return b >= 0x90 && b <= 0xBF ? CONT2 : REJECT;
            case AFTER_F4:
                return b >= 0x80 && b <= 0x8F ? CONT2 : REJECT;
            default:
                return REJECT;
        }
    }

    /** True if {@code length} bytes at {@code offset} are well-formed UTF-8. */
    public static boolean isValid(DirectBuffer buffer, int offset, int length) {
        byte[] array = buffer.byteArray();
        if (array != null) {
            // Heap buffers (the ring's slots): plain array reads, whose range checks the JIT hoists.
            int from = Math.toIntExact(buffer.wrapAdjustment()) + offset;
            buffer.boundsCheck(offset, length);
            return isValid(array, from, from + length);
        }
        long state = ACCEPT;
        for (int i = offset, end = offset + length; i < end; i++) {
            state = (DFA[buffer.getByte(i) & 0xFF] >>> state) & STATE_MASK;
        }
        return state == ACCEPT;
    }

    /** True if the bytes {@code from} (inclusive) to {@code to} (exclusive) of {@code array} are well-formed UTF-8. */
    public static boolean isValid(byte[] array, int from, int to) {
        long state = ACCEPT;
        int i = from;
        while (i < to) {
            int b = array[i++];
            if (b >= 0 && state == ACCEPT) {
                // An ASCII run: skip it eight bytes at a time (the DFA would stay in ACCEPT).
                while (to - i >= Long.BYTES && ((long) LONGS.get(array, i) & NON_ASCII) == 0) {
                    i += Long.BYTES;
                }
                continue;
            }
            state = (DFA[b & 0xFF] >>> state) & STATE_MASK;
        }
        return state == ACCEPT;
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
