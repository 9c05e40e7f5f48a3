package dev.danmaku.perf.codec;

import com.github.luben.zstd.ZstdDictTrainer;
import dev.danmaku.codec.BatchLayout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Trains the protocol's zstd dictionary on a {@link ChatCorpus} with {@link ChatCorpus#TRAINING_SEED}
 * (never the seed sizes are measured on) and writes it. Reproducible: the same corpus, sample
 * layout and parameters give the same bytes on every run.
 *
 * <p>Samples are BATCH payloads (the raw bytes a {@code BatchEncoder} compresses) of
 * {@link #SAMPLE_BATCH} consecutive bullets, because that is what the dictionary is used on.
 *
 * <pre>
 * java -cp "perf/target/classes:perf/target/lib/*" dev.danmaku.perf.codec.DictionaryTrainer \
 *     codec/src/main/resources/dev/danmaku/codec/danmaku-v1.dict
 * </pre>
 */
public final class DictionaryTrainer {
    /** Messages in the training corpus. */
    public static final int TRAINING_MESSAGES = 20_000;
    /** Size of the shipped dictionary, bytes. */
    public static final int PROTOCOL_DICTIONARY_SIZE = 16 * 1024;
    /** Bullets per training sample (one BATCH payload). */
    public static final int SAMPLE_BATCH = 10;

    private DictionaryTrainer() {
    }

    /** Trains a dictionary of {@code dictionarySize} bytes on the training corpus. */
    public static byte[] train(int dictionarySize) {
        return train(ChatCorpus.generate(ChatCorpus.TRAINING_SEED, TRAINING_MESSAGES), SAMPLE_BATCH, dictionarySize);
    }

    /**
     * Trains on raw BATCH payloads of {@code sampleBatch} consecutive messages each.
     *
     * @return the dictionary (zstd format, at most {@code dictionarySize} bytes)
     */
    public static byte[] train(List<ChatCorpus.Message> messages, int sampleBatch, int dictionarySize) {
        List<byte[]> frames = WireSizes.batches(messages, sampleBatch, false, null);
        long total = 0;
        for (byte[] f : frames) {
            total += f.length;
        }
        ZstdDictTrainer trainer = new ZstdDictTrainer((int) total, dictionarySize, WireSizes.LEVEL);
        for (byte[] f : frames) {
            if (!trainer.addSample(Arrays.copyOfRange(f, BatchLayout.HEADER_LENGTH, f.length))) {
                throw new IllegalStateException("sample buffer full");
            }
        }
        return trainer.trainSamples();
    }

    /** Writes the protocol dictionary to the path given as the only argument. */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: DictionaryTrainer <output file>");
            System.exit(2);
        }
        byte[] dictionary = train(PROTOCOL_DICTIONARY_SIZE);
        Path out = Path.of(args[0]);
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        Files.write(out, dictionary);
        System.out.printf("wrote %d bytes to %s%n", dictionary.length, out);
    }
}
