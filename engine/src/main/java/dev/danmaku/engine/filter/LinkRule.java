package dev.danmaku.engine.filter;

import org.agrona.DirectBuffer;

/**
 * User-level rule: users below a minimum level may not post links or contact details. Owned by
 * the admit stage thread (one preallocated scratch array of folded code points); allocation-free.
 *
 * <p>Content is decoded and folded first ({@link TextNormalizer#fold}: full-width letters, digits
 * and punctuation count as ASCII, case is ignored). A bullet violates the rule when it contains:
 * <ul>
 *   <li>{@code http://}, {@code https://} or {@code www.};</li>
 *   <li>a bare domain: an ASCII letter or digit, a dot ({@code .}, {@code 。} or {@code ｡}), then
 *       one of the {@link #TLDS} not followed by a letter or digit ({@code abc.com}, {@code x.cn/y});</li>
 *   <li>a contact keyword ({@link #CONTACT_KEYWORDS}: qq, vx, wx, 微信, 加v, ...) followed, within
 *       at most one other character ({@code qq号}) and any separators ({@code :}, spaces), by a run
 *       of 5 or more digits;</li>
 *   <li>a run of 7 or more digits that looks like a phone or QQ number: digits joined only by
 *       spaces, zero-width characters or {@code -}, with at least 3 distinct digits (so the cheers
 *       {@code 6666666} and {@code 2333333} pass); a run containing {@code -} needs 11 digits (a
 *       phone number), so dates like {@code 2024-10-01} pass.</li>
 * </ul>
 * Not detected (by design, to keep false positives down): numbers spelled in Chinese numerals,
 * circled digits, and domains written as {@code abc dot com}.
 */
public final class LinkRule {
    /** Top-level domains recognized in bare domains. */
    static final String[] TLDS = {
        "com", "cn", "net", "org", "io", "cc", "top", "xyz", "me", "tv", "info", "vip", "co", "app",
        "site", "club", "shop", "online", "link", "live", "ltd", "wang", "biz", "hk", "tw", "ru", "tk",
    };
    /** Contact keywords, folded (lower case). */
    static final String[] CONTACT_KEYWORDS = {
        "qq", "vx", "wx", "v信", "微信", "威信", "薇信", "徽信", "加v", "加薇", "扣扣", "q群", "企鹅",
        "电话", "手机", "tel", "whatsapp", "telegram",
    };

    private static final int NO_KEYWORD = Integer.MAX_VALUE;

    private final int minLevel;
    private final int[] cps;
    private final ContentBytes content;
    private final int[][] keywords;
    /** Bit c set iff some keyword ends with code point c (all keywords are in the BMP). */
    private final long[] keywordLast = new long[1 << 10];
    private final int[][] tlds;

    /**
     * @param minLevel        users with a level below this may not post links or contacts
     * @param maxContentBytes longest content, bytes, that will be checked (sizes the scratch)
     */
    public LinkRule(final int minLevel, final int maxContentBytes) {
        if (maxContentBytes <= 0) {
            throw new IllegalArgumentException("maxContentBytes must be positive: " + maxContentBytes);
        }
        this.minLevel = minLevel;
        this.cps = new int[maxContentBytes];
        this.content = new ContentBytes(maxContentBytes);
        this.keywords = toCodePoints(CONTACT_KEYWORDS);
        for (final int[] keyword : keywords) {
            final int last = keyword[keyword.length - 1];
            if (last > 0xFFFF) {
                throw new IllegalStateException("contact keywords must be in the BMP: " + last);
            }
            keywordLast[last >>> 6] |= 1L << last;
        }
        this.tlds = toCodePoints(TLDS);
    }

    /**
     * Admit stage thread; allocation-free; returns without scanning when the level suffices.
     *
     * @param userLevel the sender's level
     * @param buf       content, UTF-8
     * @param off       first byte
     * @param len       length in bytes; only the first {@code maxContentBytes} are examined
     * @return true when the user is below the minimum level and the content has a link or contact
     */
    public boolean violates(final int userLevel, final DirectBuffer buf, final int off, final int len) {
        if (userLevel >= minLevel) {
            return false;
        }
        content.wrap(buf, off, Math.min(len, cps.length));
        final int n = fold(content.bytes, content.from, content.to);
        return hasLink(n) || hasContactNumber(n);
    }

