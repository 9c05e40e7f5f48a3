package dev.danmaku.engine.it;

import dev.danmaku.codec.AckDecoder;
import dev.danmaku.codec.ErrorCode;
import dev.danmaku.codec.ErrorDecoder;
import dev.danmaku.codec.FrameDecoder;
import dev.danmaku.codec.FrameEncoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.JoinedDecoder;
import dev.danmaku.codec.Protocol;
import dev.danmaku.engine.Node;
import dev.danmaku.engine.auth.TokenVerifier;
import dev.danmaku.engine.config.NodeConfig;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every rejection reason provoked over a real socket and its ERROR checked; idempotent retry and
 * the duplicate window; resume after a disconnect (RELIABILITY scenarios 2, 4, 5, 9, 15, 17, 19, 20).
 */
@Timeout(60)
class AdmissionIT {
    private static final long ROOM = 42;
    private static final String SECRET = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path dir;
    private Node node;
    private final FrameDecoder d = FrameDecoder.forClient();

    @BeforeEach
    void start() throws Exception {
        node = Node.start(TestNode.config(dir)
                .set(NodeConfig.USER_RATE, 5).set(NodeConfig.USER_BURST, 5)
                .set(NodeConfig.IP_RATE, 100_000).set(NodeConfig.IP_BURST, 100_000)
                .set(NodeConfig.AUTH_SECRET, SECRET)
                .set(NodeConfig.MAX_CONNECTIONS_PER_IP, 20)
                .set(NodeConfig.MAX_ROOMS, 3)
                .set(NodeConfig.IDLE_TIMEOUT_MS, 1_500L)
                .set(NodeConfig.HANDSHAKE_TIMEOUT_MS, 800L)
                .set(NodeConfig.RANKING_INTERVAL_MS, 200L)
                .set(NodeConfig.ALLOWED_ORIGINS, "https://live.example.com")
                .build());
        try (WsTestClient c = client()) {
            c.roomRequest(FrameType.CREATE_ROOM, ROOM, 1);
            c.await(FrameType.ROOM_INFO, d, 5000);
            assertThat(d.roomInfo().created()).isTrue();
        }
    }

    @AfterEach
    void stop() {
        node.close();
    }

    private WsTestClient client() throws Exception {
        return WsTestClient.connect(node.wsPort());
    }

    private ErrorDecoder expectError(WsTestClient c, ErrorCode code) throws Exception {
        c.await(FrameType.ERROR, d, 5000);
        assertThat(ErrorCode.of(d.error().code())).isEqualTo(code);
        return d.error();
    }

    private AckDecoder expectAck(WsTestClient c) throws Exception {
        c.await(FrameType.ACK, d, 5000);
        return d.ack();
    }

    @Test
    void aRetriedBulletShouldGetItsOriginalAckAndBeStoredOnce() throws Exception {
        try (WsTestClient viewer = client(); WsTestClient c = client()) {
            viewer.join(ROOM, 0);
            viewer.await(FrameType.JOINED, d, 5000);
            long ts = c.nextTimestamp();
            c.bullet(ts, ROOM, 7, "n", "hello once", "");
            AckDecoder first = expectAck(c);
            long seq = first.sequence();
            assertThat(first.retry()).isFalse();
            c.bullet(ts, ROOM, 7, "n", "hello once", "");
            AckDecoder again = expectAck(c);
            assertThat(again.retry()).isTrue();
            assertThat(again.sequence()).isEqualTo(seq);
            // The same content with a new timestamp inside the window is a DUPLICATE.
            c.bullet(ROOM, 7, "n", "hello once", "");
            ErrorDecoder e = expectError(c, ErrorCode.DUPLICATE);
            assertThat(e.refType()).isEqualTo(FrameType.BULLET.code());
            Viewer v = new Viewer(viewer);
            v.readUntil(1, 2000);
            v.drain(300);
            assertThat(v.sequences()).containsExactly(seq);
        }
    }

