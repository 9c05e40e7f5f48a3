package dev.danmaku.codec;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Every frame type: encode with {@link FrameEncoder}, decode with {@link FrameDecoder}, same fields back. */
class FrameRoundTripTest {
    private final UnsafeBuffer buf = new UnsafeBuffer(new byte[Protocol.MAX_SERVER_FRAME_LENGTH]);
    private final FrameDecoder d = FrameDecoder.forClient();

    @AfterEach
    void close() {
        d.close();
    }

    private void decode(int length, FrameType expected) {
        assertThat(d.decode(buf, 0, length)).isEqualTo(Protocol.OK);
        assertThat(d.type()).isEqualTo(expected);
    }

    @Test
    void bulletShouldRoundTripWithMaximalFieldsAndUnsignedIds() {
        String name = "名".repeat(21); // 63 bytes
        String content = "🎉".repeat(128); // 512 bytes
        String color = "#".repeat(32);
        int n = FrameEncoder.bullet(buf, 0, Long.MAX_VALUE, -1L, -2L, name, content, color);
        decode(n, FrameType.BULLET);
        BulletDecoder b = d.bullet();
        assertThat(b.timestamp()).isEqualTo(Long.MAX_VALUE);
        assertThat(Long.toUnsignedString(b.userId())).isEqualTo("18446744073709551615");
        assertThat(b.roomId()).isEqualTo(-2L);
        assertThat(b.name()).isEqualTo(name);
        assertThat(b.content()).isEqualTo(content);
        assertThat(b.color()).isEqualTo(color);
        assertThat(b.frameLength()).isEqualTo(n).isEqualTo(34 + 63 + 512 + 32);
    }

    @Test
    void bulletShouldAllowEmptyNameAndColour() {
        int n = FrameEncoder.bullet(buf, 0, 1, 2, 3, "", "x", "");
        decode(n, FrameType.BULLET);
        assertThat(d.bullet().nameLength()).isZero();
        assertThat(d.bullet().colorLength()).isZero();
        assertThat(n).isEqualTo(BulletDecoder.MIN_LENGTH);
    }

    @Test
    void roomRequestsShouldRoundTrip() {
        for (FrameType t : new FrameType[]{FrameType.HEARTBEAT, FrameType.CREATE_ROOM, FrameType.CHECK_ROOM,
                FrameType.LEAVE}) {
            int n = FrameEncoder.roomRequest(buf, 0, t, 5, 6, 7);
            decode(n, t);
            assertThat(d.roomRequest().timestamp()).isEqualTo(5);
            assertThat(d.roomRequest().userId()).isEqualTo(6);
            assertThat(d.roomRequest().roomId()).isEqualTo(7);
        }
    }

    @Test
    void joinShouldRoundTrip() {
        int n = FrameEncoder.join(buf, 0, 1, 2, 3, JoinDecoder.FLAG_RESUME, 0xFFFF_FFFFL, 99, 0);
        decode(n, FrameType.JOIN);
        JoinDecoder j = d.join();
        assertThat(j.resume()).isTrue();
        assertThat(j.epoch()).isEqualTo(0xFFFF_FFFFL);
        assertThat(j.lastSequence()).isEqualTo(99);
        n = FrameEncoder.join(buf, 0, 1, 2, 3, 0, 0, 0, Protocol.MAX_JOIN_HISTORY);
        decode(n, FrameType.JOIN);
        assertThat(d.join().history()).isEqualTo(10_000);
        assertThat(d.join().resume()).isFalse();
    }

    @Test
    void authShouldRoundTrip() {
        String token = "a".repeat(Protocol.MAX_TOKEN_LENGTH);
        int n = FrameEncoder.auth(buf, 0, 9, token);
        decode(n, FrameType.AUTH);
        assertThat(d.auth().token()).isEqualTo(token);
        assertThat(d.auth().timestamp()).isEqualTo(9);
    }

    @Test
    void ackShouldRoundTrip() {
        int n = FrameEncoder.ack(buf, 0, 11, 12, 13, 14, AckDecoder.FLAG_RETRY);
        decode(n, FrameType.ACK);
        AckDecoder a = d.ack();
        assertThat(new long[]{a.timestamp(), a.roomId(), a.epoch(), a.sequence()}).containsExactly(11, 12, 13, 14);
        assertThat(a.retry()).isTrue();
    }