    /** @return the minimum level allowed to post links */
    public int minLevel() {
        return minLevel;
    }

    private int fold(final byte[] bytes, final int from, final int to) {
        int n = 0;
        for (int i = from; i < to; ) {
            final int length = Math.min(TextNormalizer.sequenceLength(bytes[i] & 0xFF), to - i);
            cps[n++] = TextNormalizer.fold(TextNormalizer.decode(bytes, i, length));
            i += length;
        }
        return n;
    }

    private boolean hasLink(final int n) {
        for (int i = 0; i < n; i++) {
            final int c = cps[i];
            if (c == 'h' && (startsWith(i, n, "http://") || startsWith(i, n, "https://"))) {
                return true;
            }
            if (c == 'w' && startsWith(i, n, "www") && i + 3 < n && isDot(cps[i + 3])) {
                return true;
            }
            if (isDot(c) && i > 0 && TextNormalizer.isAsciiAlphanumeric(cps[i - 1]) && isTldAt(i + 1, n)) {
                return true;
            }
        }
        return false;
    }

    private boolean hasContactNumber(final int n) {
        int sinceKeyword = NO_KEYWORD;
        int runSinceKeyword = NO_KEYWORD;
        int digits = 0;
        int distinct = 0;
        boolean dashed = false;
        for (int i = 0; i < n; i++) {
            final int c = cps[i];
            if (c >= '0' && c <= '9') {
                if (digits == 0) {
                    runSinceKeyword = sinceKeyword;
                }
                digits++;
                distinct |= 1 << (c - '0');
                if (digits >= 5 && runSinceKeyword <= 1) {
                    return true;
                }
                if (digits >= (dashed ? 11 : 7) && Integer.bitCount(distinct) >= 3) {
                    return true;
                }
                continue;
            }
            if (digits > 0 && isDigitJoiner(c)) {
                dashed |= c == '-';
                continue;
            }
            digits = 0;
            distinct = 0;
            dashed = false;
            if (keywordEndsAt(i)) {
                sinceKeyword = 0;
            } else if (sinceKeyword != NO_KEYWORD && !TextNormalizer.isSeparator(c)) {
                sinceKeyword++;
            }
        }
        return false;
    }

    private boolean keywordEndsAt(final int i) {
        // Most code points end no keyword: one bit test instead of comparing every keyword.
        final int c = cps[i];
        if (c > 0xFFFF || (keywordLast[c >>> 6] & 1L << c) == 0) {
            return false;
        }
        for (final int[] keyword : keywords) {
            final int start = i - keyword.length + 1;
            if (start >= 0 && regionMatches(start, keyword)) {
                return true;
            }
        }
        return false;
    }

    private boolean isTldAt(final int start, final int n) {
        int end = start;
        while (end < n && cps[end] >= 'a' && cps[end] <= 'z') {
            end++;
        }
        if (end == start || (end < n && TextNormalizer.isAsciiAlphanumeric(cps[end]))) {
            return false;
        }
        for (final int[] tld : tlds) {
            if (tld.length == end - start && regionMatches(start, tld)) {
                return true;
            }
        }
        return false;
    }

    private boolean regionMatches(final int start, final int[] expected) {
        for (int k = 0; k < expected.length; k++) {
            if (cps[start + k] != expected[k]) {
                return false;
            }
        }
        return true;
    }

    private boolean startsWith(final int start, final int n, final String ascii) {
        if (start + ascii.length() > n) {
            return false;
        }
        for (int k = 0; k < ascii.length(); k++) {
            if (cps[start + k] != ascii.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isDot(final int c) {
        return c == '.' || c == 0x3002 || c == 0xFF61;
    }

    private static boolean isDigitJoiner(final int c) {
        return c == ' ' || c == '-' || c == '\t' || (c != '\n' && Character.getType(c) == Character.FORMAT);
    }

    private static int[][] toCodePoints(final String[] words) {
        final int[][] out = new int[words.length][];
        for (int i = 0; i < words.length; i++) {
            out[i] = words[i].codePoints().map(TextNormalizer::fold).toArray();
        }
        return out;
    }
}