    @Test
    void eachFilterShouldAnswerItsOwnCode() throws Exception {
        try (WsTestClient c = client()) {
            c.bullet(1_000, ROOM, 8, "n", "old", "");
            expectError(c, ErrorCode.TIMESTAMP_SKEW);
            c.bullet(ROOM, 8, "n", "代 练 上分", "");
            expectError(c, ErrorCode.SENSITIVE_WORD);
            c.bullet(ROOM, 8, "n", "加我 qq 12345678", "");
            expectError(c, ErrorCode.LEVEL_RESTRICTED);
            c.bullet(ROOM + 1, 8, "n", "to nowhere", "");
            expectError(c, ErrorCode.ROOM_NOT_FOUND);
            c.join(ROOM + 1, 0);
            expectError(c, ErrorCode.ROOM_NOT_FOUND);
        }
    }

    @Test
    void maskWordsShouldBeDeliveredMasked() throws Exception {
        try (WsTestClient viewer = client(); WsTestClient c = client()) {
            Viewer v = new Viewer(viewer);
            viewer.join(ROOM, 0);
            v.readUntil(0, 0);
            viewer.await(FrameType.JOINED, d, 5000);
            c.bullet(ROOM, 13, "n", "你是 傻.逼 吧", "");
            expectAck(c);
            assertThat(v.readUntil(1, 5000)).isEqualTo(1);
            assertThat(v.bullets.get(0).content()).isEqualTo("你是 *** 吧");
        }
    }

    @Test
    void rateLimitShouldAcceptExactlyTheBurstAndGiveARetryAfter() throws Exception {
        try (WsTestClient c = client()) {
            for (int i = 0; i < 8; i++) {
                c.bullet(ROOM, 10, "n", "burst " + i, "");
            }
            int acks = 0;
            int limited = 0;
            for (int i = 0; i < 8; i++) {
                byte[] f = c.poll(5000);
                assertThat(d.decode(new UnsafeBuffer(f), 0, f.length)).isEqualTo(Protocol.OK);
                if (d.type() == FrameType.ACK) {
                    acks++;
                } else {
                    assertThat(ErrorCode.of(d.error().code())).isEqualTo(ErrorCode.RATE_LIMITED);
                    assertThat(d.error().retryAfterMs()).isBetween(1L, 1000L);
                    limited++;
                }
            }
            // Burst 5 at 5/s: 8 back-to-back sends admit 5, plus at most 1 if 200 ms passed meanwhile.
            assertThat(acks).isBetween(5, 6);
            assertThat(acks + limited).isEqualTo(8);
        }
    }

    @Test
    void aViewerShouldResumeExactlyTheBulletsItMissed() throws Exception {
        try (WsTestClient sender = client()) {
            long epoch;
            long last;
            try (WsTestClient viewer = client()) {
                viewer.join(ROOM, 0);
                viewer.await(FrameType.JOINED, d, 5000);
                epoch = d.joined().epoch();
                for (int i = 0; i < 3; i++) {
                    sender.bullet(ROOM, 11, "n", "before " + i, "");
                    expectAck(sender);
                }
                Viewer v = new Viewer(viewer);
                assertThat(v.readUntil(3, 5000)).isEqualTo(3);
                last = v.sequences().get(2);
            }
            for (int i = 0; i < 4; i++) {
                Thread.sleep(210); // stay under 5/s
                sender.bullet(ROOM, 11, "n", "missed " + i, "");
                expectAck(sender);
            }
            try (WsTestClient back = client()) {
                Viewer v = new Viewer(back);
                back.resume(ROOM, epoch, last);
                assertThat(v.readUntil(4, 5000)).isEqualTo(4);
                assertThat(v.joined.status()).isEqualTo(JoinedDecoder.STATUS_RECOVERED);
                assertThat(v.joined.nextSeq()).isEqualTo(last + 1);
                assertThat(v.sequences()).containsExactly(last + 1, last + 2, last + 3, last + 4);
                Thread.sleep(210);
                sender.bullet(ROOM, 11, "n", "live", "");
                expectAck(sender);
                assertThat(v.readUntil(5, 5000)).isEqualTo(5);
                assertThat(v.sequences().get(4)).isEqualTo(last + 5);
            }
            try (WsTestClient wrongEpoch = client()) {
                Viewer v = new Viewer(wrongEpoch);
                wrongEpoch.resume(ROOM, epoch + 7, 1);
                v.readUntil(0, 0);
                wrongEpoch.await(FrameType.JOINED, d, 5000);
                assertThat(d.joined().status()).as("another epoch cannot be resumed")
                        .isEqualTo(JoinedDecoder.STATUS_NOT_RECOVERED);
            }
        }
    }

