package dev.danmaku.perf.ring;

import dev.danmaku.codec.BulletDecoder;
import dev.danmaku.codec.FrameEncoder;
import dev.danmaku.codec.Protocol;
import dev.danmaku.engine.ring.RingEvent;
import dev.danmaku.engine.transport.Connection;
import dev.danmaku.perf.codec.ChatCorpus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The benchmark's inbound traffic: {@link #SIZE} BULLET frames encoded once from {@link ChatCorpus}
 * (seed {@link ChatCorpus#MEASUREMENT_SEED}, names, contents and colours of the chat mix), sent by
 * {@code users} distinct users ({@link #USERS} by default).
 *
 * <p>Bullet {@code i} carries the content of frame {@code i mod SIZE} and comes from user
 * {@link #userId userId(i mod users)}, passed as the authenticated user the way the I/O thread does
 * with tokens on. The frames' contents are distinct and {@code users} is prime, so a (user, content) pair repeats
 * only every {@code users x SIZE} bullets (4.1e7 with 10,007 users, 4.1e9 with the default): nothing
 * is a duplicate or a retry, and every bullet takes the accept path. With the default, the rate limiters, the duplicate filter
 * and the leaderboard see a million keys spread over their tables, as on a busy node. The client timestamp is rewritten to the current time so the skew check passes.
 */
final class BulletFrames {
    /** Distinct frames (contents); a power of two. */
    static final int SIZE = 4096;
    static final int MASK = SIZE - 1;
    /** Default number of distinct senders; prime. */
    static final int USERS = 1_000_003;
    /** Sender level: at or above the default link rule level (3), so links are allowed. */
    static final int LEVEL = 5;

    final long roomId;
    final int users;
    private final UnsafeBuffer frames = new UnsafeBuffer(new byte[SIZE * RingEvent.SLOT_BYTES]);
    private final int[] lengths = new int[SIZE];
    private final ByteBuf[] bufs = new ByteBuf[SIZE];

    BulletFrames(long roomId, int users) {
        this.roomId = roomId;
        this.users = users;
        // The first SIZE messages with distinct contents: the corpus repeats popular phrases, and a
        // repeated text from the same user inside the window would be rejected DUPLICATE.
        ChatCorpus corpus = new ChatCorpus(ChatCorpus.MEASUREMENT_SEED);
        Set<String> contents = new HashSet<>();
        List<ChatCorpus.Message> messages = new ArrayList<>(SIZE);
        while (messages.size() < SIZE) {
            ChatCorpus.Message m = corpus.next();
            if (contents.add(m.content())) {
                messages.add(m);
            }
        }
        for (int i = 0; i < SIZE; i++) {
            ChatCorpus.Message m = messages.get(i);
            int off = i * RingEvent.SLOT_BYTES;
            lengths[i] = FrameEncoder.bullet(frames, off, m.timestamp(), m.userId(), roomId, m.name(), m.content(),
                    m.color());
            ByteBuf b = Unpooled.directBuffer(lengths[i]);
            b.writeBytes(frames.byteArray(), off, lengths[i]);
            bufs[i] = b;
        }
    }

    /** The sender of bullet {@code i}: a scattered non-zero id, one per {@code i mod users}. */
    long userId(long i) {
        long x = (i % users) * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
        x = (x ^ (x >>> 33)) * 0xFF51AFD7ED558CCDL;
        x = (x ^ (x >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return (x ^ (x >>> 33)) | 1L;
    }

    /**
     * Fills a slot with bullet {@code i} exactly as {@code EngineWiring.tryPublishFrame} does (reset,
     * copy, user, level), then stamps the client timestamp.
     */
    void fill(RingEvent e, long i, Connection sender, long receivedNanos, long timestampMs) {
        int k = (int) (i & MASK);
        int length = lengths[k];
        e.reset(RingEvent.KIND_FRAME, sender, receivedNanos);
        e.frame.putBytes(0, frames, k * RingEvent.SLOT_BYTES, length);
        e.frameLength = length;
        e.userId = userId(i);
        e.userLevel = LEVEL;
        e.frame.putLong(BulletDecoder.TIMESTAMP_OFFSET, timestampMs, Protocol.ORDER);
    }

    /** Frame {@code i mod SIZE} as a buffer for {@code tryPublishFrame}, its timestamp set to {@code timestampMs}. */
    ByteBuf buf(long i, long timestampMs) {
        ByteBuf b = bufs[(int) (i & MASK)];
        b.setLong(BulletDecoder.TIMESTAMP_OFFSET, timestampMs);
        return b;
    }

    /** Mean frame length, bytes. */
    double meanLength() {
        long sum = 0;
        for (int n : lengths) {
            sum += n;
        }
        return (double) sum / SIZE;
    }

    void release() {
        for (ByteBuf b : bufs) {
            b.release();
        }
    }
}
