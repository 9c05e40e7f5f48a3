package dev.danmaku.perf.codec;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import dev.danmaku.codec.BatchDecoder;
import dev.danmaku.codec.BatchEncoder;
import dev.danmaku.codec.BulletDecoder;
import dev.danmaku.codec.FrameEncoder;
import dev.danmaku.codec.Protocol;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Byte counts of one list of messages under each encoding the wire-size report compares. Every
 * binary total goes through the real codec (FrameEncoder, BulletDecoder, BatchEncoder) and every
 * batch is decoded again and checked, so a size can't come from a broken frame.
 *
 * <p>Not a hot path: allocates freely. Stateless; safe from any thread.
 */
public final class WireSizes {
    /** zstd level the codec uses ({@link BatchEncoder#DEFAULT_LEVEL}). */
    public static final int LEVEL = BatchEncoder.DEFAULT_LEVEL;

    private static final ObjectMapper JSON = new ObjectMapper();

    private WireSizes() {
    }

    /** The JSON a text protocol would send: one compact object per message. */
    @JsonPropertyOrder({"type", "timestamp", "user", "room", "name", "content", "color"})
    public record JsonBullet(String type, long timestamp, long user, long room, String name, String content,
                             String color) {
        static JsonBullet of(ChatCorpus.Message m) {
            return new JsonBullet("bullet", m.timestamp(), m.userId(), m.roomId(), m.name(), m.content(), m.color());
        }
    }

