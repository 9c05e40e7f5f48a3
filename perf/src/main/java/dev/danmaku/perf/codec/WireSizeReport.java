package dev.danmaku.perf.codec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Prints a markdown table of wire sizes for {@link #MESSAGES} messages of the chat mix
 * ({@link ChatCorpus#MEASUREMENT_SEED}): JSON, BULLET frames, BATCH frames raw / zstd / zstd with
 * trained dictionaries ({@link ChatCorpus#TRAINING_SEED} corpus), and per-message zstd.
 *
 * <pre>
 * java -cp "perf/target/classes:perf/target/lib/*" dev.danmaku.perf.codec.WireSizeReport [--sample-batch K] [--show N]
 * </pre>
 */
public final class WireSizeReport {
    /** Messages measured. */
    public static final int MESSAGES = 1_000;
    /** Bullets per BATCH: 10 ms of a room at 1k, 5k and 10k bullets/s. */
    public static final int[] BATCH_SIZES = {10, 50, 100};
    /** Bullets per BATCH in quiet rooms (a 10 ms flush holds one or a few bullets). */
    public static final int[] QUIET_BATCH_SIZES = {1, 3};
    /** A lower compression threshold tried for quiet rooms when a dictionary is loaded, bytes. */
    public static final int QUIET_THRESHOLD = 32;
    /** Trained dictionary sizes, bytes. */
    public static final int[] DICTIONARY_SIZES = {4 * 1024, 16 * 1024, 32 * 1024};

    /** One line of the table. */
    public record Row(String encoding, int batchSize, long bytes) {
    }

    private WireSizeReport() {
    }

    /**
     * Computes every row for {@code messages}, with dictionaries trained on {@code training}.
     * The first row is JSON, the reference for percentages.
     */
    public static List<Row> rows(List<ChatCorpus.Message> messages, Map<Integer, byte[]> dictionaries) {
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("JSON, one object per message", 1, WireSizes.jsonTotal(messages)));
        for (int n : BATCH_SIZES) {
            rows.add(new Row("JSON array + zstd (context only)", n, WireSizes.jsonBatchZstdTotal(messages, n)));
        }
        rows.add(new Row("BULLET frame per message", 1, WireSizes.bulletTotal(messages)));
        rows.add(new Row("BULLET + zstd per message", 1, WireSizes.perMessageZstdTotal(messages, null)));
        for (Map.Entry<Integer, byte[]> d : dictionaries.entrySet()) {
            rows.add(new Row("BULLET + zstd per message, dict " + d.getKey() / 1024 + " KiB", 1,
                    WireSizes.perMessageZstdTotal(messages, d.getValue())));
        }
        for (int n : BATCH_SIZES) {
            rows.add(new Row("BATCH raw", n, WireSizes.batchTotal(messages, n, false, null)));
            rows.add(new Row("BATCH zstd", n, WireSizes.batchTotal(messages, n, true, null)));
            for (Map.Entry<Integer, byte[]> d : dictionaries.entrySet()) {
                rows.add(new Row("BATCH zstd, dict " + d.getKey() / 1024 + " KiB", n,
                        WireSizes.batchTotal(messages, n, true, d.getValue())));
            }
        }
        byte[] shipped = dictionaries.get(DictionaryTrainer.PROTOCOL_DICTIONARY_SIZE);
        if (shipped != null) {
            for (int n : QUIET_BATCH_SIZES) {
                rows.add(new Row("BATCH raw", n, WireSizes.batchTotal(messages, n, false, null)));
                rows.add(new Row("BATCH zstd", n, WireSizes.batchTotal(messages, n, true, null)));
                rows.add(new Row("BATCH zstd, dict 16 KiB", n, WireSizes.batchTotal(messages, n, true, shipped)));
                rows.add(new Row("BATCH zstd, dict 16 KiB, threshold " + QUIET_THRESHOLD + " B", n,
                        WireSizes.batchTotal(messages, n, QUIET_THRESHOLD, shipped)));
            }
        }
        return rows;
    }

    /** The rows as a markdown table; percentages against the first row. */
    public static String table(List<Row> rows) {
        long json = rows.get(0).bytes();
        Map<Integer, Long> zstdByBatch = new LinkedHashMap<>();
        for (Row r : rows) {
            if (r.encoding().equals("BATCH zstd")) {
                zstdByBatch.put(r.batchSize(), r.bytes());
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append("| encoding | bullets/frame | bytes | bytes/msg | % of JSON | vs BATCH zstd (same N) |\n");
        sb.append("|---|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            String vs = "";
            Long base = zstdByBatch.get(r.batchSize());
            if (r.encoding().startsWith("BATCH zstd, dict") && base != null) {
                vs = String.format("%+.1f %%", 100.0 * (r.bytes() - base) / base);
            }
            sb.append(String.format("| %s | %d | %,d | %.1f | %.1f %% | %s |%n", r.encoding(), r.batchSize(),
                    r.bytes(), (double) r.bytes() / MESSAGES, 100.0 * r.bytes() / json, vs));
        }
        return sb.toString();
    }

    public static void main(String[] args) {
        int sampleBatch = DictionaryTrainer.SAMPLE_BATCH;
        int show = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sample-batch" -> sampleBatch = Integer.parseInt(args[++i]);
                case "--show" -> show = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("usage: WireSizeReport [--sample-batch K] [--show N]");
                    System.exit(2);
                }
            }
        }
        List<ChatCorpus.Message> messages = ChatCorpus.generate(ChatCorpus.MEASUREMENT_SEED, MESSAGES);
        List<ChatCorpus.Message> training = ChatCorpus.generate(ChatCorpus.TRAINING_SEED,
                DictionaryTrainer.TRAINING_MESSAGES);
        for (int i = 0; i < show; i++) {
            System.out.println(messages.get(i));
        }
        Map<Integer, byte[]> dictionaries = new LinkedHashMap<>();
        for (int size : DICTIONARY_SIZES) {
            long t0 = System.nanoTime();
            byte[] d = DictionaryTrainer.train(training, sampleBatch, size);
            System.err.printf("trained %d-byte dictionary (asked %d) in %d ms%n", d.length, size,
                    (System.nanoTime() - t0) / 1_000_000);
            dictionaries.put(size, d);
        }
        System.out.printf("Wire size of %,d messages (ChatCorpus seed %d; dictionaries trained on %,d messages, "
                        + "seed %d, samples = raw BATCH payloads of %d bullets; zstd level %d)%n%n",
                MESSAGES, ChatCorpus.MEASUREMENT_SEED, DictionaryTrainer.TRAINING_MESSAGES, ChatCorpus.TRAINING_SEED,
                sampleBatch, WireSizes.LEVEL);
        System.out.print(table(rows(messages, dictionaries)));
    }
}
