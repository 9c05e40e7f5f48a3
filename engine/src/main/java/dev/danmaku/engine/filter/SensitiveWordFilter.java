package dev.danmaku.engine.filter;

import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2LongHashMap;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Aho-Corasick matcher for sensitive words over normalized code points. Owned by the admit stage
 * thread: the automaton is immutable, but each instance carries preallocated scratch arrays, so one
 * instance must be scanned by one thread at a time. A reload builds a new instance off the hot path
 * and the caller swaps the reference.
 *
 * <p>Matching folds case and width and skips separators (see {@link TextNormalizer}): the word
 * {@code foo} matches {@code FOO}, {@code ＦＯＯ}, {@code f.o o} and {@code f*o*o}; {@code 傻逼}
 * matches {@code 傻 逼} and {@code 傻.逼}. A match still reports the original byte range, from the
 * first byte of its first matched code point to the last byte of its last one, so separators
 * inside an occurrence are masked with it while leading and trailing ones are kept.
 *
 * <p>Because separators are skipped, a word can also match across a word boundary of the input
 * ({@code "of oo"} contains {@code foo}); that is the price of defeating {@code f o o}, and why the
 * word list should avoid very short Latin words.
 *
 * <p>Cost: {@code O(len)} amortized lookups in a primitive hash map per scan; no allocation.
 */
public final class SensitiveWordFilter {
    /** {@link #scan} result: no word matched. */
    public static final int CLEAN = -1;
    /** {@link #scan} result: only {@link WordPolicy#MASK} words matched; call {@link #mask}. */
    public static final int MASK = -2;
    /** Default upper bound on content length, in bytes, accepted by {@link #mask}. */
    public static final int DEFAULT_MAX_CONTENT_BYTES = 512;

    private static final long NO_STATE = -1L;
    private static final int ROOT = 0;
    private static final int NO_WORD = -1;

    private final String[] words;
    private final boolean[] maskPolicy;
    private final int[] wordCodePoints;
    private final Long2LongHashMap transitions;
    private final int[] failure;
    private final int[] output;
    private final int[] dictionaryLink;
    private final int maxContentBytes;

    /**
     * Bit per BMP code point: set when some word starts with it (a transition from the root). At the
     * root, any other BMP code point leaves the automaton at the root with no output, so the scan
     * skips the transition lookup: most code points of clean content take this path. Code points
     * above U+FFFF always take the lookup.
     */
    private final long[] rootFirst = new long[0x10000 >>> 6];

    // Scratch, owned by the scanning thread.
    private final int[] startRing;
    private final int startRingMask;
    private final int[] rangeStart;
    private final int[] rangeEnd;
    private int rangeCount;
    private final ContentBytes content;

    private SensitiveWordFilter(
        final String[] words,
        final boolean[] maskPolicy,
        final int[] wordCodePoints,
        final Long2LongHashMap transitions,
        final int[] failure,
        final int[] output,
        final int[] dictionaryLink,
        final int maxWordCodePoints,
        final int maxContentBytes) {
        this.words = words;
        this.maskPolicy = maskPolicy;
        this.wordCodePoints = wordCodePoints;
        this.transitions = transitions;
        this.failure = failure;
        this.output = output;
        this.dictionaryLink = dictionaryLink;
        this.maxContentBytes = maxContentBytes;
        final int ringSize = BitUtil.findNextPositivePowerOfTwo(Math.max(2, maxWordCodePoints));
        this.startRing = new int[ringSize];
        this.startRingMask = ringSize - 1;
        this.rangeStart = new int[maxContentBytes + 1];
        this.rangeEnd = new int[maxContentBytes + 1];
        this.content = new ContentBytes(maxContentBytes);
        final Long2LongHashMap.KeyIterator keys = transitions.keySet().iterator();
        while (keys.hasNext()) {
            final long key = keys.nextValue();
            final int cp = (int)key;
            if ((int)(key >>> 32) == ROOT && cp >= 0 && cp < 0x10000) {
                rootFirst[cp >>> 6] |= 1L << cp;
            }
        }
    }

    /**
     * A new, empty builder.
     *
     * @return a builder with {@link #DEFAULT_MAX_CONTENT_BYTES}
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Loads a word list file (format: see {@link Builder#addWordList(Reader, String)}).
     *
     * @param path a UTF-8 file such as {@code config/words.txt}
     * @return the filter
     * @throws IOException              if the file cannot be read
     * @throws IllegalArgumentException naming the file and line of the first bad line
     */
    public static SensitiveWordFilter load(final Path path) throws IOException {
        try (Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            return builder().addWordList(reader, path.toString()).build();
        }
    }