    /** Compact Jackson UTF-8 of one message. */
    public static byte[] json(ChatCorpus.Message m) {
        try {
            return JSON.writeValueAsBytes(JsonBullet.of(m));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** (a) One JSON object per message. */
    public static long jsonTotal(List<ChatCorpus.Message> messages) {
        long total = 0;
        for (ChatCorpus.Message m : messages) {
            total += json(m).length;
        }
        return total;
    }

    /** One BULLET frame, exactly as a client encodes it from Strings. */
    public static byte[] bulletFrame(ChatCorpus.Message m) {
        UnsafeBuffer b = new UnsafeBuffer(new byte[Protocol.MAX_CLIENT_FRAME_LENGTH]);
        int n = FrameEncoder.bullet(b, 0, m.timestamp(), m.userId(), m.roomId(), m.name(), m.content(), m.color());
        byte[] out = new byte[n];
        b.getBytes(0, out);
        return out;
    }

    /** (b) One BULLET frame per message. */
    public static long bulletTotal(List<ChatCorpus.Message> messages) {
        long total = 0;
        for (ChatCorpus.Message m : messages) {
            total += bulletFrame(m).length;
        }
        return total;
    }

    /**
     * (c), (d) BATCH frames of {@code batchSize} consecutive messages (the last batch may be short),
     * built as the node does: decode each client BULLET frame, {@code add} the view, encode.
     *
     * @param compress   false: raw payloads; true: zstd at the codec's default threshold and level
     * @param dictionary trained dictionary for zstd, or null
     * @return the encoded frames
     */
    public static List<byte[]> batches(List<ChatCorpus.Message> messages, int batchSize, boolean compress,
                                       byte[] dictionary) {
        return batches(messages, batchSize,
                compress ? BatchEncoder.DEFAULT_COMPRESSION_THRESHOLD : Integer.MAX_VALUE, dictionary);
    }

    /**
     * As {@link #batches(List, int, boolean, byte[])} with an explicit compression threshold
     * (payload bytes below which a batch is sent raw; {@code Integer.MAX_VALUE}: never compress).
     */
    public static List<byte[]> batches(List<ChatCorpus.Message> messages, int batchSize, int threshold,
                                       byte[] dictionary) {
        List<byte[]> frames = new ArrayList<>();
        BulletDecoder bullet = new BulletDecoder();
        UnsafeBuffer out = new UnsafeBuffer(new byte[Protocol.MAX_SERVER_FRAME_LENGTH]);
        try (BatchEncoder encoder = new BatchEncoder(threshold, LEVEL, dictionary, Protocol.MAX_BATCH_RAW_LENGTH,
                Protocol.MAX_BATCH_COUNT);
             BatchDecoder check = new BatchDecoder(dictionary, Protocol.MAX_BATCH_RAW_LENGTH)) {
            long sequence = 1;
            for (int i = 0; i < messages.size(); i += batchSize) {
                int end = Math.min(messages.size(), i + batchSize);
                encoder.reset(messages.get(i).roomId(), 1, sequence);
                for (int j = i; j < end; j++) {
                    byte[] frame = bulletFrame(messages.get(j));
                    int status = bullet.wrap(new UnsafeBuffer(frame), 0, frame.length);
                    if (status != Protocol.OK) {
                        throw new IllegalStateException("generated bullet rejected with " + status);
                    }
                    if (!encoder.add(bullet)) {
                        throw new IllegalStateException("batch full at " + (j - i) + " bullets");
                    }
                }
                int n = encoder.encode(out, 0);
                byte[] frame = new byte[n];
                out.getBytes(0, frame);
                verify(check, frame, messages.subList(i, end));
                frames.add(frame);
                sequence += end - i;
            }
        }
        return frames;
    }

    /** Total bytes of {@link #batches(List, int, boolean, byte[])}. */
    public static long batchTotal(List<ChatCorpus.Message> messages, int batchSize, boolean compress,
                                  byte[] dictionary) {
        return total(batches(messages, batchSize, compress, dictionary));
    }

    /** Total bytes of {@link #batches(List, int, int, byte[])}. */
    public static long batchTotal(List<ChatCorpus.Message> messages, int batchSize, int threshold,
                                  byte[] dictionary) {
        return total(batches(messages, batchSize, threshold, dictionary));
    }

    private static long total(List<byte[]> frames) {
        long total = 0;
        for (byte[] frame : frames) {
            total += frame.length;
        }
        return total;
    }

    private static void verify(BatchDecoder decoder, byte[] frame, List<ChatCorpus.Message> expected) {
        int status = decoder.wrap(new UnsafeBuffer(frame), 0, frame.length);
        if (status != Protocol.OK || decoder.count() != expected.size()) {
            throw new IllegalStateException("batch does not decode: status " + status);
        }
        for (ChatCorpus.Message m : expected) {
            decoder.next();
            if (decoder.entry().userId() != m.userId() || !decoder.entry().content().equals(m.content())) {
                throw new IllegalStateException("batch round trip differs at " + m);
            }
        }
    }

    /**
     * (e) Each BULLET frame compressed on its own (a hypothetical: the protocol has no compressed
     * BULLET; no framing for it is counted, and a frame that does not shrink is counted raw).
     */
    public static long perMessageZstdTotal(List<ChatCorpus.Message> messages, byte[] dictionary) {
        long total = 0;
        try (ZstdCompressCtx zstd = newCtx(dictionary)) {
            byte[] dst = new byte[(int) Zstd.compressBound(Protocol.MAX_CLIENT_FRAME_LENGTH)];
            for (ChatCorpus.Message m : messages) {
                byte[] frame = bulletFrame(m);
                int n = zstd.compressByteArray(dst, 0, dst.length, frame, 0, frame.length);
                total += Math.min(n, frame.length);
            }
        }
        return total;
    }

    /** For context: a JSON array of {@code batchSize} objects per message, zstd at the same level. */
    public static long jsonBatchZstdTotal(List<ChatCorpus.Message> messages, int batchSize) {
        long total = 0;
        try (ZstdCompressCtx zstd = newCtx(null)) {
            for (int i = 0; i < messages.size(); i += batchSize) {
                int end = Math.min(messages.size(), i + batchSize);
                List<JsonBullet> batch = new ArrayList<>();
                for (int j = i; j < end; j++) {
                    batch.add(JsonBullet.of(messages.get(j)));
                }
                byte[] src = JSON.writeValueAsBytes(batch);
                total += zstd.compress(src).length;
            }
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        return total;
    }

    /** A compression context configured like {@link BatchEncoder}'s. */
    static ZstdCompressCtx newCtx(byte[] dictionary) {
        ZstdCompressCtx zstd = new ZstdCompressCtx().setLevel(LEVEL).setChecksum(false).setContentSize(true)
                .setDictID(false);
        if (dictionary != null) {
            zstd.loadDict(dictionary);
        }
        return zstd;
    }
}
