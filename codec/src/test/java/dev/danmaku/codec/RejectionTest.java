package dev.danmaku.codec;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** One test per rejection: each malformed input gets its specific code and nothing else. */
class RejectionTest {
    private final UnsafeBuffer buf = new UnsafeBuffer(new byte[Protocol.MAX_SERVER_FRAME_LENGTH + 16]);
    private final FrameDecoder node = FrameDecoder.forNode();
    private final FrameDecoder client = FrameDecoder.forClient();

    @AfterEach
    void close() {
        node.close();
        client.close();
    }

    private int hello() {
        return FrameEncoder.bullet(buf, 0, 1_700_000_000_000L, 123456, 123456, "test", "Hello", "red");
    }

    private int nodeDecode(int length) {
        return node.decode(buf, 0, length);
    }

    @Test
    void shouldRejectWrongMagic() {
        int n = hello();
        buf.putByte(1, (byte) 0xCE);
        assertThat(nodeDecode(n)).isEqualTo(ErrorCode.BAD_MAGIC.code());
    }

    @Test
    void shouldRejectUnknownVersion() {
        int n = hello();
        buf.putByte(2, (byte) 2);
        assertThat(nodeDecode(n)).isEqualTo(ErrorCode.BAD_VERSION.code());
    }

    @Test
    void shouldRejectUnknownType() {
        int n = hello();
        for (int t : new int[]{0x00, 0x08, 0x0F, 0x18, 0xFF}) {
            buf.putByte(3, (byte) t);
            assertThat(nodeDecode(n)).as("type %d", t).isEqualTo(ErrorCode.UNKNOWN_TYPE.code());
        }
    }

    @Test
    void shouldRejectEveryTruncationOfAValidBullet() {
        int n = hello();
        for (int len = 0; len < n; len++) {
            int status = nodeDecode(len);
            assertThat(status).as("length %d", len)
                    .isIn(ErrorCode.TRUNCATED.code(), ErrorCode.LENGTH_OUT_OF_BOUNDS.code());
        }
    }

    @Test
    void shouldRejectALengthPastTheFrameEnd() {
        int n = hello();
        buf.putShort(28, (short) 0xFFFF, Protocol.ORDER);
        assertThat(nodeDecode(n)).isEqualTo(ErrorCode.LENGTH_OUT_OF_BOUNDS.code());
    }

    @Test
    void shouldRejectTrailingGarbage() {
        int n = hello();
        buf.putByte(n, (byte) 0);
        assertThat(nodeDecode(n + 1)).isEqualTo(ErrorCode.TRAILING_BYTES.code());
        int h = FrameEncoder.roomRequest(buf, 0, FrameType.HEARTBEAT, 1, 2, 0);
        assertThat(nodeDecode(h + 3)).isEqualTo(ErrorCode.TRAILING_BYTES.code());
    }

