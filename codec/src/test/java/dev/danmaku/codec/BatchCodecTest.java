package dev.danmaku.codec;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;

class BatchCodecTest {
    private final UnsafeBuffer out = new UnsafeBuffer(new byte[Protocol.MAX_SERVER_FRAME_LENGTH]);
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[Protocol.MAX_CLIENT_FRAME_LENGTH]);
    private final BulletDecoder bullet = new BulletDecoder();
    private final BatchEncoder encoder = new BatchEncoder();
    private final BatchDecoder decoder = new BatchDecoder();

    @AfterEach
    void close() {
        encoder.close();
        decoder.close();
    }

    private BulletDecoder bullet(long ts, long user, String name, String content, String color) {
        int n = FrameEncoder.bullet(scratch, 0, ts, user, 1, name, content, color);
        assertThat(bullet.wrap(scratch, 0, n)).isEqualTo(Protocol.OK);
        return bullet;
    }

    @Test
    void shouldCompressLargeBatchesAndKeepEveryBulletInOrder() {
        encoder.reset(77, 5, 1000);
        for (int i = 0; i < 100; i++) {
            assertThat(encoder.add(bullet(1_700_000_000_000L + i, 1 + i % 7, "user" + i % 7, "前方高能 " + i, "white")))
                    .isTrue();
        }
        int n = encoder.encode(out, 0);
        assertThat(decoder.wrap(out, 0, n)).isEqualTo(Protocol.OK);
        assertThat(decoder.compressed()).isTrue();
        assertThat(decoder.payloadLength()).isLessThan(decoder.rawLength() / 2);
        assertThat(decoder.count()).isEqualTo(100);
        assertThat(decoder.roomId()).isEqualTo(77);
        assertThat(decoder.epoch()).isEqualTo(5);
        assertThat(decoder.lastSequence()).isEqualTo(1099);
        int i = 0;
        while (decoder.next()) {
            BulletView e = decoder.entry();
            assertThat(e.sequence()).isEqualTo(1000 + i);
            assertThat(e.roomId()).isEqualTo(77);
            assertThat(e.timestamp()).isEqualTo(1_700_000_000_000L + i);
            assertThat(e.content()).isEqualTo("前方高能 " + i);
            assertThat(e.name()).isEqualTo("user" + i % 7);
            i++;
        }
        assertThat(i).isEqualTo(100);
        decoder.rewind();
        assertThat(decoder.next()).isTrue();
        assertThat(decoder.entry().sequence()).isEqualTo(1000);
    }

    @Test
    void shouldSendSmallBatchesRaw() {
        encoder.reset(1, 1, 1).add(bullet(1, 2, "a", "gg", ""));
        int n = encoder.encode(out, 0);
        assertThat(decoder.wrap(out, 0, n)).isEqualTo(Protocol.OK);
        assertThat(decoder.compressed()).isFalse();
        assertThat(n).isEqualTo(BatchLayout.HEADER_LENGTH + decoder.rawLength());
    }

    @Test
    void shouldSendIncompressiblePayloadsRaw() {
        try (BatchEncoder always = new BatchEncoder(0, 3, null, Protocol.MAX_BATCH_RAW_LENGTH, 10)) {
            always.reset(1, 1, 1).add(bullet(1, 2, "", "x", ""));
            int n = always.encode(out, 0);
            assertThat(decoder.wrap(out, 0, n)).isEqualTo(Protocol.OK);
            assertThat(decoder.compressed()).as("zstd would be larger than 23 bytes").isFalse();
        }
    }

    @Test
    void addShouldReportAFullBatchAtTheCountLimit() {
        try (BatchEncoder small = new BatchEncoder(256, 3, null, Protocol.MAX_BATCH_RAW_LENGTH, 3)) {
            small.reset(1, 1, 1);
            for (int i = 0; i < 3; i++) {
                assertThat(small.add(bullet(1, 2, "", "x", ""))).isTrue();
            }
            assertThat(small.add(bullet(1, 2, "", "x", ""))).isFalse();
            assertThat(small.count()).isEqualTo(3);
        }
    }

    @Test
    void addShouldReportAFullBatchAtTheByteLimit() {
        try (BatchEncoder small = new BatchEncoder(256, 3, null, BatchLayout.MAX_ENTRY_LENGTH, 100)) {
            small.reset(1, 1, 1);
            assertThat(small.add(bullet(1, 2, "", "x".repeat(512), ""))).isTrue();
            assertThat(small.add(bullet(1, 2, "", "x".repeat(100), ""))).isFalse();
            assertThat(small.rawLength()).isEqualTo(22 + 512);
        }
    }

    @Test
    void shouldRoundTripWithATrainedDictionary() {
        byte[][] samples = new byte[2000][];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = ("{user" + i % 50 + "}哈哈哈哈 前方高能 awsl 666 " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        byte[] dict = new byte[4096];
        long size = Zstd.trainFromBuffer(samples, dict);
        assertThat(Zstd.isError(size)).isFalse();
        byte[] dictionary = java.util.Arrays.copyOf(dict, (int) size);
        try (BatchEncoder withDict = new BatchEncoder(0, 3, dictionary, Protocol.MAX_BATCH_RAW_LENGTH, 100);
             BatchDecoder decodeWithDict = new BatchDecoder(dictionary, Protocol.MAX_BATCH_RAW_LENGTH)) {
            withDict.reset(1, 1, 1);
            for (int i = 0; i < 20; i++) {
                withDict.add(bullet(i, 3, "user" + i, "哈哈哈哈 前方高能 awsl " + i, "white"));
            }
            int n = withDict.encode(out, 0);
            assertThat(out.getByte(BatchLayout.FLAGS_OFFSET)).isEqualTo((byte) 3);
            assertThat(decodeWithDict.wrap(out, 0, n)).isEqualTo(Protocol.OK);
            assertThat(decodeWithDict.count()).isEqualTo(20);
            try (BatchDecoder noDictionary = new BatchDecoder(null, Protocol.MAX_BATCH_RAW_LENGTH)) {
                assertThat(noDictionary.wrap(out, 0, n)).as("a decoder without a dictionary refuses it")
                        .isEqualTo(ErrorCode.BAD_COMPRESSION.code());
            }
        }
    }

    /** RELIABILITY scenario 18: a payload that inflates to 100 MiB is stopped at the limit. */
    @Test
    void protocolDictionaryBatchesShouldDecodeWithTheDefaultDecoderAndPlainOnesToo() {
        try (BatchEncoder withDict = new BatchEncoder(0, 3, ProtocolDictionary.bytes(), Protocol.MAX_BATCH_RAW_LENGTH, 100)) {
            withDict.reset(1, 1, 1);
            for (int i = 0; i < 5; i++) {
                withDict.add(bullet(i, 3, "小明", "666 哈哈哈 " + i, "#FFFFFF"));
            }
            int n = withDict.encode(out, 0);
            assertThat(out.getByte(BatchLayout.FLAGS_OFFSET)).isEqualTo((byte) 3);
            assertThat(decoder.wrap(out, 0, n)).isEqualTo(Protocol.OK);
            assertThat(decoder.count()).isEqualTo(5);
        }
        encoder.reset(1, 1, 1);
        for (int i = 0; i < 20; i++) {
            encoder.add(bullet(i, 3, "小明", "666 哈哈哈 " + i, "#FFFFFF"));
        }
        int n = encoder.encode(out, 0);
        assertThat(out.getByte(BatchLayout.FLAGS_OFFSET)).isEqualTo((byte) 1);
        assertThat(decoder.wrap(out, 0, n)).isEqualTo(Protocol.OK);
    }

    @Test
    void largeBatchesShouldUseTheirOwnLevelAndStillDecodeWithTheDictionary() {
        try (BatchEncoder plain = new BatchEncoder(0, 19, ProtocolDictionary.bytes(), Protocol.MAX_BATCH_RAW_LENGTH, 1000);
             BatchEncoder split = new BatchEncoder(0, 19, ProtocolDictionary.bytes(), Protocol.MAX_BATCH_RAW_LENGTH, 1000)
                     .largeBatches(4096, 1);
             BatchDecoder withDict = new BatchDecoder(ProtocolDictionary.bytes(), Protocol.MAX_BATCH_RAW_LENGTH)) {
            int[] sizes = new int[2];
            for (int large = 0; large < 2; large++) {
                int count = large == 1 ? 400 : 20;
                plain.reset(1, 1, 1);
                split.reset(1, 1, 1);
                for (int i = 0; i < count; i++) {
                    BulletView b = bullet(i, 3 + i % 7, "观众" + i % 13, "主播 666 第" + i + "条 " + "哈".repeat(i % 9), "#FF00" + i % 10 + "0");
                    plain.add(b);
                    split.add(b);
                }
                int plainLength = plain.encode(out, 0);
                int n = split.encode(out, 0);
                assertThat(split.rawLength() >= 4096).isEqualTo(large == 1);
                assertThat(out.getByte(BatchLayout.FLAGS_OFFSET)).as("zstd with the dictionary").isEqualTo((byte) 3);
                assertThat(withDict.wrap(out, 0, n)).isEqualTo(Protocol.OK);
                int seen = 0;
                while (withDict.next()) {
                    assertThat(withDict.entry().sequence()).isEqualTo(1 + seen++);
                }
                assertThat(seen).isEqualTo(count);
                sizes[large] = n - plainLength;
            }
            assertThat(sizes[0]).as("a small batch is compressed at the main level").isZero();
            assertThat(sizes[1]).as("a large one at the large-batch level (1 compresses less than 19)").isPositive();
        }
    }

    @Test
    void addEntryShouldCopyHistoryEntriesVerbatim() {
        encoder.reset(1, 1, 1).add(bullet(5, 6, "n", "内容", "red"));
        int n = encoder.encode(out, 0);
        assertThat(decoder.wrap(out, 0, n)).isEqualTo(Protocol.OK);
        assertThat(decoder.next()).isTrue();
        try (BatchEncoder copy = new BatchEncoder()) {
            copy.reset(1, 1, 1).addEntry(decoder.payload(), decoder.entryOffset(), decoder.entryLength());
            UnsafeBuffer again = new UnsafeBuffer(new byte[n]);
            assertThat(copy.encode(again, 0)).isEqualTo(n);
            for (int i = 0; i < n; i++) {
                assertThat(again.getByte(i)).isEqualTo(out.getByte(i));
            }
        }
    }

    @Test
    void shouldStopADecompressionBombAtTheInflateLimit() {
        byte[] zeros = new byte[100 << 20];
        for (boolean declareSize : new boolean[]{true, false}) {
            byte[] bomb;
            try (ZstdCompressCtx c = new ZstdCompressCtx().setLevel(1).setContentSize(declareSize)) {
                if (declareSize) {
                    bomb = c.compress(zeros);
                } else {
                    // Streaming compression leaves the content size out of the frame header.
                    ByteBuffer src = ByteBuffer.allocateDirect(zeros.length);
                    ByteBuffer dst = ByteBuffer.allocateDirect(1 << 20);
                    c.compressDirectByteBufferStream(dst, src, com.github.luben.zstd.EndDirective.END);
                    dst.flip();
                    bomb = new byte[dst.remaining()];
                    dst.get(bomb);
                }
            }
            assertThat(bomb.length).isLessThan(64 * 1024);
            assertThat(Zstd.getFrameContentSize(bomb) > 0).isEqualTo(declareSize);
            int n = batchHeader(BatchLayout.FLAG_ZSTD, 1, Protocol.MAX_BATCH_RAW_LENGTH, bomb);
            long heapBefore = usedHeap();
            assertThat(decoder.wrap(out, 0, n)).as("declared=%s", declareSize).isEqualTo(ErrorCode.INFLATE_LIMIT.code());
            assertThat(usedHeap() - heapBefore).as("no 100 MiB buffer").isLessThan(50L << 20);
        }
    }

    @Test
    void shouldRejectARawLengthOverTheReceiversLimitBeforeInflating() {
        try (BatchDecoder strict = new BatchDecoder(null, 1024)) {
            int n = batchHeader(BatchLayout.FLAG_ZSTD, 1, 4096, new byte[]{1, 2, 3});
            assertThat(strict.wrap(out, 0, n)).isEqualTo(ErrorCode.INFLATE_LIMIT.code());
        }
    }

    @Test
    void shouldRejectEmptyAndTinyCompressedPayloads() {
        for (int n = 0; n < 8; n++) {
            int len = batchHeader(BatchLayout.FLAG_ZSTD, 3, 200, new byte[n]);
            assertThat(decoder.wrap(out, 0, len)).as("%d payload bytes", n).isEqualTo(ErrorCode.BAD_COMPRESSION.code());
        }
    }

    @Test
    void shouldRejectCorruptCompressedPayloads() {
        int n = batchHeader(BatchLayout.FLAG_ZSTD, 1, 100, new byte[]{0x28, (byte) 0xB5, 0x2F, (byte) 0xFD, 1, 2, 3});
        assertThat(decoder.wrap(out, 0, n)).isEqualTo(ErrorCode.BAD_COMPRESSION.code());
    }

    @Test
    void shouldRejectAPayloadThatInflatesToLessThanDeclared() {
        byte[] small = Zstd.compress(new byte[10]);
        int n = batchHeader(BatchLayout.FLAG_ZSTD, 1, 100, small);
        assertThat(decoder.wrap(out, 0, n)).isIn(ErrorCode.BAD_COMPRESSION.code(), ErrorCode.INFLATE_LIMIT.code());
    }

    @Test
    void shouldRejectBadHeaders() {
        byte[] entry = rawEntry();
        assertThat(decoder.wrap(out, 0, batchHeader(0, 0, entry.length, entry))).isEqualTo(ErrorCode.BAD_COUNT.code());
        assertThat(decoder.wrap(out, 0, batchHeader(0, 2, entry.length, entry))).isEqualTo(ErrorCode.BAD_COUNT.code());
        assertThat(decoder.wrap(out, 0, batchHeader(0x04, 1, entry.length, entry))).isEqualTo(ErrorCode.INVALID_FIELD.code());
        assertThat(decoder.wrap(out, 0, batchHeader(BatchLayout.FLAG_DICTIONARY, 1, entry.length, entry)))
                .isEqualTo(ErrorCode.INVALID_FIELD.code());
        assertThat(decoder.wrap(out, 0, batchHeader(0, 1, entry.length + 1, entry))).isEqualTo(ErrorCode.INVALID_FIELD.code());
        int n = batchHeader(0, 1, entry.length, entry);
        assertThat(decoder.wrap(out, 0, n)).isEqualTo(Protocol.OK);
        assertThat(decoder.wrap(out, 0, n - 1)).isEqualTo(ErrorCode.LENGTH_OUT_OF_BOUNDS.code());
        out.putInt(BatchLayout.PAYLOAD_LENGTH_OFFSET, entry.length - 1, Protocol.ORDER);
        assertThat(decoder.wrap(out, 0, n)).isEqualTo(ErrorCode.TRAILING_BYTES.code());
        batchHeader(0, 1, entry.length, entry);
        out.putLong(BatchLayout.FIRST_SEQ_OFFSET, 0, Protocol.ORDER);
        assertThat(decoder.wrap(out, 0, n)).isEqualTo(ErrorCode.INVALID_FIELD.code());
    }

    private byte[] rawEntry() {
        encoder.reset(1, 1, 1).add(bullet(5, 6, "n", "c", ""));
        int n = encoder.encode(out, 0);
        byte[] payload = new byte[n - BatchLayout.HEADER_LENGTH];
        out.getBytes(BatchLayout.HEADER_LENGTH, payload);
        return payload;
    }

    private int batchHeader(int flags, int count, int rawLength, byte[] payload) {
        FrameEncoder.preamble(out, 0, FrameType.BATCH);
        out.putLong(BatchLayout.ROOM_OFFSET, 9, Protocol.ORDER);
        out.putInt(BatchLayout.EPOCH_OFFSET, 1, Protocol.ORDER);
        out.putLong(BatchLayout.FIRST_SEQ_OFFSET, 1, Protocol.ORDER);
        out.putShort(BatchLayout.COUNT_OFFSET, (short) count, Protocol.ORDER);
        out.putByte(BatchLayout.FLAGS_OFFSET, (byte) flags);
        out.putInt(BatchLayout.RAW_LENGTH_OFFSET, rawLength, Protocol.ORDER);
        out.putInt(BatchLayout.PAYLOAD_LENGTH_OFFSET, payload.length, Protocol.ORDER);
        out.putBytes(BatchLayout.HEADER_LENGTH, payload);
        return BatchLayout.HEADER_LENGTH + payload.length;
    }

    private static long usedHeap() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }
}