    /**
     * Loads a word list (format: see {@link Builder#addWordList(Reader, String)}).
     *
     * @param reader the list; not closed
     * @return the filter
     * @throws IOException              if the reader fails
     * @throws IllegalArgumentException naming the line of the first bad line
     */
    public static SensitiveWordFilter load(final Reader reader) throws IOException {
        return builder().addWordList(reader, "word list").build();
    }

    /**
     * Scans content for sensitive words. Admit stage thread; allocation-free.
     *
     * <p>Stops at the first {@link WordPolicy#REJECT} word.
     *
     * @param buf content, UTF-8
     * @param off first byte
     * @param len length in bytes (any length: scanning keeps only a ring of the last word-length
     *            start offsets)
     * @return a word index {@code >= 0} when a REJECT word matched ({@link #word(int)} names it),
     *         {@link #MASK} when only MASK words matched, {@link #CLEAN} otherwise
     */
    public int scan(final DirectBuffer buf, final int off, final int len) {
        return run(buf, off, len, false);
    }

    /**
     * Replaces every occurrence of every {@link WordPolicy#MASK} word, in place, by one {@code '*'}
     * per original code point, separators inside the occurrence included. Overlapping and adjacent
     * occurrences are merged. REJECT words are left alone (the caller has already decided to
     * reject them). Admit stage thread; allocation-free.
     *
     * <p>The result is valid UTF-8 and never longer than the input ({@code '*'} is one byte and every
     * code point is at least one), so the rewrite is done front to back in place.
     *
     * @param buf content, UTF-8, rewritten in place
     * @param off first byte
     * @param len length in bytes, at most {@link #maxContentBytes()}
     * @return the new length in bytes
     * @throws IllegalArgumentException if {@code len > maxContentBytes()} (the codec's size limit
     *                                  should make this a bug, not a peer error)
     */
    public int mask(final MutableDirectBuffer buf, final int off, final int len) {
        if (len > maxContentBytes) {
            throw new IllegalArgumentException("content longer than maxContentBytes=" + maxContentBytes);
        }
        if (run(buf, off, len, true) == CLEAN || rangeCount == 0) {
            return len;
        }
        final int end = off + len;
        int read = off;
        int write = off;
        int range = 0;
        while (read < end) {
            final int n = Math.min(TextNormalizer.sequenceLength(buf.getByte(read) & 0xFF), end - read);
            if (range < rangeCount && read >= rangeStart[range]) {
                buf.putByte(write++, (byte)'*');
                read += n;
                if (read >= rangeEnd[range]) {
                    range++;
                }
            } else {
                for (int i = 0; i < n; i++) {
                    buf.putByte(write++, buf.getByte(read++));
                }
            }
        }
        return write - off;
    }

    /**
     * Number of distinct (normalized) words.
     *
     * @return word count
     */
    public int wordCount() {
        return words.length;
    }

    /**
     * The word as first written in the list, for logs and the admin API.
     *
     * @param index a word index returned by {@link #scan}
     * @return the word
     */
    public String word(final int index) {
        return words[index];
    }

    /**
     * The policy of a word; REJECT wins when the list has the same normalized word twice.
     *
     * @param index word index
     * @return its policy
     */
    public WordPolicy policy(final int index) {
        return maskPolicy[index] ? WordPolicy.MASK : WordPolicy.REJECT;
    }

    /**
     * Largest content, in bytes, that {@link #mask} accepts.
     *
     * @return bytes
     */
    public int maxContentBytes() {
        return maxContentBytes;
    }

    private int run(final DirectBuffer buf, final int off, final int len, final boolean collectMasks) {
        content.wrap(buf, off, len); // plain array reads; recorded offsets stay buffer-relative
        final byte[] array = content.bytes;
        final int shift = content.shift;
        final int end = content.to;
        int state = ROOT;
        long fed = 0;
        boolean masked = false;
        rangeCount = 0;
        int i = content.from;
        while (i < end) {
            final int n = Math.min(TextNormalizer.sequenceLength(array[i] & 0xFF), end - i);
            final int cp = TextNormalizer.fold(TextNormalizer.decode(array, i, n));
            final int cpStart = i;
            i += n;
            if (TextNormalizer.isSeparator(cp)) {
                continue;
            }
            startRing[(int)(fed & startRingMask)] = cpStart - shift;
            fed++;
            if (state == ROOT && cp < 0x10000 && (rootFirst[cp >>> 6] & (1L << cp)) == 0) {
                continue; // next(ROOT, cp) == ROOT, which has no output
            }
            state = next(state, cp);
            int s = output[state] != NO_WORD ? state : dictionaryLink[state];
            while (s != ROOT) {
                final int w = output[s];
                if (maskPolicy[w]) {
                    masked = true;
                    if (collectMasks) {
                        addRange(startRing[(int)((fed - wordCodePoints[w]) & startRingMask)], i - shift);
                    }
                } else if (!collectMasks) {
                    return w;
                }
                s = dictionaryLink[s];
            }
        }
        return masked ? MASK : CLEAN;
    }

