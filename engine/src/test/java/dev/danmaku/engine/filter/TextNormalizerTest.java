package dev.danmaku.engine.filter;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class TextNormalizerTest {
    @Test
    void shouldDecodeOneToFourByteSequences() {
        final byte[] bytes = "aé傻😀".getBytes(StandardCharsets.UTF_8);
        int i = 0;
        final int[] expected = {'a', 'é', '傻', 0x1F600};
        for (final int cp : expected) {
            final int n = TextNormalizer.sequenceLength(bytes[i] & 0xFF);
            assertThat(TextNormalizer.decode(bytes, i, n)).isEqualTo(cp);
            i += n;
        }
        assertThat(i).isEqualTo(bytes.length);
    }

    @Test
    void shouldDecodeATruncatedSequenceAsTheReplacementCharacter() {
        final byte[] bytes = "傻".getBytes(StandardCharsets.UTF_8);
        assertThat(TextNormalizer.decode(bytes, 0, 2)).isEqualTo(TextNormalizer.REPLACEMENT);
    }

    @Test
    void shouldFoldAsciiCaseFullWidthFormsAndIdeographicSpace() {
        assertThat(TextNormalizer.fold('F')).isEqualTo('f');
        assertThat(TextNormalizer.fold('Ｆ')).isEqualTo('f');
        assertThat(TextNormalizer.fold('ｆ')).isEqualTo('f');
        assertThat(TextNormalizer.fold('１')).isEqualTo('1');
        assertThat(TextNormalizer.fold('！')).isEqualTo('!');
        assertThat(TextNormalizer.fold(0x3000)).isEqualTo(' ');
        assertThat(TextNormalizer.fold('傻')).isEqualTo('傻');
    }

    @Test
    void shouldTreatWhitespacePunctuationSymbolsAndZeroWidthCharactersAsSeparators() {
        for (final int cp : " \t\n.,*_-~!?。，、「」·★♥+$\u200B\u200C\u200D\u2060\uFEFF\uFE0F".codePoints().toArray()) {
            assertThat(TextNormalizer.isSeparator(TextNormalizer.fold(cp))).as("U+%04X", cp).isTrue();
        }
        assertThat(TextNormalizer.isSeparator(0x1F600)).isTrue();
        for (final int cp : "aZ09傻逼微信ｑé".codePoints().toArray()) {
            assertThat(TextNormalizer.isSeparator(TextNormalizer.fold(cp))).as("U+%04X", cp).isFalse();
        }
    }

    @Test
    void shouldFoldEveryCodePointExactlyAsTheReferenceDefinition() {
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            final int expected;
            if (cp >= 0xFF01 && cp <= 0xFF5E) {
                expected = Character.toLowerCase(cp - 0xFEE0);
            } else if (cp == 0x3000) {
                expected = ' ';
            } else {
                expected = Character.toLowerCase(cp);
            }
            if (TextNormalizer.fold(cp) != expected) {
                assertThat(TextNormalizer.fold(cp)).as("U+%04X", cp).isEqualTo(expected);
            }
        }
    }
}
