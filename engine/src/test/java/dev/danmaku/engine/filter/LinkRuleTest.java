package dev.danmaku.engine.filter;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static dev.danmaku.engine.filter.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;

class LinkRuleTest {
    private final LinkRule rule = new LinkRule(3, 512);

    /**
     * The rule's answer for {@code s}, asserted to be the same wherever the bytes live: a heap buffer,
     * a heap buffer at an offset, a view of an array from an offset, and off heap at an offset.
     */
    private boolean violates(final int level, final String s) {
        final UnsafeBuffer buf = utf8(s);
        final int len = buf.capacity();
        final boolean answer = rule.violates(level, buf, 0, len);
        final byte[] padded = new byte[len + 10];
        buf.getBytes(0, padded, 7, len);
        final ByteBuffer direct = ByteBuffer.allocateDirect(padded.length);
        direct.put(0, padded);
        assertThat(rule.violates(level, new UnsafeBuffer(padded), 7, len)).as("at an offset: %s", s).isEqualTo(answer);
        assertThat(rule.violates(level, new UnsafeBuffer(padded, 3, len + 4), 4, len)).as("view: %s", s)
            .isEqualTo(answer);
        assertThat(rule.violates(level, new UnsafeBuffer(direct), 7, len)).as("off heap: %s", s).isEqualTo(answer);
        return answer;
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "看这里 http://x.y", "HTTPS://example", "去 www.abc.xyz 看", "ｗｗｗ．ａｂｃ．ｃｏｍ", "abc.com", "ABC.CN/x",
        "买号找 shop123.net", "game.io!", "abc。com", "访问 a1.top 领奖",
        "qq12345", "QQ：12345", "ｑｑ号 １２３４５", "vx: 98765", "wx 1-2-3-4-5", "加V 55555", "微信号12345", "加薇13579",
        "扣扣 24680", "1234567", "电话 138 1234 5678", "138-1234-5678", "１３８１２３４５６７８", "1\u200B2\u200B3\u200B4567",
    })
    void shouldFlagLinksAndContactsFromLowLevelUsers(final String content) {
        assertThat(violates(0, content)).as(content).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "主播好厉害", "6666666666", "23333333", "11112222", "2024-10-01 开播", "比分 3:2", "v587", "qq飞车真好玩 打到 3 名",
        "e.g. this", "1.5cm", "version 1.0.2", "qq 1234", "www is fun", "mr.cool", "打call 12345",
        "我的qq飞车段位是钻石三十八 12345",
    })
    void shouldNotFlagOrdinaryChat(final String content) {
        assertThat(violates(0, content)).as(content).isFalse();
    }

    @Test
    void shouldFlagEveryContactKeywordFollowedByANumber() {
        // Guards the keyword-end bitset: a keyword whose last code point is missing from it is never found.
        for (final String keyword : LinkRule.CONTACT_KEYWORDS) {
            assertThat(violates(0, "找我 " + keyword + " 24680")).as(keyword).isTrue();
            assertThat(violates(0, keyword.toUpperCase(java.util.Locale.ROOT) + "：24680")).as(keyword).isTrue();
            assertThat(violates(0, "找我 " + keyword + " 2468")).as(keyword + " with 4 digits").isFalse();
        }
    }

    @Test
    void shouldLetUsersAtOrAboveTheMinimumLevelPostLinks() {
        assertThat(violates(3, "www.abc.com qq 12345678")).isFalse();
        assertThat(violates(2, "www.abc.com")).isTrue();
    }

    @Test
    void shouldNotAllocateWhenChecking() {
        final UnsafeBuffer clean = utf8("主播好厉害 6666666 2024-10-01 ok version 1.0.2");
        final UnsafeBuffer dirty = utf8("加微信ｑｑ号 １２３４５ www.abc.com");
        final long bytes = Allocations.bytesAllocated(20_000, 100_000, () -> {
            rule.violates(0, clean, 0, clean.capacity());
            rule.violates(0, dirty, 0, dirty.capacity());
        });
        assertThat(bytes).as("bytes allocated by 100k checks").isLessThan(100_000);
    }
}
