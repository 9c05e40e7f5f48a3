package dev.danmaku.engine.filter;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.List;

import static dev.danmaku.engine.filter.Bytes.string;
import static dev.danmaku.engine.filter.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;

/** Property tests; jqwik prints the seed of a failing run (re-run with {@code @Property(seed = ...)}). */
class SensitiveWordFilterProperties {
    private static final List<String> REJECT_WORDS = List.of("加微信", "代练", "spam", "casino", "qq群");
    private static final List<String> MASK_WORDS = List.of("傻逼", "脑残", "fuck", "shit", "idiot");
    private static final String SEPARATORS = " \t.,*_-!?~·。，、！？「」【】\u3000\u200B\u200C\u200D\u2060\uFEFF★♥+=$^|/\\";
    /** Characters in no word (after folding): clean filler. */
    private static final String CLEAN = "的了在是我有他这中大来上个国到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与让理重点abgjklmnrvwxyz0123456789";

    private final SensitiveWordFilter filter;

    SensitiveWordFilterProperties() {
        final SensitiveWordFilter.Builder b = SensitiveWordFilter.builder();
        REJECT_WORDS.forEach(w -> b.add(w, WordPolicy.REJECT));
        MASK_WORDS.forEach(w -> b.add(w, WordPolicy.MASK));
        filter = b.build();
    }

    @Property(tries = 500)
    void separatorsInsertedBetweenLettersNeverDefeatARejectWord(
        @ForAll("rejectWords") final String word, @ForAll("disguises") final List<String> gaps,
        @ForAll("cleanText") final String prefix, @ForAll("cleanText") final String suffix) {
        final UnsafeBuffer buf = utf8(prefix + disguise(word, gaps) + suffix);
        final int result = filter.scan(buf, 0, buf.capacity());
        assertThat(result).isGreaterThanOrEqualTo(0);
        assertThat(filter.word(result)).isEqualTo(word);
    }

    @Property(tries = 500)
    void separatorsInsertedBetweenLettersNeverDefeatAMaskWordAndMaskingStarsEveryCodePoint(
        @ForAll("maskWords") final String word, @ForAll("disguises") final List<String> gaps,
        @ForAll("cleanText") final String prefix, @ForAll("cleanText") final String suffix) {
        final String disguised = disguise(word, gaps);
        final UnsafeBuffer buf = utf8(prefix + disguised + suffix);
        assertThat(filter.scan(buf, 0, buf.capacity())).isEqualTo(SensitiveWordFilter.MASK);
        final int len = filter.mask(buf, 0, buf.capacity());
        assertThat(string(buf, len))
            .isEqualTo(prefix + "*".repeat(disguised.codePointCount(0, disguised.length())) + suffix);
    }

    @Property(tries = 1000)
    void textMadeOfCharactersInNoWordNeverMatches(@ForAll("cleanText") final String text) {
        final UnsafeBuffer buf = utf8(text);
        assertThat(filter.scan(buf, 0, buf.capacity())).isEqualTo(SensitiveWordFilter.CLEAN);
        assertThat(filter.mask(buf, 0, buf.capacity())).isEqualTo(buf.capacity());
        assertThat(string(buf, buf.capacity())).isEqualTo(text);
    }

    private static String disguise(final String word, final List<String> gaps) {
        final StringBuilder sb = new StringBuilder();
        final int[] cps = word.codePoints().toArray();
        for (int i = 0; i < cps.length; i++) {
            final String gap = gaps.get(i % gaps.size());
            final boolean widen = gap.length() % 2 == 0;
            final int cp = cps[i];
            // Randomly upper-case or full-width ASCII letters too.
            if (cp >= 'a' && cp <= 'z' && widen) {
                sb.appendCodePoint(cp - 'a' + 'Ａ');
            } else if (cp >= 'a' && cp <= 'z' && gap.length() % 3 == 0) {
                sb.appendCodePoint(Character.toUpperCase(cp));
            } else {
                sb.appendCodePoint(cp);
            }
            if (i < cps.length - 1) {
                sb.append(gap);
            }
        }
        return sb.toString();
    }

    @Provide
    Arbitrary<String> rejectWords() {
        return Arbitraries.of(REJECT_WORDS);
    }

    @Provide
    Arbitrary<String> maskWords() {
        return Arbitraries.of(MASK_WORDS);
    }

    @Provide
    Arbitrary<List<String>> disguises() {
        final Arbitrary<String> gap = Arbitraries.strings().withChars(SEPARATORS.toCharArray()).ofMinLength(0).ofMaxLength(3);
        final Arbitrary<String> emoji = Arbitraries.of("😀", "💕", "👍");
        return Combinators.combine(gap, emoji, Arbitraries.integers().between(0, 4))
            .as((g, e, k) -> k == 0 ? g + e : g)
            .list().ofMinSize(1).ofMaxSize(6);
    }

    @Provide
    Arbitrary<String> cleanText() {
        return Arbitraries.strings().withChars((CLEAN + SEPARATORS).toCharArray()).ofMaxLength(40);
    }
}
