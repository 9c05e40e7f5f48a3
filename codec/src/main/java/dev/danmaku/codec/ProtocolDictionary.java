package dev.danmaku.codec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The zstd dictionary of protocol version 1, shared by every node and client: BATCH frames with the
 * DICTIONARY flag ({@link BatchLayout#FLAG_DICTIONARY}) are compressed with exactly these bytes.
 * Pass {@link #bytes()} to {@link BatchEncoder} and {@link BatchDecoder}.
 *
 * <p>The bytes are part of the wire format: they never change within a protocol version (frames
 * carry no dictionary id). Trained on a synthetic chat corpus by {@code dev.danmaku.perf.codec.
 * DictionaryTrainer} (perf module), which regenerates them bit for bit; docs/benchmarks.md has the
 * measurements behind it. Loaded from the classpath once, when this class initialises.
 * Safe from any thread.
 */
public final class ProtocolDictionary {
    /** Classpath resource, relative to this class. */
    public static final String RESOURCE = "danmaku-v1.dict";
    /** Largest dictionary the protocol ships, bytes. */
    public static final int MAX_LENGTH = 16 * 1024;

    /** zstd dictionary magic number, little-endian on disk. */
    private static final int ZSTD_DICT_MAGIC = 0xEC30A437;

    private static final byte[] BYTES = load();

    private ProtocolDictionary() {
    }

    /** The dictionary; a fresh copy per call (construction time only, not a hot path). */
    public static byte[] bytes() {
        return BYTES.clone();
    }

    /** Length of the dictionary, bytes. */
    public static int length() {
        return BYTES.length;
    }

    private static byte[] load() {
        byte[] bytes;
        try (InputStream in = ProtocolDictionary.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing classpath resource " + RESOURCE);
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
        int magic = bytes.length < 8 ? 0 : (bytes[0] & 0xFF) | (bytes[1] & 0xFF) << 8 | (bytes[2] & 0xFF) << 16
                | (bytes[3] & 0xFF) << 24;
        if (magic != ZSTD_DICT_MAGIC || bytes.length > MAX_LENGTH) {
            throw new IllegalStateException(RESOURCE + " is not a zstd dictionary of at most " + MAX_LENGTH + " bytes");
        }
        return bytes;
    }
}
