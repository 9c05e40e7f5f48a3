package dev.danmaku.engine.filter;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import static dev.danmaku.engine.filter.Bytes.string;
import static dev.danmaku.engine.filter.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SensitiveWordFilterTest {
    private final SensitiveWordFilter filter = SensitiveWordFilter.builder()
        .add("foo", WordPolicy.REJECT)
        .add("傻逼", WordPolicy.MASK)
        .add("加微信", WordPolicy.REJECT)
        .add("shit", WordPolicy.MASK)
        .add("he", WordPolicy.MASK)
        .add("she", WordPolicy.MASK)
        .add("hers", WordPolicy.MASK)
        .build();

    private int scan(final String s) {
        final UnsafeBuffer buf = utf8(s);
        return filter.scan(buf, 0, buf.capacity());
    }

    private String mask(final String s) {
        final UnsafeBuffer buf = utf8(s);
        final int len = filter.mask(buf, 0, buf.capacity());
        return string(buf, len);
    }

    private String rejected(final String s) {
        final int result = scan(s);
        return result >= 0 ? filter.word(result) : null;
    }

    @Test
    void shouldReportCleanContentAsClean() {
        assertThat(scan("今天的直播真好看 666")).isEqualTo(SensitiveWordFilter.CLEAN);
        assertThat(scan("")).isEqualTo(SensitiveWordFilter.CLEAN);
        assertThat(scan("f o b-ar of")).as("fobarof has no foo").isEqualTo(SensitiveWordFilter.CLEAN);
    }

    @Test
    void shouldMatchAcrossAsciiCaseAndFullWidthForms() {
        assertThat(rejected("FOO")).isEqualTo("foo");
        assertThat(rejected("xx Foo yy")).isEqualTo("foo");
        assertThat(rejected("ＦＯＯ")).isEqualTo("foo");
        assertThat(rejected("ｆｏｏ")).isEqualTo("foo");
    }

    @Test
    void shouldMatchWhenSeparatorsAreInsertedBetweenLetters() {
        assertThat(rejected("f.o o")).isEqualTo("foo");
        assertThat(rejected("f*o*o")).isEqualTo("foo");
        assertThat(rejected("f\u200Bo\u200Do")).isEqualTo("foo");
        assertThat(rejected("f\u3000o\u3000o")).isEqualTo("foo");
        assertThat(rejected("f，o。o")).isEqualTo("foo");
        assertThat(rejected("加 微 信")).isEqualTo("加微信");
        assertThat(rejected("加★微💕信")).isEqualTo("加微信");
        assertThat(scan("傻 逼")).isEqualTo(SensitiveWordFilter.MASK);
        assertThat(scan("傻.逼")).isEqualTo(SensitiveWordFilter.MASK);
    }

    @Test
    void shouldPreferRejectOverMaskWhenBothMatch() {
        assertThat(rejected("傻逼 foo")).isEqualTo("foo");
        assertThat(rejected("foo 傻逼")).isEqualTo("foo");
    }

    @Test
    void shouldMaskEachOriginalCodePointOfAnOccurrenceWithOneStar() {
        assertThat(mask("你是傻逼吗")).isEqualTo("你是**吗");
        assertThat(mask("你是傻 . 逼吗")).isEqualTo("你是*****吗");
        assertThat(mask("SHIT!")).isEqualTo("****!");
        assertThat(mask(" ｓｈｉｔ ")).isEqualTo(" **** ");
        assertThat(mask("傻逼傻逼")).isEqualTo("****");
    }

    @Test
    void shouldMergeOverlappingOccurrencesWhenMasking() {
        assertThat(mask("ushers")).isEqualTo("u*****");
        assertThat(mask("shes")).isEqualTo("***s");
    }

    @Test
    void shouldLeaveRejectWordsAndCleanTextUntouchedWhenMasking() {
        assertThat(mask("foo 傻逼 bar")).isEqualTo("foo ** bar");
        final UnsafeBuffer buf = utf8("clean");
        assertThat(filter.mask(buf, 0, 5)).isEqualTo(5);
        assertThat(string(buf, 5)).isEqualTo("clean");
    }

    @Test
    void shouldScanAndMaskASliceAtAnOffset() {
        final UnsafeBuffer buf = utf8("foo|傻逼x|foo");
        final int off = 4;
        final int len = "傻逼x".getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        assertThat(filter.scan(buf, off, len)).isEqualTo(SensitiveWordFilter.MASK);
        final int newLen = filter.mask(buf, off, len);
        assertThat(newLen).isEqualTo(3);
        assertThat(buf.getStringWithoutLengthUtf8(off, newLen)).isEqualTo("**x");
        assertThat(buf.getStringWithoutLengthUtf8(0, 4)).isEqualTo("foo|");
    }

    @Test
    void shouldRefuseToMaskContentLongerThanTheConfiguredMaximum() {
        final SensitiveWordFilter small = SensitiveWordFilter.builder().maxContentBytes(4).add("x", WordPolicy.MASK).build();
        assertThatThrownBy(() -> small.mask(utf8("xxxxx"), 0, 5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldMergeWordsThatNormalizeAlikeWithRejectWinning() {
        final SensitiveWordFilter f = SensitiveWordFilter.builder()
            .add("Bad Word", WordPolicy.MASK)
            .add("badword", WordPolicy.REJECT)
            .build();
        assertThat(f.wordCount()).isEqualTo(1);
        assertThat(f.policy(0)).isEqualTo(WordPolicy.REJECT);
    }

    @Test
    void shouldParseAWordListWithPoliciesCommentsAndBlankLines() throws IOException {
        final SensitiveWordFilter f = SensitiveWordFilter.load(new StringReader(
            "# comment\n\nalpha\nbeta\tmask\r\ngamma\treject\n  # indented comment\n"));
        assertThat(f.wordCount()).isEqualTo(3);
        assertThat(f.word(0)).isEqualTo("alpha");
        assertThat(f.policy(0)).isEqualTo(WordPolicy.REJECT);
        assertThat(f.policy(1)).isEqualTo(WordPolicy.MASK);
        assertThat(f.policy(2)).isEqualTo(WordPolicy.REJECT);
    }

    @Test
    void shouldRejectABadWordListLineNamingItsLineNumber() {
        assertThatThrownBy(() -> SensitiveWordFilter.load(new StringReader("ok\n\nbad\tdelete\n")))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("line 3")
            .hasMessageContaining("unknown policy 'delete'");
        assertThatThrownBy(() -> SensitiveWordFilter.load(new StringReader("ok\n...\n")))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("line 2")
            .hasMessageContaining("no matchable characters");
        assertThatThrownBy(() -> SensitiveWordFilter.load(new StringReader("\tmask\n")))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("line 1");
    }

    @Test
    void shouldLoadTheDefaultWordListWithInsultsMaskedAndAdsRejected() throws IOException {
        final SensitiveWordFilter f = SensitiveWordFilter.load(defaultWordList());
        assertThat(f.wordCount()).isGreaterThan(30);
        UnsafeBuffer buf = utf8("主播是 傻-逼");
        assertThat(f.scan(buf, 0, buf.capacity())).isEqualTo(SensitiveWordFilter.MASK);
        buf = utf8("代练上分 加 微 信 abc123");
        final int result = f.scan(buf, 0, buf.capacity());
        assertThat(result).isGreaterThanOrEqualTo(0);
        assertThat(f.policy(result)).isEqualTo(WordPolicy.REJECT);
        buf = utf8("What the F*U*C*K");
        assertThat(f.scan(buf, 0, buf.capacity())).isEqualTo(SensitiveWordFilter.MASK);
        buf = utf8("主播好厉害 666 2333");
        assertThat(f.scan(buf, 0, buf.capacity())).isEqualTo(SensitiveWordFilter.CLEAN);
    }

    @Test
    void shouldMatchWordsStartingOutsideTheBasicMultilingualPlaneAndAfterRootMisses() {
        final SensitiveWordFilter f = SensitiveWordFilter.builder()
            .add("\uD840\uDC00好", WordPolicy.REJECT) // U+20000, a CJK letter outside the BMP
            .add("ab", WordPolicy.MASK)
            .build();
        final UnsafeBuffer astral = utf8("xx \uD840\uDC00 . 好 yy");
        assertThat(f.scan(astral, 0, astral.capacity())).isEqualTo(0);
        final UnsafeBuffer clean = utf8("好\uD840\uDC00 zz ba");
        assertThat(f.scan(clean, 0, clean.capacity())).isEqualTo(SensitiveWordFilter.CLEAN);
        // A root miss between two halves must not keep the automaton mid-word.
        final UnsafeBuffer split = utf8("a好b aab");
        assertThat(f.scan(split, 0, split.capacity())).isEqualTo(SensitiveWordFilter.MASK);
        final int len = f.mask(split, 0, split.capacity());
        assertThat(string(split, len)).isEqualTo("a好b a**");
    }

    @Test
    void shouldNotAllocateWhenScanningAndMasking() {
        final UnsafeBuffer clean = utf8("今天的直播真好看 hello world 666 2333333 ok");
        final UnsafeBuffer dirty = utf8("你是傻 逼吗 shit 傻逼傻逼 f o o");
        final byte[] original = new byte[dirty.capacity()];
        dirty.getBytes(0, original);
        final long bytes = Allocations.bytesAllocated(20_000, 100_000, () -> {
            filter.scan(clean, 0, clean.capacity());
            filter.scan(dirty, 0, dirty.capacity());
            dirty.putBytes(0, original);
            filter.mask(dirty, 0, dirty.capacity());
        });
        assertThat(bytes).as("bytes allocated by 100k scan+scan+mask").isLessThan(100_000);
    }

    static Path defaultWordList() {
        for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            final Path candidate = dir.resolve("config/words.txt");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("config/words.txt not found above " + Paths.get("").toAbsolutePath());
    }
}
