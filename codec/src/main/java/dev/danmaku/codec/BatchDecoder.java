package dev.danmaku.codec;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Decodes and validates a whole BATCH frame (layout in {@link BatchLayout}), inflating a zstd
 * payload into a reusable buffer, then iterates its bullets with {@link #next()}.
 *
 * <p>{@link #wrap} checks everything before the first entry is read: header fields, the inflate
 * limit (a declared or actual inflated size above {@code maxRawLength} is
 * {@link ErrorCode#INFLATE_LIMIT}, checked before and while inflating, so a decompression bomb
 * never allocates past the limit), and every entry, so iteration cannot fail.
 *
 * <p>Owned by one thread. Allocation-free in steady state: the inflate buffer grows (to a power
 * of two, at most {@code maxRawLength}) only when a larger batch arrives. Holds native memory:
 * {@link #close()} it.
 */
public final class BatchDecoder implements AutoCloseable {
    private static final int INITIAL_CAPACITY = 64 * 1024;

    private final int maxRawLength;
    private final ZstdDecompressCtx plain;
    private final ZstdDecompressCtx withDictionary;
    private final BulletView entry = new BulletView();
    private final UnsafeBuffer inflatedBuffer = new UnsafeBuffer(new byte[0]);
    private byte[] inflated = new byte[0];
    private byte[] source = new byte[0];

    private long roomId;
    private long epoch;
    private long firstSequence;
    private int count;
    private int flags;
    private int rawLength;
    private int payloadLength;

    private DirectBuffer payload;
    private int payloadOffset;
    private int position;
    private int entryStart;
    private int index;

    /** A decoder with the {@link ProtocolDictionary} that accepts batches up to the protocol maximum. */
    public BatchDecoder() {
        this(ProtocolDictionary.bytes(), Protocol.MAX_BATCH_RAW_LENGTH);
    }

    /**
     * @param dictionaryBytes the protocol's zstd dictionary ({@link ProtocolDictionary#bytes()}), or
     *                        null (then DICTIONARY batches are rejected as {@link ErrorCode#BAD_COMPRESSION})
     * @param maxRawLength    inflate limit, bytes (&lt;= {@link Protocol#MAX_BATCH_RAW_LENGTH})
     */
    public BatchDecoder(byte[] dictionaryBytes, int maxRawLength) {
        if (maxRawLength < 1 || maxRawLength > Protocol.MAX_BATCH_RAW_LENGTH) {
            throw new IllegalArgumentException("maxRawLength out of range: " + maxRawLength);
        }
        this.maxRawLength = maxRawLength;
        this.plain = new ZstdDecompressCtx();
        this.withDictionary = dictionaryBytes == null ? null : new ZstdDecompressCtx().loadDict(dictionaryBytes);
    }

    /**
     * Validates the frame (inflating it if compressed) and rewinds iteration.
     *
     * @return {@link Protocol#OK} or an {@link ErrorCode#code()}
     */
    public int wrap(DirectBuffer buffer, int offset, int length) {
        count = 0;
        index = 0;
        int status = Frames.expect(buffer, offset, length, FrameType.BATCH);
        if (status != Protocol.OK) {
            return status;
        }
        if (length < BatchLayout.HEADER_LENGTH) {
            return ErrorCode.TRUNCATED.code();
        }
        long room = buffer.getLong(offset + BatchLayout.ROOM_OFFSET, Protocol.ORDER);
        long first = buffer.getLong(offset + BatchLayout.FIRST_SEQ_OFFSET, Protocol.ORDER);
        int n = buffer.getShort(offset + BatchLayout.COUNT_OFFSET, Protocol.ORDER) & 0xFFFF;
        int f = buffer.getByte(offset + BatchLayout.FLAGS_OFFSET) & 0xFF;
        long raw = buffer.getInt(offset + BatchLayout.RAW_LENGTH_OFFSET, Protocol.ORDER) & 0xFFFF_FFFFL;
        long declared = buffer.getInt(offset + BatchLayout.PAYLOAD_LENGTH_OFFSET, Protocol.ORDER) & 0xFFFF_FFFFL;
        long available = length - BatchLayout.HEADER_LENGTH;
        if (declared > available) {
            return ErrorCode.LENGTH_OUT_OF_BOUNDS.code();
        }
        if (declared < available) {
            return ErrorCode.TRAILING_BYTES.code();
        }
        if (room == 0 || first < 1 || (f & ~(BatchLayout.FLAG_ZSTD | BatchLayout.FLAG_DICTIONARY)) != 0
                || f == BatchLayout.FLAG_DICTIONARY) {
            return ErrorCode.INVALID_FIELD.code();
        }
        if (n < 1 || n > Protocol.MAX_BATCH_COUNT || (long) n * BatchLayout.ENTRY_FIXED_LENGTH + n > raw) {
            return ErrorCode.BAD_COUNT.code();
        }
        if (raw > maxRawLength) {
            return ErrorCode.INFLATE_LIMIT.code();
        }
        roomId = room;
        epoch = buffer.getInt(offset + BatchLayout.EPOCH_OFFSET, Protocol.ORDER) & 0xFFFF_FFFFL;
        firstSequence = first;
        flags = f;
        rawLength = (int) raw;
        payloadLength = (int) declared;
        int payloadStart = offset + BatchLayout.HEADER_LENGTH;
        if ((f & BatchLayout.FLAG_ZSTD) == 0) {
            if (payloadLength != rawLength) {
                return ErrorCode.INVALID_FIELD.code();
            }
            payload = buffer;
            payloadOffset = payloadStart;
        } else {
            status = inflate(buffer, payloadStart, (f & BatchLayout.FLAG_DICTIONARY) != 0);
            if (status != Protocol.OK) {
                return status;
            }
            payload = inflatedBuffer;
            payloadOffset = 0;
        }
        // Validate every entry now so that iteration cannot fail.
        int p = payloadOffset;
        int end = payloadOffset + rawLength;
        for (int i = 0; i < n; i++) {
            p = parseEntry(p, end);
            if (p < 0) {
                return -p;
            }
        }
        if (p != end) {
            return ErrorCode.TRAILING_BYTES.code();
        }
        count = n;
        rewind();
        return Protocol.OK;
    }

    private int inflate(DirectBuffer buffer, int payloadStart, boolean withDict) {
        ZstdDecompressCtx zstd = withDict ? this.withDictionary : plain;
        if (zstd == null) {
            return ErrorCode.BAD_COMPRESSION.code();
        }
        byte[] src;
        int srcOffset;
        if (buffer.byteArray() != null) {
            src = buffer.byteArray();
            srcOffset = buffer.wrapAdjustment() + payloadStart;
        } else {
            if (source.length < payloadLength) {
                source = new byte[Math.max(payloadLength, Math.min(2 * source.length, Protocol.MAX_SERVER_FRAME_LENGTH))];
            }
            buffer.getBytes(payloadStart, source, 0, payloadLength);
            src = source;
            srcOffset = 0;
        }
        if (payloadLength < 4) {
            return ErrorCode.BAD_COMPRESSION.code(); // shorter than a zstd magic number
        }
        long contentSize;
        try {
            contentSize = Zstd.getFrameContentSize(src, srcOffset, payloadLength);
        } catch (RuntimeException e) {
            // zstd-jni indexes past short inputs instead of returning an error (found by the fuzz target).
            return ErrorCode.BAD_COMPRESSION.code();
        }
        if (contentSize >= 0 && contentSize > rawLength) {
            return ErrorCode.INFLATE_LIMIT.code();
        }
        if (inflated.length < rawLength) {
            int capacity = Math.max(INITIAL_CAPACITY, Integer.highestOneBit(Math.max(1, rawLength - 1)) << 1);
            inflated = new byte[Math.min(capacity, maxRawLength)];
            inflatedBuffer.wrap(inflated);
        }
        int n;
        try {
            n = zstd.decompressByteArray(inflated, 0, rawLength, src, srcOffset, payloadLength);
        } catch (ZstdException e) {
            return e.getErrorCode() == Zstd.errDstSizeTooSmall()
                    ? ErrorCode.INFLATE_LIMIT.code() : ErrorCode.BAD_COMPRESSION.code();
        } catch (RuntimeException e) {
            return ErrorCode.BAD_COMPRESSION.code();
        }
        return n == rawLength ? Protocol.OK : ErrorCode.BAD_COMPRESSION.code();
    }

    private int parseEntry(int p, int end) {
        if (end - p < 16) {
            return -ErrorCode.TRUNCATED.code();
        }
        entry.buffer = payload;
        entry.timestamp = payload.getLong(p, Protocol.ORDER);
        entry.userId = payload.getLong(p + 8, Protocol.ORDER);
        int q = entry.parseStrings(payload, p + 16, end);
        if (q < 0) {
            return q;
        }
        if (entry.timestamp < 0 || entry.userId == 0) {
            return -ErrorCode.INVALID_FIELD.code();
        }
        return q;
    }

    /** Positions the entry view on an entry {@link #wrap} already validated: reads lengths only. */
    private int locateEntry(int p) {
        DirectBuffer b = payload;
        entry.buffer = b;
        entry.timestamp = b.getLong(p, Protocol.ORDER);
        entry.userId = b.getLong(p + 8, Protocol.ORDER);
        int q = p + 16;
        entry.nameLength = b.getShort(q, Protocol.ORDER) & 0xFFFF;
        entry.nameOffset = q + 2;
        q = entry.nameOffset + entry.nameLength;
        entry.contentLength = b.getShort(q, Protocol.ORDER) & 0xFFFF;
        entry.contentOffset = q + 2;
        q = entry.contentOffset + entry.contentLength;
        entry.colorLength = b.getShort(q, Protocol.ORDER) & 0xFFFF;
        entry.colorOffset = q + 2;
        return entry.colorOffset + entry.colorLength;
    }

    /** Start offset in {@link #payload()} of the entry {@link #next()} last positioned. */
    public int entryOffset() {
        return entryStart;
    }

    /** Length of the entry {@link #next()} last positioned, bytes. */
    public int entryLength() {
        return position - entryStart;
    }

    /** Restarts iteration at the first bullet. */
    public void rewind() {
        position = payloadOffset;
        index = 0;
    }

    /** Positions {@link #entry()} on the next bullet; false after the last. */
    public boolean next() {
        if (index >= count) {
            return false;
        }
        entryStart = position;
        position = locateEntry(position);
        entry.roomId = roomId;
        entry.sequence = firstSequence + index;
        index++;
        return true;
    }

    /** The bullet {@link #next()} positioned (room and sequence filled in). */
    public BulletView entry() {
        return entry;
    }

    public long roomId() {
        return roomId;
    }

    public long epoch() {
        return epoch;
    }

    public long firstSequence() {
        return firstSequence;
    }

    /** Sequence of the last bullet in the batch. */
    public long lastSequence() {
        return firstSequence + count - 1;
    }

    public int count() {
        return count;
    }

    public int flags() {
        return flags;
    }

    public boolean compressed() {
        return (flags & BatchLayout.FLAG_ZSTD) != 0;
    }

    public int rawLength() {
        return rawLength;
    }

    public int payloadLength() {
        return payloadLength;
    }

    /** The (inflated) payload buffer and offset; entries' string ranges refer to it. */
    public DirectBuffer payload() {
        return payload;
    }

    public int payloadOffset() {
        return payloadOffset;
    }

    @Override
    public void close() {
        plain.close();
        if (withDictionary != null) {
            withDictionary.close();
        }
    }
}
