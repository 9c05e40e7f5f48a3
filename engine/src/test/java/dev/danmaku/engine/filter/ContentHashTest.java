package dev.danmaku.engine.filter;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static dev.danmaku.engine.filter.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;

class ContentHashTest {
    private static long xxh64(final String s) {
        final UnsafeBuffer buf = utf8(s);
        return ContentHash.xxh64(buf, 0, buf.capacity(), 0);
    }

    @Test
    void shouldMatchPublishedXxh64Values() {
        assertThat(xxh64("")).isEqualTo(0xEF46DB3751D8E999L);
        assertThat(xxh64("a")).isEqualTo(0xD24EC4F1A98C6E5BL);
        assertThat(xxh64("abc")).isEqualTo(0x44BC2CF5AD770999L);
    }

    @Test
    void shouldMatchTheXxh64ChecksumsZstdWritesForLongInputs() {
        // Low 32 bits as written by `printf %s "$s" | zstd --check | tail -c 4` (zstd's frame checksum).
        assertThat((int)xxh64("0123456789abcdefghijklmnopqrstuvwxyz")).isEqualTo(0x3af0bff9);
        assertThat((int)xxh64("The quick brown fox jumps over the lazy dog, 傻逼 加微信 1234567890 and more text to pass 64 bytes"))
            .isEqualTo(0x977c8d9e);
    }

    @Test
    void shouldHashAnOffsetSliceLikeTheSameBytesAtZero() {
        final UnsafeBuffer padded = utf8("xx0123456789abcdefghijklmnopqrstuvwxyzyy");
        assertThat(ContentHash.xxh64(padded, 2, 36, 0)).isEqualTo(xxh64("0123456789abcdefghijklmnopqrstuvwxyz"));
    }

    @Test
    void shouldGiveTheSameContentFromDifferentUsersDifferentHashes() {
        final UnsafeBuffer buf = utf8("666");
        final Set<Long> hashes = new HashSet<>();
        for (long user = 0; user < 10_000; user++) {
            hashes.add(ContentHash.hash(user, buf, 0, buf.capacity()));
        }
        assertThat(hashes).hasSize(10_000);
    }
}
