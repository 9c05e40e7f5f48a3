package dev.danmaku.perf.codec;

import dev.danmaku.codec.ProtocolDictionary;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DictionaryTrainerTest {
    /**
     * The shipped dictionary is part of wire format v1. If this fails after a zstd-jni upgrade, the
     * trainer's algorithm changed: keep the committed file (never replace it within v1) and pin the
     * trainer's zstd version, or introduce danmaku-v2.dict with a protocol version bump.
     */
    @Test
    void shouldRegenerateTheShippedDictionaryBitForBit() {
        assertThat(DictionaryTrainer.train(DictionaryTrainer.PROTOCOL_DICTIONARY_SIZE))
                .isEqualTo(ProtocolDictionary.bytes());
    }
}
