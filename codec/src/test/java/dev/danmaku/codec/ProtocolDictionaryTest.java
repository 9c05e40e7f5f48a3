package dev.danmaku.codec;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ProtocolDictionaryTest {
    @Test
    void shouldLoadADictionaryWithinTheSizeLimit() {
        byte[] d = ProtocolDictionary.bytes();
        assertThat(d.length).isEqualTo(ProtocolDictionary.length()).isBetween(1024, ProtocolDictionary.MAX_LENGTH);
        assertThat(d).startsWith((byte) 0x37, (byte) 0xA4, (byte) 0x30, (byte) 0xEC);
        d[0] = 0;
        assertThat(ProtocolDictionary.bytes()[0]).as("callers get a copy").isEqualTo((byte) 0x37);
    }

    @Test
    void shouldRoundTripABatchCompressedWithTheDictionary() {
        UnsafeBuffer src = new UnsafeBuffer(new byte[4096]);
        UnsafeBuffer out = new UnsafeBuffer(new byte[64 * 1024]);
        BulletDecoder bullet = new BulletDecoder();
        try (BatchEncoder encoder = new BatchEncoder(BatchEncoder.DEFAULT_COMPRESSION_THRESHOLD,
                BatchEncoder.DEFAULT_LEVEL, ProtocolDictionary.bytes(), Protocol.MAX_BATCH_RAW_LENGTH, 100);
             BatchDecoder decoder = new BatchDecoder(ProtocolDictionary.bytes(), Protocol.MAX_BATCH_RAW_LENGTH)) {
            encoder.reset(7, 1, 1);
            for (int i = 0; i < 20; i++) {
                int n = FrameEncoder.bullet(src, 0, 1_700_000_000_000L + i, 1000 + i, 7, "快乐的小猫咪",
                        "哈哈哈哈 666 [doge] " + i, "#FFFFFF");
                assertThat(bullet.wrap(src, 0, n)).isEqualTo(Protocol.OK);
                assertThat(encoder.add(bullet)).isTrue();
            }
            int length = encoder.encode(out, 0);

            assertThat(decoder.wrap(out, 0, length)).isEqualTo(Protocol.OK);
            assertThat(decoder.flags()).isEqualTo(BatchLayout.FLAG_ZSTD | BatchLayout.FLAG_DICTIONARY);
            assertThat(decoder.count()).isEqualTo(20);
            assertThat(decoder.next()).isTrue();
            assertThat(decoder.entry().content()).isEqualTo("哈哈哈哈 666 [doge] 0");
            byte[] name = decoder.entry().name().getBytes(StandardCharsets.UTF_8);
            assertThat(name).hasSize(decoder.entry().nameLength());
        }
    }
}
