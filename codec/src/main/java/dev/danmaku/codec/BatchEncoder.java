package dev.danmaku.codec;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Builds BATCH frames (layout in {@link BatchLayout}): collect consecutive bullets of one room with
 * {@link #add}, then {@link #encode} once; the payload is zstd-compressed when it is at least the
 * compression threshold and compression makes it smaller.
 *
 * <p>Owned by one thread (the node's fan-out stage, or a test). Allocation-free after construction:
 * the raw and compressed scratch arrays and the zstd context are created once. Holds native
 * memory: {@link #close()} it.
 */
public final class BatchEncoder implements AutoCloseable {
    /** Default: payloads under 256 bytes are sent raw (zstd's frame overhead eats the gain). */
    public static final int DEFAULT_COMPRESSION_THRESHOLD = 256;
    /** Default zstd level: 3 is zstd's own default, fast enough for once-per-batch encoding. */
    public static final int DEFAULT_LEVEL = 3;

    private final int compressionThreshold;
    private final int maxRawLength;
    private final int maxCount;
    private final boolean dictionary;
    private final byte[] raw;
    private final UnsafeBuffer rawBuffer;
    private final byte[] compressed;
    private final ZstdCompressCtx zstd;
    private final byte[] dictionaryBytes;
    /** Context for payloads of at least {@link #largeFrom} bytes, or null (see {@link #largeBatches}). */
    private ZstdCompressCtx zstdLarge;
    private int largeFrom = Integer.MAX_VALUE;

    private long roomId;
    private long epoch;
    private long firstSequence;
    private int count;
    private int rawLength;

    /** An encoder with the default threshold and level, no dictionary, and protocol maximum batch size. */
    public BatchEncoder() {
        this(DEFAULT_COMPRESSION_THRESHOLD, DEFAULT_LEVEL, null, Protocol.MAX_BATCH_RAW_LENGTH,
                Protocol.MAX_BATCH_COUNT);
    }

    /**
     * @param compressionThreshold payloads shorter than this many bytes are not compressed
     *                             ({@code Integer.MAX_VALUE} disables compression)
     * @param level                zstd level (1-19)
     * @param dictionaryBytes      the protocol dictionary ({@link ProtocolDictionary#bytes()}),
     *                             or null
     * @param maxRawLength         payload limit of one batch, bytes (&lt;= {@link Protocol#MAX_BATCH_RAW_LENGTH})
     * @param maxCount             bullets per batch (&lt;= {@link Protocol#MAX_BATCH_COUNT})
     */
    public BatchEncoder(int compressionThreshold, int level, byte[] dictionaryBytes, int maxRawLength, int maxCount) {
        if (maxRawLength < BatchLayout.MAX_ENTRY_LENGTH || maxRawLength > Protocol.MAX_BATCH_RAW_LENGTH) {
            throw new IllegalArgumentException("maxRawLength out of range: " + maxRawLength);
        }
        if (maxCount < 1 || maxCount > Protocol.MAX_BATCH_COUNT) {
            throw new IllegalArgumentException("maxCount out of range: " + maxCount);
        }
        this.compressionThreshold = compressionThreshold;
        this.maxRawLength = maxRawLength;
        this.maxCount = maxCount;
        this.raw = new byte[maxRawLength];
        this.rawBuffer = new UnsafeBuffer(raw);
        this.compressed = new byte[(int) Zstd.compressBound(maxRawLength)];
        this.dictionary = dictionaryBytes != null;
        this.dictionaryBytes = dictionaryBytes;
        this.zstd = newContext(level);
    }

    /**
     * A compression context at {@code level}, with the dictionary if there is one. The window is set
     * explicitly (the payload limit, at least 128 KiB): the same output size as zstd's default, but
     * measured 0.83-0.84x the time at level 1 and 0.90-0.97x at level 3 with the dictionary on chat
     * batches of 100 and 1,000 bullets (docs/benchmarks.md, round 3).
     */
    private ZstdCompressCtx newContext(int level) {
        int windowLog = Math.max(17, 32 - Integer.numberOfLeadingZeros(maxRawLength - 1));
        ZstdCompressCtx ctx = new ZstdCompressCtx().setLevel(level).setWindowLog(windowLog).setChecksum(false)
                .setContentSize(true).setDictID(false);
        if (dictionary) {
            ctx.loadDict(dictionaryBytes);
        }
        return ctx;
    }

    /**
     * Compresses payloads of at least {@code minRawBytes} at {@code level} instead (same dictionary
     * choice). Large batches only come from rooms taking tens of thousands of bullets per second, where
     * the stage thread's CPU is what runs out: measured on chat text with the dictionary, 17-57 KB
     * payloads cost 226-337 ns per bullet at level 3 and 130-170 at level 1, for 6-7 % larger output
     * (docs/benchmarks.md). Call once, before the first {@link #encode}.
     *
     * @return this
     */
    public BatchEncoder largeBatches(int minRawBytes, int level) {
        if (zstdLarge != null) {
            throw new IllegalStateException("largeBatches already set");
        }
        zstdLarge = newContext(level);
        largeFrom = minRawBytes;
        return this;
    }

    /** Starts a new batch; entries will carry sequences {@code firstSequence}, +1, ... */
    public BatchEncoder reset(long roomId, long epoch, long firstSequence) {
        this.roomId = roomId;
        this.epoch = epoch;
        this.firstSequence = firstSequence;
        this.count = 0;
        this.rawLength = 0;
        return this;
    }

    /** True if an entry of {@code entryLength} bytes still fits (count and raw-length limits). */
    public boolean fits(int entryLength) {
        return count < maxCount && rawLength + entryLength <= maxRawLength;
    }

    /**
     * Appends one bullet from UTF-8 ranges of {@code src} (already validated by a decoder).
     *
     * @return false, changing nothing, if the batch is full (encode it and start another)
     */
    public boolean add(long timestamp, long userId, DirectBuffer src, int nameOffset, int nameLength,
                       int contentOffset, int contentLength, int colorOffset, int colorLength) {
        int entryLength = BatchLayout.ENTRY_FIXED_LENGTH + nameLength + contentLength + colorLength;
        if (!fits(entryLength)) {
            return false;
        }
        int p = rawLength;
        rawBuffer.putLong(p, timestamp, Protocol.ORDER);
        rawBuffer.putLong(p + 8, userId, Protocol.ORDER);
        p = FrameEncoder.putBytes(rawBuffer, p + 16, src, nameOffset, nameLength, Protocol.MAX_NAME_LENGTH);
        p = FrameEncoder.putBytes(rawBuffer, p, src, contentOffset, contentLength, Protocol.MAX_CONTENT_LENGTH);
        p = FrameEncoder.putBytes(rawBuffer, p, src, colorOffset, colorLength, Protocol.MAX_COLOR_LENGTH);
        rawLength = p;
        count++;
        return true;
    }

    /**
     * Appends one entry already in BATCH entry form (codec BatchLayout), e.g. from a room's history,
     * with a single copy. The caller guarantees it is a valid entry.
     *
     * @return false, changing nothing, if the batch is full
     */
    public boolean addEntry(DirectBuffer src, int offset, int length) {
        if (!fits(length)) {
            return false;
        }
        rawBuffer.putBytes(rawLength, src, offset, length);
        rawLength += length;
        count++;
        return true;
    }

    /** Appends the bullet a view points at. */
    public boolean add(BulletView bullet) {
        return add(bullet.timestamp(), bullet.userId(), bullet.buffer(), bullet.nameOffset(), bullet.nameLength(),
                bullet.contentOffset(), bullet.contentLength(), bullet.colorOffset(), bullet.colorLength());
    }

    /** Bullets added since {@link #reset}. */
    public int count() {
        return count;
    }

    /** Payload bytes before compression. */
    public int rawLength() {
        return rawLength;
    }

    public long firstSequence() {
        return firstSequence;
    }

    /** Upper bound of the next {@link #encode} result, bytes: size the output for this. */
    public int maxEncodedLength() {
        return BatchLayout.HEADER_LENGTH + rawLength;
    }

    /**
     * Writes the BATCH frame; at least one bullet must have been added.
     *
     * @return the frame length, bytes (&lt;= {@link #maxEncodedLength()})
     */
    public int encode(MutableDirectBuffer out, int offset) {
        if (count == 0) {
            throw new IllegalStateException("empty batch");
        }
        int flags = 0;
        int payloadLength = rawLength;
        if (rawLength >= compressionThreshold) {
            ZstdCompressCtx ctx = rawLength >= largeFrom ? zstdLarge : zstd;
            int n = ctx.compressByteArray(compressed, 0, compressed.length, raw, 0, rawLength);
            if (n < rawLength) {
                flags = BatchLayout.FLAG_ZSTD | (dictionary ? BatchLayout.FLAG_DICTIONARY : 0);
                payloadLength = n;
            }
        }
        FrameEncoder.preamble(out, offset, FrameType.BATCH);
        out.putLong(offset + BatchLayout.ROOM_OFFSET, roomId, Protocol.ORDER);
        out.putInt(offset + BatchLayout.EPOCH_OFFSET, (int) epoch, Protocol.ORDER);
        out.putLong(offset + BatchLayout.FIRST_SEQ_OFFSET, firstSequence, Protocol.ORDER);
        out.putShort(offset + BatchLayout.COUNT_OFFSET, (short) count, Protocol.ORDER);
        out.putByte(offset + BatchLayout.FLAGS_OFFSET, (byte) flags);
        out.putInt(offset + BatchLayout.RAW_LENGTH_OFFSET, rawLength, Protocol.ORDER);
        out.putInt(offset + BatchLayout.PAYLOAD_LENGTH_OFFSET, payloadLength, Protocol.ORDER);
        if (flags == 0) {
            out.putBytes(offset + BatchLayout.HEADER_LENGTH, raw, 0, rawLength);
        } else {
            out.putBytes(offset + BatchLayout.HEADER_LENGTH, compressed, 0, payloadLength);
        }
        return BatchLayout.HEADER_LENGTH + payloadLength;
    }

    @Override
    public void close() {
        zstd.close();
        if (zstdLarge != null) {
            zstdLarge.close();
        }
    }
}