    @Test
    void protocolViolationsShouldBeAnsweredAndTheConnectionClosed() throws Exception {
        try (WsTestClient c = client()) {
            byte[] bad = new byte[40];
            bad[0] = (byte) 0xAB;
            bad[1] = (byte) 0xCE;
            c.send(bad);
            expectError(c, ErrorCode.BAD_MAGIC);
            assertThat(c.closed().get(5, TimeUnit.SECONDS)).isNotNull();
        }
        try (WsTestClient c = client()) {
            c.sendText("hello");
            expectError(c, ErrorCode.UNEXPECTED_TYPE);
            assertThat(c.closed().get(5, TimeUnit.SECONDS)).isNotNull();
        }
        try (WsTestClient c = client()) {
            UnsafeBuffer b = new UnsafeBuffer(new byte[64]);
            int n = FrameEncoder.ack(b, 0, 1, ROOM, 1, 1, 0);
            byte[] ack = new byte[n];
            b.getBytes(0, ack);
            c.send(ack);
            expectError(c, ErrorCode.UNEXPECTED_TYPE);
        }
        try (WsTestClient c = client()) {
            // Over the ring slot (1 KiB) but under the WebSocket limit: FRAME_TOO_LARGE, then closed.
            byte[] big = new byte[2000];
            big[0] = (byte) 0xAB;
            big[1] = (byte) 0xCD;
            big[2] = 1;
            big[3] = 1;
            c.send(big);
            expectError(c, ErrorCode.FRAME_TOO_LARGE);
            assertThat(c.closed().get(5, TimeUnit.SECONDS)).isNotNull();
        }
        try (WsTestClient c = client()) {
            // Over the WebSocket frame limit: closed with 1009 before the payload is buffered.
            c.send(new byte[5000]);
            assertThat(c.closed().get(5, TimeUnit.SECONDS)).isIn(1009, -1);
        }
    }

    @Test
    void tokensShouldBeCheckedAndTheirUserUsed() throws Exception {
        TokenVerifier issuer = new TokenVerifier(SECRET, "danmaku");
        long exp = System.currentTimeMillis() / 1000 + 600;
        try (WsTestClient c = client()) {
            c.auth(issuer.issue(555, 5, exp));
            c.await(FrameType.AUTH_OK, d, 5000);
            assertThat(d.authOk().userId()).isEqualTo(555);
            assertThat(d.authOk().level()).isEqualTo(5);
            // The token's user wins over the frame's, and level 5 may post links.
            try (WsTestClient viewer = client()) {
                Viewer v = new Viewer(viewer);
                viewer.join(ROOM, 0);
                v.readUntil(0, 0);
                viewer.await(FrameType.JOINED, d, 5000);
                c.bullet(ROOM, 1, "n", "see www.example.com", "");
                expectAck(c);
                assertThat(v.readUntil(1, 5000)).isEqualTo(1);
                assertThat(v.bullets.get(0).user()).isEqualTo(555);
            }
        }
        String[] bad = {
                issuer.issue(555, 0, System.currentTimeMillis() / 1000 - 5),
                new TokenVerifier("another-secret-another-secret-xx", "danmaku").issue(555, 0, exp),
                new TokenVerifier(SECRET, "other-audience").issue(555, 0, exp),
                unsigned(),
                "not.a.token"};
        ErrorCode[] expected = {ErrorCode.TOKEN_EXPIRED, ErrorCode.AUTH_FAILED, ErrorCode.AUTH_FAILED,
                ErrorCode.AUTH_FAILED, ErrorCode.AUTH_FAILED};
        for (int i = 0; i < bad.length; i++) {
            try (WsTestClient c = client()) {
                c.auth(bad[i]);
                expectError(c, expected[i]);
            }
        }
    }

