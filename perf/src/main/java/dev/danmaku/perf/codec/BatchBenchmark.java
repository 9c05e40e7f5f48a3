package dev.danmaku.perf.codec;

import dev.danmaku.codec.BatchDecoder;
import dev.danmaku.codec.BatchEncoder;
import dev.danmaku.codec.BulletView;
import dev.danmaku.codec.Protocol;
import dev.danmaku.codec.ProtocolDictionary;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/**
 * One BATCH frame per operation, cycling through consecutive windows of the chat mix.
 * {@link #encode}: reset, add {@code batchSize} bullets from validated ranges, encode (what the
 * fan-out stage does per room per flush). {@link #decode}: wrap (validate, inflate) and iterate
 * every entry (what a viewer client does). {@code compression}: raw (compression off), zstd
 * (level 3, default threshold), zstd-dict (plus {@link ProtocolDictionary}). Must not allocate.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BatchBenchmark {
    @Param({"10", "100"})
    public int batchSize;

    @Param({"raw", "zstd", "zstd-dict"})
    public String compression;

    /** zstd level (the node uses 3, and {@code batch.zstd-large-level} 1 for payloads of 16 KiB or more). */
    @Param({"3"})
    public int level;

    private CodecCorpus corpus;
    private BatchEncoder encoder;
    private BatchDecoder decoder;
    private final UnsafeBuffer out = new UnsafeBuffer(new byte[1 << 20]);
    /** Pre-encoded frames, one per window. */
    private UnsafeBuffer[] frames;
    private int[] frameLengths;
    private int windows;
    private int window;
    private long sequence = 1;

    @Setup
    public void setUp() {
        corpus = new CodecCorpus();
        byte[] dictionary = compression.equals("zstd-dict") ? ProtocolDictionary.bytes() : null;
        int threshold = compression.equals("raw") ? Integer.MAX_VALUE : BatchEncoder.DEFAULT_COMPRESSION_THRESHOLD;
        encoder = new BatchEncoder(threshold, level, dictionary, Protocol.MAX_BATCH_RAW_LENGTH,
                Protocol.MAX_BATCH_COUNT);
        decoder = new BatchDecoder(dictionary, Protocol.MAX_BATCH_RAW_LENGTH);
        windows = CodecCorpus.SIZE / batchSize;
        frames = new UnsafeBuffer[windows];
        frameLengths = new int[windows];
        for (int w = 0; w < windows; w++) {
            int n = encodeWindow(w);
            byte[] copy = new byte[n];
            out.getBytes(0, copy);
            frames[w] = new UnsafeBuffer(copy);
            frameLengths[w] = n;
            if (decoder.wrap(frames[w], 0, n) != Protocol.OK) {
                throw new IllegalStateException("window " + w + " does not decode");
            }
            if (!compression.equals("raw") && !decoder.compressed()) {
                throw new IllegalStateException("window " + w + " was not compressed");
            }
        }
    }

    @TearDown
    public void tearDown() {
        encoder.close();
        decoder.close();
    }

    private int encodeWindow(int w) {
        CodecCorpus c = corpus;
        BatchEncoder e = encoder;
        e.reset(c.roomId, 1, sequence);
        int first = w * batchSize;
        for (int i = first, end = first + batchSize; i < end; i++) {
            e.add(c.timestamps[i], c.userIds[i], c.frames, c.nameOffsets[i], c.nameLengths[i], c.contentOffsets[i],
                    c.contentLengths[i], c.colorOffsets[i], c.colorLengths[i]);
        }
        sequence += batchSize;
        return e.encode(out, 0);
    }

    private int nextWindow() {
        int w = window + 1;
        if (w == windows) {
            w = 0;
        }
        window = w;
        return w;
    }

    /** Builds and encodes one batch; returns the frame length. */
    @Benchmark
    public int encode() {
        return encodeWindow(nextWindow());
    }

    /** Validates (inflating if compressed) one batch and reads every entry's fixed fields and ranges. */
    @Benchmark
    public long decode() {
        int w = nextWindow();
        BatchDecoder d = decoder;
        int status = d.wrap(frames[w], 0, frameLengths[w]);
        long sum = status;
        BulletView entry = d.entry();
        while (d.next()) {
            sum += entry.userId() + entry.sequence() + entry.contentLength();
        }
        return sum;
    }
}