    private int next(final int from, final int cp) {
        int state = from;
        while (true) {
            final long to = transitions.get(edgeKey(state, cp));
            if (to != NO_STATE) {
                return (int)to;
            }
            if (state == ROOT) {
                return ROOT;
            }
            state = failure[state];
        }
    }

    /** Ends arrive in non-decreasing order, so a stack merge keeps ranges sorted and disjoint. */
    private void addRange(final int start, final int end) {
        int s = start;
        while (rangeCount > 0 && s <= rangeEnd[rangeCount - 1]) {
            rangeCount--;
            s = Math.min(s, rangeStart[rangeCount]);
        }
        rangeStart[rangeCount] = s;
        rangeEnd[rangeCount] = end;
        rangeCount++;
    }

    private static long edgeKey(final int state, final int cp) {
        return ((long)state << 32) | cp;
    }

    /**
     * Normalizes a word the way content is normalized: folded, separators dropped.
     *
     * @param word a word
     * @return its normalized code points, possibly empty
     */
    static int[] normalize(final String word) {
        final int[] out = new int[word.length()];
        int n = 0;
        for (int i = 0; i < word.length(); ) {
            final int cp = word.codePointAt(i);
            i += Character.charCount(cp);
            final int folded = TextNormalizer.fold(cp);
            if (!TextNormalizer.isSeparator(folded)) {
                out[n++] = folded;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * Collects words and builds the automaton. Admin/config thread; not thread-safe.
     */
    public static final class Builder {
        private final List<String> words = new ArrayList<>();
        private final List<int[]> normalized = new ArrayList<>();
        private final List<WordPolicy> policies = new ArrayList<>();
        private final Map<String, Integer> byNormalized = new HashMap<>();
        private int maxContentBytes = DEFAULT_MAX_CONTENT_BYTES;

        private Builder() {
        }

        /**
         * Sets the largest content {@link SensitiveWordFilter#mask} will accept (sizes scratch).
         *
         * @param bytes content limit in bytes, positive
         * @return this
         */
        public Builder maxContentBytes(final int bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("maxContentBytes must be positive: " + bytes);
            }
            maxContentBytes = bytes;
            return this;
        }

        /**
         * Adds a word. A word that normalizes to the same code points as an earlier one is merged
         * with it (REJECT wins).
         *
         * @param word   the word; must keep at least one code point after dropping separators
         * @param policy what to do on a match
         * @return this
         * @throws IllegalArgumentException if the word has nothing to match
         */
        public Builder add(final String word, final WordPolicy policy) {
            final int[] cps = normalize(word);
            if (cps.length == 0) {
                throw new IllegalArgumentException("word has no matchable characters: '" + word + "'");
            }
            final String key = new String(cps, 0, cps.length);
            final Integer existing = byNormalized.get(key);
            if (existing != null) {
                if (policy == WordPolicy.REJECT) {
                    policies.set(existing, WordPolicy.REJECT);
                }
                return this;
            }
            byNormalized.put(key, words.size());
            words.add(word);
            normalized.add(cps);
            policies.add(policy);
            return this;
        }

        /**
         * Adds every entry of a word list. Format, UTF-8, one entry per line:
         * <pre>
         * # comment
         * word                (policy reject)
         * word&lt;TAB&gt;reject
         * word&lt;TAB&gt;mask
         * </pre>
         * Blank lines and lines starting with {@code #} are ignored; leading and trailing white space
         * around the word and the policy is trimmed.
         *
         * @param reader the list; not closed
         * @param source name used in error messages (a file name)
         * @return this
         * @throws IOException              if the reader fails
         * @throws IllegalArgumentException {@code "<source> line <n>: <problem>"} for the first bad line
         */
        public Builder addWordList(final Reader reader, final String source) throws IOException {
            final BufferedReader lines = reader instanceof BufferedReader
                ? (BufferedReader)reader : new BufferedReader(reader);
            int lineNumber = 0;
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                lineNumber++;
                final String trimmed = line.strip();
                if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                    continue;
                }
                final int tab = line.indexOf('\t');
                final String word = (tab < 0 ? line : line.substring(0, tab)).strip();
                WordPolicy policy = WordPolicy.REJECT;
                if (tab >= 0) {
                    final String token = line.substring(tab + 1).strip().toLowerCase(Locale.ROOT);
                    if ("reject".equals(token)) {
                        policy = WordPolicy.REJECT;
                    } else if ("mask".equals(token)) {
                        policy = WordPolicy.MASK;
                    } else {
                        throw new IllegalArgumentException(source + " line " + lineNumber
                            + ": unknown policy '" + token + "' (expected reject or mask)");
                    }
                }
                if (word.isEmpty()) {
                    throw new IllegalArgumentException(source + " line " + lineNumber + ": empty word");
                }
                try {
                    add(word, policy);
                } catch (final IllegalArgumentException ex) {
                    throw new IllegalArgumentException(source + " line " + lineNumber + ": " + ex.getMessage(), ex);
                }
            }
            return this;
        }

        /**
         * Builds the automaton (goto edges in a primitive map, failure and dictionary links by BFS).
         *
         * @return a new filter; the builder may be reused
         */
        public SensitiveWordFilter build() {
            final Long2LongHashMap transitions = new Long2LongHashMap(64, 0.5f, NO_STATE);
            // Per-state child lists, needed only for the BFS.
            int[] firstChild = new int[16];
            int[] nextSibling = new int[16];
            int[] edgeCp = new int[16];
            int[] output = new int[16];
            firstChild[ROOT] = -1;
            output[ROOT] = NO_WORD;
            int states = 1;
            int maxWordCodePoints = 1;
            final int wordCount = words.size();
            final int[] wordCodePoints = new int[wordCount];
            for (int w = 0; w < wordCount; w++) {
                final int[] cps = normalized.get(w);
                wordCodePoints[w] = cps.length;
                maxWordCodePoints = Math.max(maxWordCodePoints, cps.length);
                int state = ROOT;
                for (final int cp : cps) {
                    final long to = transitions.get(edgeKey(state, cp));
                    if (to != NO_STATE) {
                        state = (int)to;
                        continue;
                    }
                    if (states == firstChild.length) {
                        final int size = states * 2;
                        firstChild = Arrays.copyOf(firstChild, size);
                        nextSibling = Arrays.copyOf(nextSibling, size);
                        edgeCp = Arrays.copyOf(edgeCp, size);
                        output = Arrays.copyOf(output, size);
                    }
                    final int child = states++;
                    firstChild[child] = -1;
                    output[child] = NO_WORD;
                    edgeCp[child] = cp;
                    nextSibling[child] = firstChild[state];
                    firstChild[state] = child;
                    transitions.put(edgeKey(state, cp), child);
                    state = child;
                }
                output[state] = w;
            }

            final int[] failure = new int[states];
            final int[] dictionaryLink = new int[states];
            final int[] queue = new int[states];
            int head = 0;
            int tail = 0;
            for (int c = firstChild[ROOT]; c != -1; c = nextSibling[c]) {
                failure[c] = ROOT;
                dictionaryLink[c] = ROOT;
                queue[tail++] = c;
            }
            while (head < tail) {
                final int u = queue[head++];
                for (int v = firstChild[u]; v != -1; v = nextSibling[v]) {
                    final int cp = edgeCp[v];
                    int f = failure[u];
                    int target = ROOT;
                    while (true) {
                        final long to = transitions.get(edgeKey(f, cp));
                        if (to != NO_STATE) {
                            target = (int)to;
                            break;
                        }
                        if (f == ROOT) {
                            break;
                        }
                        f = failure[f];
                    }
                    failure[v] = target;
                    dictionaryLink[v] = output[target] != NO_WORD ? target : dictionaryLink[target];
                    queue[tail++] = v;
                }
            }

            final boolean[] maskPolicy = new boolean[wordCount];
            for (int w = 0; w < wordCount; w++) {
                maskPolicy[w] = policies.get(w) == WordPolicy.MASK;
            }
            return new SensitiveWordFilter(
                words.toArray(new String[0]),
                maskPolicy,
                wordCodePoints,
                transitions,
                failure,
                Arrays.copyOf(output, states),
                dictionaryLink,
                maxWordCodePoints,
                maxContentBytes);
        }
    }
}