    @Test
    void whenAuthIsRequiredBulletsWithoutATokenShouldBeRefusedButViewingStaysOpen() throws Exception {
        try (Node strict = Node.start(TestNode.config(dir.resolve("strict"))
                .set(NodeConfig.AUTH_REQUIRED, true).set(NodeConfig.AUTH_SECRET, SECRET).build());
             WsTestClient c = WsTestClient.connect(strict.wsPort())) {
            c.roomRequest(FrameType.CREATE_ROOM, ROOM, 1);
            c.await(FrameType.ROOM_INFO, d, 5000);
            c.join(ROOM, 0);
            c.await(FrameType.JOINED, d, 5000);
            c.bullet(ROOM, 3, "n", "anonymous", "");
            expectError(c, ErrorCode.UNAUTHENTICATED);
            c.auth(new TokenVerifier(SECRET, "danmaku").issue(3, 1, System.currentTimeMillis() / 1000 + 60));
            c.await(FrameType.AUTH_OK, d, 5000);
            c.bullet(ROOM, 3, "n", "signed", "");
            expectAck(c);
        }
    }

    private static String unsigned() {
        Base64.Encoder e = Base64.getUrlEncoder().withoutPadding();
        return e.encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + e.encodeToString(("{\"sub\":\"1\",\"aud\":\"danmaku\",\"exp\":" + (System.currentTimeMillis() / 1000 + 60)
                + "}").getBytes(StandardCharsets.UTF_8)) + ".x";
    }

    @Test
    void roomLimitShouldAnswerTooManyRooms() throws Exception {
        try (WsTestClient c = client()) {
            c.roomRequest(FrameType.CREATE_ROOM, 100, 1);
            c.await(FrameType.ROOM_INFO, d, 5000);
            c.roomRequest(FrameType.CREATE_ROOM, 101, 1);
            c.await(FrameType.ROOM_INFO, d, 5000);
            c.roomRequest(FrameType.CREATE_ROOM, 102, 1);
            expectError(c, ErrorCode.TOO_MANY_ROOMS);
            c.roomRequest(FrameType.CREATE_ROOM, 100, 1);
            c.await(FrameType.ROOM_INFO, d, 5000);
            assertThat(d.roomInfo().exists()).isTrue();
            assertThat(d.roomInfo().created()).as("creating twice is idempotent").isFalse();
        }
    }

    @Test
    void idleConnectionsShouldBeClosedWithIdleTimeout() throws Exception {
        try (WsTestClient c = client()) {
            expectError(c, ErrorCode.IDLE_TIMEOUT);
            assertThat(c.closed().get(5, TimeUnit.SECONDS)).isNotNull();
        }
    }

    @Test
    void heartbeatsShouldBeAnsweredAndKeepAConnectionAlive() throws Exception {
        try (WsTestClient c = client()) {
            UnsafeBuffer b = new UnsafeBuffer(new byte[64]);
            for (int i = 0; i < 4; i++) {
                int n = FrameEncoder.roomRequest(b, 0, FrameType.HEARTBEAT, c.nextTimestamp(), 0, 0);
                byte[] hb = new byte[n];
                b.getBytes(0, hb);
                c.send(hb);
                c.await(FrameType.HEARTBEAT, d, 2000);
                Thread.sleep(600);
            }
            assertThat(c.closed()).isNotDone();
        }
    }

