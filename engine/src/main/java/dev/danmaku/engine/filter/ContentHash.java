package dev.danmaku.engine.filter;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * XXH64 (xxHash, 64-bit, spec-compatible) over bytes in a {@link DirectBuffer}. Stateless,
 * thread-safe, allocation-free.
 *
 * <p>{@link #hash(long, DirectBuffer, int, int)} keys a bullet by (user id, content): the user id is
 * the XXH64 seed, so the same text from two users hashes differently. XXH64 is not cryptographic;
 * see {@link DuplicateFilter} for what a collision can and cannot do.
 */
public final class ContentHash {
    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    private static final long P3 = 0x165667B19E3779F9L;
    private static final long P4 = 0x85EBCA77C2B2AE63L;
    private static final long P5 = 0x27D4EB2F165667C5L;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private ContentHash() {
    }

    /**
     * Hash of one user's content.
     *
     * @param userId the sender
     * @param buf    content
     * @param off    first byte
     * @param len    length in bytes
     * @return XXH64(content, seed = userId)
     */
    public static long hash(final long userId, final DirectBuffer buf, final int off, final int len) {
        return xxh64(buf, off, len, userId);
    }

    /**
     * XXH64 as specified by the xxHash project (the checksum in zstd frames is its low 32 bits).
     *
     * @param buf  bytes
     * @param off  first byte
     * @param len  length in bytes
     * @param seed seed
     * @return the 64-bit hash
     */
    public static long xxh64(final DirectBuffer buf, final int off, final int len, final long seed) {
        final int end = off + len;
        int i = off;
        long h;
        if (len >= 32) {
            long v1 = seed + P1 + P2;
            long v2 = seed + P2;
            long v3 = seed;
            long v4 = seed - P1;
            final int limit = end - 32;
            do {
                v1 = round(v1, buf.getLong(i, LE));
                v2 = round(v2, buf.getLong(i + 8, LE));
                v3 = round(v3, buf.getLong(i + 16, LE));
                v4 = round(v4, buf.getLong(i + 24, LE));
                i += 32;
            } while (i <= limit);
            h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
            h = mergeRound(h, v1);
            h = mergeRound(h, v2);
            h = mergeRound(h, v3);
            h = mergeRound(h, v4);
        } else {
            h = seed + P5;
        }
        h += len;
        while (i + 8 <= end) {
            h ^= round(0, buf.getLong(i, LE));
            h = Long.rotateLeft(h, 27) * P1 + P4;
            i += 8;
        }
        if (i + 4 <= end) {
            h ^= (buf.getInt(i, LE) & 0xFFFFFFFFL) * P1;
            h = Long.rotateLeft(h, 23) * P2 + P3;
            i += 4;
        }
        while (i < end) {
            h ^= (buf.getByte(i) & 0xFFL) * P5;
            h = Long.rotateLeft(h, 11) * P1;
            i++;
        }
        h ^= h >>> 33;
        h *= P2;
        h ^= h >>> 29;
        h *= P3;
        h ^= h >>> 32;
        return h;
    }

    private static long round(final long acc, final long input) {
        return Long.rotateLeft(acc + input * P2, 31) * P1;
    }

    private static long mergeRound(final long acc, final long val) {
        return (acc ^ round(0, val)) * P1 + P4;
    }
}
