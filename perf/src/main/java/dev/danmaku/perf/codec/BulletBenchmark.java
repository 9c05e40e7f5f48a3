package dev.danmaku.perf.codec;

import dev.danmaku.codec.BulletDecoder;
import dev.danmaku.codec.FrameEncoder;
import dev.danmaku.codec.Protocol;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/**
 * One BULLET frame per operation, cycling through {@link CodecCorpus#SIZE} messages of the chat mix:
 * encode from validated byte ranges (the node re-emitting a bullet), encode from Strings (a client),
 * and decode + validate ({@link BulletDecoder#wrap}, the node's ingress). All three must not
 * allocate.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BulletBenchmark {
    private CodecCorpus corpus;
    private final UnsafeBuffer out = new UnsafeBuffer(new byte[Protocol.MAX_CLIENT_FRAME_LENGTH]);
    private final BulletDecoder decoder = new BulletDecoder();
    private int index;

    @Setup
    public void setUp() {
        corpus = new CodecCorpus();
    }

    private int nextIndex() {
        int i = index;
        index = (i + 1) & CodecCorpus.MASK;
        return i;
    }

    /** FrameEncoder.bullet from UTF-8 ranges of an already validated frame; returns the frame length. */
    @Benchmark
    public int encodeFromRanges() {
        CodecCorpus c = corpus;
        int i = nextIndex();
        return FrameEncoder.bullet(out, 0, c.timestamps[i], c.userIds[i], c.roomId, c.frames,
                c.nameOffsets[i], c.nameLengths[i], c.contentOffsets[i], c.contentLengths[i],
                c.colorOffsets[i], c.colorLengths[i]);
    }

    /** FrameEncoder.bullet from Strings (UTF-8 encoding included); returns the frame length. */
    @Benchmark
    public int encodeFromStrings() {
        CodecCorpus c = corpus;
        int i = nextIndex();
        return FrameEncoder.bullet(out, 0, c.timestamps[i], c.userIds[i], c.roomId, c.names[i], c.contents[i],
                c.colors[i]);
    }

    /** BulletDecoder.wrap (preamble, lengths, strict UTF-8 of all three strings); returns status + a field. */
    @Benchmark
    public long decode() {
        CodecCorpus c = corpus;
        int i = nextIndex();
        int status = decoder.wrap(c.frames, c.frameOffsets[i], c.frameLengths[i]);
        return status + decoder.userId() + decoder.contentLength();
    }
}
