package dev.danmaku.perf.codec;

import dev.danmaku.codec.BulletDecoder;
import dev.danmaku.codec.FrameEncoder;
import dev.danmaku.codec.Protocol;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.List;

/**
 * Benchmark input prepared once, outside measurement: {@link #SIZE} messages of the chat mix as
 * Strings (what a client holds), as BULLET frames packed in one buffer (what a node receives), and
 * as the validated UTF-8 ranges a decoder leaves (what the node's stages pass along).
 * Benchmarks cycle through all of them so branch predictors and caches see a realistic mix, not
 * one message. Owned by one benchmark thread.
 */
final class CodecCorpus {
    /** Messages cycled through (a power of two, for the index mask). */
    static final int SIZE = 1024;
    static final int MASK = SIZE - 1;

    final String[] names = new String[SIZE];
    final String[] contents = new String[SIZE];
    final String[] colors = new String[SIZE];
    final long[] timestamps = new long[SIZE];
    final long[] userIds = new long[SIZE];
    final long roomId;

    /** All BULLET frames back to back. */
    final UnsafeBuffer frames;
    final int[] frameOffsets = new int[SIZE];
    final int[] frameLengths = new int[SIZE];
    /** String ranges in {@link #frames}, as {@link BulletDecoder} found them. */
    final int[] nameOffsets = new int[SIZE];
    final int[] nameLengths = new int[SIZE];
    final int[] contentOffsets = new int[SIZE];
    final int[] contentLengths = new int[SIZE];
    final int[] colorOffsets = new int[SIZE];
    final int[] colorLengths = new int[SIZE];

    CodecCorpus() {
        List<ChatCorpus.Message> messages = ChatCorpus.generate(ChatCorpus.MEASUREMENT_SEED, SIZE);
        roomId = messages.get(0).roomId();
        frames = new UnsafeBuffer(new byte[SIZE * Protocol.MAX_CLIENT_FRAME_LENGTH / 8]);
        BulletDecoder decoder = new BulletDecoder();
        int p = 0;
        for (int i = 0; i < SIZE; i++) {
            ChatCorpus.Message m = messages.get(i);
            names[i] = m.name();
            contents[i] = m.content();
            colors[i] = m.color();
            timestamps[i] = m.timestamp();
            userIds[i] = m.userId();
            int n = FrameEncoder.bullet(frames, p, m.timestamp(), m.userId(), m.roomId(), m.name(), m.content(),
                    m.color());
            if (decoder.wrap(frames, p, n) != Protocol.OK) {
                throw new IllegalStateException("corpus frame " + i + " does not decode");
            }
            frameOffsets[i] = p;
            frameLengths[i] = n;
            nameOffsets[i] = decoder.nameOffset();
            nameLengths[i] = decoder.nameLength();
            contentOffsets[i] = decoder.contentOffset();
            contentLengths[i] = decoder.contentLength();
            colorOffsets[i] = decoder.colorOffset();
            colorLengths[i] = decoder.colorLength();
            p += n;
        }
    }
}
