package dev.danmaku.perf.codec;

import dev.danmaku.codec.BatchLayout;
import dev.danmaku.codec.BulletDecoder;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class WireSizesTest {
    private static final List<ChatCorpus.Message> MESSAGES = ChatCorpus.generate(ChatCorpus.MEASUREMENT_SEED, 300);

    private static long utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void shouldCountBulletFramesAsFixedFieldsPlusUtf8() {
        long expected = 0;
        for (ChatCorpus.Message m : MESSAGES) {
            expected += BulletDecoder.STRINGS_OFFSET + 6 + utf8(m.name()) + utf8(m.content()) + utf8(m.color());
        }
        assertThat(WireSizes.bulletTotal(MESSAGES)).isEqualTo(expected);
    }

    @Test
    void shouldCountRawBatchesAsHeadersPlusEntries() {
        long entries = 0;
        for (ChatCorpus.Message m : MESSAGES) {
            entries += BatchLayout.ENTRY_FIXED_LENGTH + utf8(m.name()) + utf8(m.content()) + utf8(m.color());
        }
        for (int n : new int[] {1, 7, 100}) {
            long frames = (MESSAGES.size() + n - 1) / n;
            assertThat(WireSizes.batchTotal(MESSAGES, n, false, null))
                    .as("batch of %d", n).isEqualTo(frames * BatchLayout.HEADER_LENGTH + entries);
        }
        // BULLET repeats the room id and the preamble per message; BATCH does not.
        assertThat(WireSizes.batchTotal(MESSAGES, 1, false, null)).isGreaterThan(WireSizes.bulletTotal(MESSAGES));
        assertThat(WireSizes.batchTotal(MESSAGES, 100, false, null)).isLessThan(WireSizes.bulletTotal(MESSAGES));
    }

    @Test
    void shouldWriteCompactJsonWithAllFields() {
        String json = new String(WireSizes.json(MESSAGES.get(0)), StandardCharsets.UTF_8);
        assertThat(json).startsWith("{\"type\":\"bullet\",\"timestamp\":").doesNotContain(" \"", "\n")
                .contains("\"user\":", "\"room\":", "\"name\":", "\"content\":", "\"color\":");
    }

    @Test
    void shouldBeSmallerCompressedAndSmallerStillWithADictionary() {
        byte[] dictionary = DictionaryTrainer.train(ChatCorpus.generate(ChatCorpus.TRAINING_SEED, 5_000), 10, 4096);
        long json = WireSizes.jsonTotal(MESSAGES);
        long raw = WireSizes.batchTotal(MESSAGES, 50, false, null);
        long zstd = WireSizes.batchTotal(MESSAGES, 50, true, null);
        long dict = WireSizes.batchTotal(MESSAGES, 50, true, dictionary);
        assertThat(zstd).isLessThan(raw);
        assertThat(dict).isLessThan(zstd);
        assertThat(zstd * 100 / json).as("issue's bar: batched binary + zstd <= 40 % of JSON").isLessThanOrEqualTo(40);

        Map<Integer, byte[]> dictionaries = new LinkedHashMap<>();
        dictionaries.put(4096, dictionary);
        List<WireSizeReport.Row> rows = WireSizeReport.rows(MESSAGES, dictionaries);
        assertThat(rows.get(0).bytes()).isEqualTo(json);
        assertThat(rows).contains(new WireSizeReport.Row("BATCH zstd", 50, zstd),
                new WireSizeReport.Row("BATCH zstd, dict 4 KiB", 50, dict));
        assertThat(WireSizeReport.table(rows)).contains("| JSON, one object per message | 1 |", "100.0 %");
    }
}