    @Test
    void errorShouldRoundTripEveryCode() {
        for (ErrorCode code : ErrorCode.values()) {
            int n = FrameEncoder.error(buf, 0, code, FrameType.BULLET.code(), 77, 88, 1000);
            decode(n, FrameType.ERROR);
            ErrorDecoder e = d.error();
            assertThat(ErrorCode.of(e.code())).isEqualTo(code);
            assertThat(e.refType()).isEqualTo(FrameType.BULLET.code());
            assertThat(e.refTimestamp()).isEqualTo(77);
            assertThat(e.roomId()).isEqualTo(88);
            assertThat(e.retryAfterMs()).isEqualTo(1000);
            assertThat(e.reason()).isEqualTo(code.message());
        }
    }

    @Test
    void redirectShouldRoundTripBothKinds() {
        int n = FrameEncoder.redirect(buf, 0, 5, RedirectDecoder.KIND_MOVED, 6, "ws://10.0.0.2:7000/ws");
        decode(n, FrameType.REDIRECT);
        assertThat(d.redirect().kind()).isEqualTo(RedirectDecoder.KIND_MOVED);
        assertThat(d.redirect().epoch()).isEqualTo(6);
        assertThat(d.redirect().address()).isEqualTo("ws://10.0.0.2:7000/ws");
        n = FrameEncoder.redirect(buf, 0, 5, RedirectDecoder.KIND_REDIRECT, 0, "x");
        decode(n, FrameType.REDIRECT);
        assertThat(d.redirect().kind()).isEqualTo(RedirectDecoder.KIND_REDIRECT);
    }

    @Test
    void roomInfoShouldRoundTrip() {
        int flags = RoomInfoDecoder.FLAG_EXISTS | RoomInfoDecoder.FLAG_LOCAL;
        int n = FrameEncoder.roomInfo(buf, 0, 1, 2, flags, 3_000_000, 4, 5, "ws://h:1/ws");
        decode(n, FrameType.ROOM_INFO);
        RoomInfoDecoder r = d.roomInfo();
        assertThat(r.exists()).isTrue();
        assertThat(r.created()).isFalse();
        assertThat(r.local()).isTrue();
        assertThat(r.viewers()).isEqualTo(3_000_000);
        assertThat(r.epoch()).isEqualTo(4);
        assertThat(r.lastSequence()).isEqualTo(5);
        assertThat(r.owner()).isEqualTo("ws://h:1/ws");
    }

    @Test
    void rankingShouldRoundTripUpToTheLimit() {
        long[] users = new long[Protocol.MAX_RANKING_COUNT];
        long[] scores = new long[Protocol.MAX_RANKING_COUNT];
        for (int i = 0; i < users.length; i++) {
            users[i] = i + 1;
            scores[i] = 1000 - i;
        }
        int n = FrameEncoder.ranking(buf, 0, 0, 5, users.length, users, scores);
        decode(n, FrameType.RANKING);
        RankingDecoder r = d.ranking();
        assertThat(r.count()).isEqualTo(100);
        assertThat(r.roomId()).isZero();
        assertThat(r.userId(99)).isEqualTo(100);
        assertThat(r.score(99)).isEqualTo(901);
        n = FrameEncoder.ranking(buf, 0, 3, 5, 0, users, scores);
        decode(n, FrameType.RANKING);
        assertThat(d.ranking().count()).isZero();
    }

    @Test
    void joinedShouldRoundTripEveryStatus() {
        for (int status = 0; status <= JoinedDecoder.STATUS_NOT_RECOVERED; status++) {
            int n = FrameEncoder.joined(buf, 0, 1, 2, status, 3, 4);
            decode(n, FrameType.JOINED);
            assertThat(d.joined().status()).isEqualTo(status);
            assertThat(d.joined().lastSequence()).isEqualTo(3);
            assertThat(d.joined().nextSequence()).isEqualTo(4);
        }
    }

    @Test
    void authOkShouldRoundTrip() {
        int n = FrameEncoder.authOk(buf, 0, 42, 255, 123);
        decode(n, FrameType.AUTH_OK);
        assertThat(d.authOk().userId()).isEqualTo(42);
        assertThat(d.authOk().level()).isEqualTo(255);
        assertThat(d.authOk().expiresAt()).isEqualTo(123);
    }

    @Test
    void encoderShouldRefuseStringsOverTheirLimit() {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> FrameEncoder.bullet(buf, 0, 1, 2, 3, "n", "x".repeat(513), ""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("512");
    }
}
