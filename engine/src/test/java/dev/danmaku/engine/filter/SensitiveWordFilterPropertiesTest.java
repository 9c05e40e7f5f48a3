package dev.danmaku.engine.filter;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;

import static dev.danmaku.engine.filter.Bytes.string;
import static dev.danmaku.engine.filter.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Property tests. Each runs a fixed number of trials; trial {@code i} draws its inputs from the
 * {@code i}-th split of a {@link SplittableRandom} seeded with {@link #BASE_SEED}. Every assertion
 * names the seed and trial, so a failure replays exactly with {@code -Ddanmaku.seed=<seed>}.
 */
class SensitiveWordFilterPropertiesTest {
    private static final long BASE_SEED = Long.getLong("danmaku.seed", 0x6A7E_1D31_7E25_CA1EL);
    private static final List<String> REJECT_WORDS = List.of("加微信", "代练", "spam", "casino", "qq群");
    private static final List<String> MASK_WORDS = List.of("傻逼", "脑残", "fuck", "shit", "idiot");
    private static final List<String> EMOJI = List.of("😀", "💕", "👍");
    private static final String SEPARATORS = " \t.,*_-!?~·。，、！？「」【】\u3000\u200B\u200C\u200D\u2060\uFEFF★♥+=$^|/\\";
    /** Characters in no word (after folding): clean filler. */
    private static final String CLEAN = "的了在是我有他这中大来上个国到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与让理重点abgjklmnrvwxyz0123456789";

    private final SensitiveWordFilter filter;

    SensitiveWordFilterPropertiesTest() {
        final SensitiveWordFilter.Builder b = SensitiveWordFilter.builder();
        REJECT_WORDS.forEach(w -> b.add(w, WordPolicy.REJECT));
        MASK_WORDS.forEach(w -> b.add(w, WordPolicy.MASK));
        filter = b.build();
    }

    @Test
    void separatorsInsertedBetweenLettersNeverDefeatARejectWord() {
        final SplittableRandom root = new SplittableRandom(BASE_SEED);
        for (int trial = 0; trial < 500; trial++) {
            final SplittableRandom random = root.split();
            final String word = Gen.oneOf(random, REJECT_WORDS);
            final List<String> gaps = disguises(random);
            final String prefix = cleanText(random);
            final String suffix = cleanText(random);

            final String text = prefix + disguise(word, gaps) + suffix;
            final UnsafeBuffer buf = utf8(text);
            final int result = filter.scan(buf, 0, buf.capacity());
            assertThat(result).as("seed=%d trial=%d text=%s", BASE_SEED, trial, text).isGreaterThanOrEqualTo(0);
            assertThat(filter.word(result)).as("seed=%d trial=%d text=%s", BASE_SEED, trial, text).isEqualTo(word);
        }
    }

    @Test
    void separatorsInsertedBetweenLettersNeverDefeatAMaskWordAndMaskingStarsEveryCodePoint() {
        final SplittableRandom root = new SplittableRandom(BASE_SEED);
        for (int trial = 0; trial < 500; trial++) {
            final SplittableRandom random = root.split();
            final String word = Gen.oneOf(random, MASK_WORDS);
            final List<String> gaps = disguises(random);
            final String prefix = cleanText(random);
            final String suffix = cleanText(random);

            final String disguised = disguise(word, gaps);
            final String text = prefix + disguised + suffix;
            final UnsafeBuffer buf = utf8(text);
            assertThat(filter.scan(buf, 0, buf.capacity()))
                .as("seed=%d trial=%d text=%s", BASE_SEED, trial, text)
                .isEqualTo(SensitiveWordFilter.MASK);
            final int len = filter.mask(buf, 0, buf.capacity());
            assertThat(string(buf, len))
                .as("seed=%d trial=%d text=%s", BASE_SEED, trial, text)
                .isEqualTo(prefix + "*".repeat(disguised.codePointCount(0, disguised.length())) + suffix);
        }
    }

    @Test
    void textMadeOfCharactersInNoWordNeverMatches() {
        final SplittableRandom root = new SplittableRandom(BASE_SEED);
        for (int trial = 0; trial < 1000; trial++) {
            final SplittableRandom random = root.split();
            final String text = cleanText(random);

            final UnsafeBuffer buf = utf8(text);
            assertThat(filter.scan(buf, 0, buf.capacity()))
                .as("seed=%d trial=%d text=%s", BASE_SEED, trial, text)
                .isEqualTo(SensitiveWordFilter.CLEAN);
            assertThat(filter.mask(buf, 0, buf.capacity()))
                .as("seed=%d trial=%d text=%s", BASE_SEED, trial, text)
                .isEqualTo(buf.capacity());
            assertThat(string(buf, buf.capacity()))
                .as("seed=%d trial=%d text=%s", BASE_SEED, trial, text)
                .isEqualTo(text);
        }
    }

    @Test
    void scanAndMaskGiveTheSameResultWhereverTheContentLives() {
        // Heap at offset 0, heap at an offset, a view of an array from an offset, off heap at an offset.
        final SplittableRandom root = new SplittableRandom(BASE_SEED + 1);
        for (int trial = 0; trial < 1000; trial++) {
            final SplittableRandom random = root.split();
            final String text = cleanText(random) + (random.nextBoolean()
                ? disguise(Gen.oneOf(random, random.nextBoolean() ? REJECT_WORDS : MASK_WORDS), disguises(random))
                : "") + cleanText(random);
            final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            final int pad = 1 + random.nextInt(16);
            final UnsafeBuffer plain = new UnsafeBuffer(bytes.clone());
            final int expectedScan = filter.scan(plain, 0, bytes.length);
            final int expectedLength = filter.mask(plain, 0, bytes.length);
            final String expectedText = string(plain, expectedLength);

            final byte[] padded = new byte[bytes.length + 2 * pad];
            final ByteBuffer direct = ByteBuffer.allocateDirect(padded.length);
            final UnsafeBuffer[] where = {
                new UnsafeBuffer(padded.clone()),
                new UnsafeBuffer(padded.clone(), pad / 2, padded.length - pad / 2),
                new UnsafeBuffer(direct),
            };
            for (int w = 0; w < where.length; w++) {
                final UnsafeBuffer buf = where[w];
                final int off = w == 1 ? pad - pad / 2 : pad;
                buf.putBytes(off, bytes);
                final String as = String.format("seed=%d trial=%d where=%d text=%s", BASE_SEED + 1, trial, w, text);
                assertThat(filter.scan(buf, off, bytes.length)).as(as).isEqualTo(expectedScan);
                final int len = filter.mask(buf, off, bytes.length);
                assertThat(len).as(as).isEqualTo(expectedLength);
                final byte[] out = new byte[len];
                buf.getBytes(off, out);
                assertThat(new String(out, StandardCharsets.UTF_8)).as(as).isEqualTo(expectedText);
            }
        }
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

    /** 1 to 6 gaps of 0 to 3 separators; one gap in five also carries an emoji. */
    private static List<String> disguises(final SplittableRandom random) {
        return Gen.list(random, 1, 6, r -> {
            final String gap = Gen.string(r, SEPARATORS.toCharArray(), 0, 3);
            return r.nextInt(5) == 0 ? gap + Gen.oneOf(r, EMOJI) : gap;
        });
    }

    /** Up to 40 chars that are in no word, separators included. */
    private static String cleanText(final SplittableRandom random) {
        return Gen.string(random, (CLEAN + SEPARATORS).toCharArray(), 0, 40);
    }
}