    @Test
    void connectionsOverThePerAddressLimitShouldBeRefused() throws Exception {
        java.util.List<WsTestClient> open = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                open.add(client());
            }
            assertThatThrownBy(this::client).as("the 21st connection from 127.0.0.1").isNotNull();
            // Another source address is unaffected (a raw upgrade from 127.0.0.2).
            try (java.net.Socket s = new java.net.Socket()) {
                s.bind(new java.net.InetSocketAddress("127.0.0.2", 0));
                s.connect(new java.net.InetSocketAddress("127.0.0.1", node.wsPort()), 5000);
                s.getOutputStream().write(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                        + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                String status = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(),
                        StandardCharsets.US_ASCII)).readLine();
                assertThat(status).startsWith("HTTP/1.1 101");
            }
        } finally {
            open.forEach(WsTestClient::close);
        }
    }

    private static String rawUpgrade(int port, String extraHeaders) throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\n" + extraHeaders + "\r\n").getBytes(StandardCharsets.US_ASCII));
            return new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine();
        }
    }

    @Test
    void upgradesFromADisallowedOriginShouldGet403() throws Exception {
        assertThat(rawUpgrade(node.wsPort(), "Origin: https://evil.example\r\n")).startsWith("HTTP/1.1 403");
        assertThat(rawUpgrade(node.wsPort(), "Origin: https://live.example.com\r\n")).startsWith("HTTP/1.1 101");
        assertThat(rawUpgrade(node.wsPort(), "")).as("non-browser clients send no Origin").startsWith("HTTP/1.1 101");
    }

    @Test
    void aConnectionThatNeverUpgradesShouldBeClosedAtTheHandshakeDeadline() throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", node.wsPort())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write("GET /ws HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            assertThat(s.getInputStream().read()).as("closed without a response").isEqualTo(-1);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(300L, 4000L);
        }
    }

    @Test
    void bansFromTheAdminApiShouldApplyAtOnce() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + node.adminPort() + "/bans";
        try (WsTestClient c = client()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"user\":66}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            c.bullet(ROOM, 66, "n", "banned user", "");
            expectError(c, ErrorCode.BANNED);
            c.bullet(ROOM, 67, "n", "another user", "");
            expectAck(c);
            http.send(HttpRequest.newBuilder(URI.create(base + "?user=66")).DELETE().build(),
                    HttpResponse.BodyHandlers.ofString());
            c.bullet(ROOM, 66, "n", "unbanned", "");
            expectAck(c);
            http.send(HttpRequest.newBuilder(URI.create(base))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"ip\":\"127.0.0.1\",\"durationMs\":60000}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base)).build(), HttpResponse.BodyHandlers.ofString())
                    .body()).contains("\"ip\":\"127.0.0.1\"");
            c.bullet(ROOM, 68, "n", "from a banned address", "");
            expectError(c, ErrorCode.BANNED);
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"nope\":1}")).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(400);
        }
    }

    @Test
    void viewersShouldReceiveTheRoomsLeaderboard() throws Exception {
        try (WsTestClient viewer = client(); WsTestClient c = client()) {
            viewer.join(ROOM, 0);
            viewer.await(FrameType.JOINED, d, 5000);
            c.bullet(ROOM, 21, "n", "one", "");
            expectAck(c);
            c.bullet(ROOM, 21, "n", "two", "");
            expectAck(c);
            c.bullet(ROOM, 22, "n", "three", "");
            expectAck(c);
            viewer.await(FrameType.RANKING, d, 3000);
            if (d.ranking().count() < 2) {
                viewer.await(FrameType.RANKING, d, 3000);
            }
            assertThat(d.ranking().roomId()).isEqualTo(ROOM);
            assertThat(d.ranking().userId(0)).isEqualTo(21);
            assertThat(d.ranking().score(0)).isEqualTo(2);
            assertThat(d.ranking().userId(1)).isEqualTo(22);
        }
    }

    @Test
    void adminApiShouldServeHealthMetricsAndRooms() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + node.adminPort();
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"up\"");
        try (WsTestClient c = client()) {
            c.bullet(ROOM, 12, "n", "counted", "");
            expectAck(c);
        }
        String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("danmaku_bullets_accepted_total 1.0", "danmaku_ack_latency_seconds_bucket",
                "danmaku_ring_remaining_capacity", "danmaku_connections_open", "jvm_memory_used_bytes",
                "danmaku_dedup_evicted_live_total 0.0");
        Thread.sleep(1200); // the room snapshot is published once a second
        String rooms = http.send(HttpRequest.newBuilder(URI.create(base + "/rooms")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(rooms).contains("\"room\":\"42\"", "\"lastSeq\":1");
        HttpResponse<String> one = http.send(HttpRequest.newBuilder(URI.create(base + "/rooms/42")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(one.body()).contains("\"top\":[{\"user\":\"12\",\"score\":1}]");
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/rooms/77")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
    }
}
