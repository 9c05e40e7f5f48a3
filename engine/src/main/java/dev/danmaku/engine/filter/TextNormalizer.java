package dev.danmaku.engine.filter;

/**
 * Stateless code point helpers shared by the content filters: UTF-8 decoding from a byte array
 * (the filters read heap content as its array), case and width folding, and the "separator" class
 * that word matching skips.
 *
 * <p>Thread-safe (no state beyond an immutable lookup table built at class load). Nothing here
 * allocates.
 *
 * <p>Folding, in order:
 * <ol>
 *   <li>full-width forms U+FF01..U+FF5E map to ASCII U+0021..U+007E (ＦＯＯ, １２３, ！)</li>
 *   <li>U+3000 ideographic space maps to U+0020</li>
 *   <li>{@link Character#toLowerCase(int)} (ASCII and other cased scripts)</li>
 * </ol>
 *
 * <p>Separators (after folding): white space and controls, zero-width and other format characters
 * (U+200B..U+200F, U+2060, U+FEFF), combining marks (so variation selectors do not split a word),
 * every Unicode punctuation category (ASCII and CJK: {@code . , * _ 。 、 「 」 ·}) and every symbol
 * category (math, currency, modifier, other: {@code + $ ^ ★ ♥} and emoji).
 */
public final class TextNormalizer {
    /** Returned by {@link #decode} for a truncated or stray continuation byte. */
    public static final int REPLACEMENT = 0xFFFD;

    private static final long[] BMP_SEPARATORS = new long[0x10000 >>> 6];

    static {
        for (int cp = 0; cp < 0x10000; cp++) {
            if (isSeparatorType(cp)) {
                BMP_SEPARATORS[cp >>> 6] |= 1L << (cp & 63);
            }
        }
    }

    private TextNormalizer() {
    }

    /**
     * Length in bytes of the UTF-8 sequence that starts with {@code leadByte}.
     *
     * @param leadByte the first byte, as an unsigned value 0..255
     * @return 1..4; 1 for a stray continuation byte, so a scan always makes progress
     */
    public static int sequenceLength(final int leadByte) {
        if (leadByte < 0xC0) {
            return 1;
        }
        if (leadByte < 0xE0) {
            return 2;
        }
        return leadByte < 0xF0 ? 3 : 4;
    }

    /**
     * Decodes one code point.
     *
     * @param bytes  the content
     * @param index  array index of the lead byte
     * @param length the sequence length from {@link #sequenceLength}, already clamped to the bytes that remain
     * @return the code point, or {@link #REPLACEMENT} when the sequence is truncated or malformed
     */
    public static int decode(final byte[] bytes, final int index, final int length) {
        final int b0 = bytes[index] & 0xFF;
        if (b0 < 0x80) {
            return b0;
        }
        if (b0 < 0xC0 || length != sequenceLength(b0)) {
            return REPLACEMENT;
        }
        switch (length) {
            case 2:
                return ((b0 & 0x1F) << 6) | (bytes[index + 1] & 0x3F);
            case 3:
                return ((b0 & 0x0F) << 12) | ((bytes[index + 1] & 0x3F) << 6) | (bytes[index + 2] & 0x3F);
            default:
                return ((b0 & 0x07) << 18) | ((bytes[index + 1] & 0x3F) << 12)
                    | ((bytes[index + 2] & 0x3F) << 6) | (bytes[index + 3] & 0x3F);
        }
    }

    /**
     * Folds width and case so that visually equivalent input compares equal.
     *
     * @param cp a code point
     * @return the folded code point
     */
    public static int fold(final int cp) {
        if (cp < 0x80) {
            return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
        }
        if (cp >= 0xFF01 && cp <= 0xFF5E) {
            final int ascii = cp - 0xFEE0;
            return (ascii >= 'A' && ascii <= 'Z') ? ascii + 32 : ascii;
        }
        if (cp == 0x3000) {
            return ' ';
        }
        if ((cp > 0x3000 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7A3)) {
            // CJK punctuation, kana, bopomofo, CJK ideographs (ext. A and unified), Hangul syllables: no
            // case, so toLowerCase is the identity (checked for every code point by TextNormalizerTest).
            // Most chat content is here, and this skips the CharacterData lookup.
            return cp;
        }
        return Character.toLowerCase(cp);
    }

    /**
     * Whether a (folded) code point is skipped when matching words.
     *
     * @param cp a folded code point
     * @return true for white space, controls, format/zero-width characters, combining marks,
     *         punctuation and symbols
     */
    public static boolean isSeparator(final int cp) {
        if (cp < 0x10000) {
            return (BMP_SEPARATORS[cp >>> 6] & (1L << (cp & 63))) != 0;
        }
        return isSeparatorType(cp);
    }

    /**
     * Whether a folded code point is an ASCII letter or digit.
     *
     * @param cp a folded code point
     * @return true for {@code a-z} and {@code 0-9}
     */
    public static boolean isAsciiAlphanumeric(final int cp) {
        return (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9');
    }

    private static boolean isSeparatorType(final int cp) {
        switch (Character.getType(cp)) {
            case Character.SPACE_SEPARATOR:
            case Character.LINE_SEPARATOR:
            case Character.PARAGRAPH_SEPARATOR:
            case Character.CONTROL:
            case Character.FORMAT:
            case Character.NON_SPACING_MARK:
            case Character.ENCLOSING_MARK:
            case Character.CONNECTOR_PUNCTUATION:
            case Character.DASH_PUNCTUATION:
            case Character.START_PUNCTUATION:
            case Character.END_PUNCTUATION:
            case Character.INITIAL_QUOTE_PUNCTUATION:
            case Character.FINAL_QUOTE_PUNCTUATION:
            case Character.OTHER_PUNCTUATION:
            case Character.MATH_SYMBOL:
            case Character.CURRENCY_SYMBOL:
            case Character.MODIFIER_SYMBOL:
            case Character.OTHER_SYMBOL:
                return true;
            default:
                return false;
        }
    }
}