    @Test
    void shouldRejectInvalidUtf8() {
        byte[][] bad = {
                {(byte) 0xFF}, {(byte) 0xC0, (byte) 0x80}, {(byte) 0xE0, (byte) 0x80, (byte) 0x80},
                {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
                {(byte) 0xE4, (byte) 0xB8}, {(byte) 0x80}};
        for (byte[] b : bad) {
            int n = FrameEncoder.bullet(buf, 0, 1, 2, 3, "", "x".repeat(b.length), "");
            buf.putBytes(28 + 2 + 2, b);
            assertThat(nodeDecode(n)).isEqualTo(ErrorCode.INVALID_UTF8.code());
        }
    }

    @Test
    void shouldRejectOverLongFields() {
        int p = FrameEncoder.bullet(buf, 0, 1, 2, 3, "", "x", "");
        // name of 65 bytes, written by hand (the encoder refuses it)
        buf.putShort(28, (short) 65, Protocol.ORDER);
        for (int i = 0; i < 65; i++) {
            buf.putByte(30 + i, (byte) 'a');
        }
        int q = 30 + 65;
        buf.putShort(q, (short) 1, Protocol.ORDER);
        buf.putByte(q + 2, (byte) 'x');
        buf.putShort(q + 3, (short) 0, Protocol.ORDER);
        assertThat(p).isPositive();
        assertThat(nodeDecode(q + 5)).isEqualTo(ErrorCode.FIELD_TOO_LONG.code());
    }

    @Test
    void shouldRejectOversizedFramesBeforeLookingAtThem() {
        int n = hello();
        assertThat(nodeDecode(Protocol.MAX_CLIENT_FRAME_LENGTH + 1)).isEqualTo(ErrorCode.FRAME_TOO_LARGE.code());
        assertThat(n).isLessThan(Protocol.MAX_CLIENT_FRAME_LENGTH);
        assertThat(client.decode(buf, 0, Protocol.MAX_SERVER_FRAME_LENGTH + 1))
                .isEqualTo(ErrorCode.FRAME_TOO_LARGE.code());
    }

    @Test
    void shouldRejectOutOfRangeFields() {
        assertThat(nodeDecode(FrameEncoder.bullet(buf, 0, 1, 0, 3, "", "x", ""))).isEqualTo(ErrorCode.INVALID_FIELD.code());
        assertThat(nodeDecode(FrameEncoder.bullet(buf, 0, 1, 2, 0, "", "x", ""))).isEqualTo(ErrorCode.INVALID_FIELD.code());
        assertThat(nodeDecode(FrameEncoder.bullet(buf, 0, -1, 2, 3, "", "x", ""))).isEqualTo(ErrorCode.INVALID_FIELD.code());
        int empty = FrameEncoder.bullet(buf, 0, 1, 2, 3, "", "x", "");
        buf.putShort(30, (short) 0, Protocol.ORDER); // content length 0, then the colour's length prefix
        buf.putShort(32, (short) 0, Protocol.ORDER);
        assertThat(nodeDecode(empty - 1)).isEqualTo(ErrorCode.INVALID_FIELD.code());
        assertThat(nodeDecode(FrameEncoder.roomRequest(buf, 0, FrameType.CREATE_ROOM, 1, 2, 0)))
                .isEqualTo(ErrorCode.INVALID_FIELD.code());
        assertThat(nodeDecode(FrameEncoder.join(buf, 0, 1, 2, 3, 0x02, 0, 0, 0))).isEqualTo(ErrorCode.INVALID_FIELD.code());
        assertThat(nodeDecode(FrameEncoder.join(buf, 0, 1, 2, 3, 0, 5, 0, 0))).isEqualTo(ErrorCode.INVALID_FIELD.code());
        assertThat(nodeDecode(FrameEncoder.join(buf, 0, 1, 2, 3, 0, 0, 0, 10_001))).isEqualTo(ErrorCode.INVALID_FIELD.code());
        assertThat(nodeDecode(FrameEncoder.auth(buf, 0, 1, "has space"))).isEqualTo(ErrorCode.INVALID_FIELD.code());
        assertThat(nodeDecode(FrameEncoder.auth(buf, 0, 1, ""))).isEqualTo(ErrorCode.INVALID_FIELD.code());
        assertThat(client.decode(buf, 0, FrameEncoder.ack(buf, 0, 1, 2, 3, 0, 0))).isEqualTo(ErrorCode.INVALID_FIELD.code());
        assertThat(client.decode(buf, 0, FrameEncoder.ack(buf, 0, 1, 2, 3, 4, 2))).isEqualTo(ErrorCode.INVALID_FIELD.code());
        assertThat(client.decode(buf, 0, FrameEncoder.redirect(buf, 0, 1, 3, 0, "x"))).isEqualTo(ErrorCode.INVALID_FIELD.code());
        assertThat(client.decode(buf, 0, FrameEncoder.joined(buf, 0, 1, 2, 3, 0, 1))).isEqualTo(ErrorCode.INVALID_FIELD.code());
        assertThat(client.decode(buf, 0, FrameEncoder.joined(buf, 0, 1, 2, 0, 0, 0))).isEqualTo(ErrorCode.INVALID_FIELD.code());
        assertThat(client.decode(buf, 0, FrameEncoder.roomInfo(buf, 0, 1, 2, 0x08, 0, 0, 0, ""))).isEqualTo(ErrorCode.INVALID_FIELD.code());
        assertThat(client.decode(buf, 0, FrameEncoder.error(buf, 0, 0, 0, 0, 0, 0, ""))).isEqualTo(ErrorCode.INVALID_FIELD.code());
        assertThat(client.decode(buf, 0, FrameEncoder.ranking(buf, 0, 1, 1, 2, new long[]{1, 2}, new long[]{1, 5})))
                .as("scores must not increase").isEqualTo(ErrorCode.INVALID_FIELD.code());
    }

    @Test
    void shouldRejectARankingCountOverTheLimit() {
        int n = FrameEncoder.ranking(buf, 0, 1, 1, 0, new long[0], new long[0]);
        buf.putByte(20, (byte) 101);
        assertThat(client.decode(buf, 0, n + 101 * 16)).isEqualTo(ErrorCode.BAD_COUNT.code());
    }

    @Test
    void perTypeDecoderShouldRejectAnotherType() {
        int n = FrameEncoder.ack(buf, 0, 1, 2, 3, 4, 0);
        assertThat(new BulletDecoder().wrap(buf, 0, n)).isEqualTo(ErrorCode.UNEXPECTED_TYPE.code());
        assertThat(new RoomRequestDecoder().wrap(buf, 0, n)).isEqualTo(ErrorCode.UNEXPECTED_TYPE.code());
    }
}
