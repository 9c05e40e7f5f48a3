package dev.danmaku.engine.it;

import dev.danmaku.codec.FrameEncoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.engine.Node;
import dev.danmaku.engine.config.NodeConfig;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RELIABILITY scenarios 21/22 from the network: while a normal sender and viewer exchange bullets,
 * another connection sends 5,000 random and mutated frames (bit flips, truncations, extensions,
 * random bytes, oversized and text frames), reconnecting whenever the node closes it. The node must
 * stay healthy, the normal pair must see every bullet gapless, and the parse errors must be counted.
 */
class HostileClientIT {
    private static final long ROOM = 2121;
    private static final int FRAMES = 5_000;

    @Test
    @Timeout(60)
    void shouldSurviveRandomAndMutatedFramesWhileNormalClientsKeepWorking(@TempDir Path dir) throws Exception {
        SplittableRandom random = ItSupport.random("HostileClientIT");
        NodeConfig config = TestNode.config(dir)
                .set(NodeConfig.USER_RATE, 100_000).set(NodeConfig.USER_BURST, 100_000)
                .set(NodeConfig.IP_RATE, 10_000_000).set(NodeConfig.IP_BURST, 10_000_000)
                .build();
        HttpClient http = HttpClient.newHttpClient();
        WsTestClient senderClient = null;
        WsTestClient viewerClient = null;
        DeliveryChecker viewer = null;
        try (Node node = Node.start(config)) {
            URI uri = URI.create("ws://127.0.0.1:" + node.wsPort() + "/ws");
            viewerClient = WsTestClient.connect(uri, true);
            ItSupport.createRoom(viewerClient, ROOM);
            viewerClient.join(ROOM, 0);
            viewer = new DeliveryChecker(viewerClient, ROOM, "normal").start();
            senderClient = WsTestClient.connect(uri, true);
            double parseBefore = ChildNode.metric(ChildNode.metricsText(http, node.adminPort()), "danmaku_parse_errors");

            Sender sender = new Sender(senderClient, ROOM, 3001, 2, Long.MAX_VALUE, n -> "normal-" + n).start();
            long t0 = System.currentTimeMillis();
            long[] viewerClosedAt = {-1};
            viewerClient.closed().thenRun(() -> viewerClosedAt[0] = System.currentTimeMillis() - t0);
            Stats stats = fuzz(node.wsPort(), random.split());
            long fuzzMs = System.currentTimeMillis() - t0;
            sender.stop();
            sender.join(10_000);

            String metrics = ChildNode.metricsText(http, node.adminPort());
            double parseAfter = ChildNode.metric(metrics, "danmaku_parse_errors");
            System.err.printf("HostileClientIT: %d hostile frames over %d connections in %d ms (%d refused upgrades); "
                            + "parse errors %.0f -> %.0f, stage failures %.0f; normal sender: %d ACKed, %d refused%n",
                    stats.frames, stats.connections, fuzzMs, stats.refusedUpgrades, parseBefore, parseAfter,
                    ChildNode.metric(metrics, "danmaku_stage_failures"), sender.acks.size(), sender.errors.size());

            assertEquals(200, ChildNode.healthStatus(http, node.adminPort()), "/health after the fuzzing");
            assertTrue(parseAfter - parseBefore >= 100, "parse errors were counted: " + (parseAfter - parseBefore));
            assertEquals(0.0, ChildNode.metric(metrics, "danmaku_stage_failures"), "no stage threw on hostile input");
            assertTrue(sender.errors.isEmpty(), "the normal sender was refused: " + sender.errors.values());
            assertEquals(null, sender.failure(), "the normal sender's connection failed");
            assertTrue(sender.acks.size() > 50, "the normal sender kept going: " + sender.acks.size());

            // The normal viewer saw the room gapless (mutated bullets that happened to be valid for this
            // room are part of it), and every normal ACK at its sequence.
            long maxAcked = sender.acks.values().stream().mapToLong(Sender.Ack::seq).max().orElse(0);
            boolean reached = ItSupport.awaitSeq(List.of(viewer), maxAcked, 10_000);
            viewer.stop();
            String after = ChildNode.metricsText(http, node.adminPort());
            assertTrue(reached, "viewer stopped at " + viewer.lastSeq() + " of " + maxAcked + ", problems "
                    + viewer.problems + ", errors " + viewer.errorCodes + ", closed " + viewerClient.closed().getNow(null) + " at " + viewerClosedAt[0] + " ms (fuzzing ended at "
                    + fuzzMs + " ms)"
                    + "; evicted " + ChildNode.metric(after, "danmaku_viewers_evicted_slow") + ", skipped "
                    + ChildNode.metric(after, "danmaku_egress_skipped") + ", dropped "
                    + ChildNode.metric(after, "danmaku_egress_dropped") + ", delivered "
                    + ChildNode.metric(after, "danmaku_bullets_delivered"));
            assertTrue(viewer.problems.isEmpty(), "viewer: " + viewer.problems);
            assertEquals(1, viewer.firstSeq());
            for (var a : sender.acks.entrySet()) {
                assertEquals(3001, viewer.userAt(a.getValue().seq()));
                assertEquals(a.getKey(), viewer.timestampAt(a.getValue().seq()));
            }
            // A new connection still works end to end.
            try (WsTestClient probe = WsTestClient.connect(uri, true)) {
                ItSupport.createRoom(probe, ROOM + 1);
            }
        } finally {
            if (viewer != null) {
                viewer.stop();
            }
            if (senderClient != null) {
                senderClient.close();
            }
            if (viewerClient != null) {
                viewerClient.close();
            }
        }
    }

    private record Stats(int frames, int connections, int refusedUpgrades) {
    }

    private static Stats fuzz(int port, SplittableRandom r) throws Exception {
        UnsafeBuffer scratch = new UnsafeBuffer(new byte[4096]);
        RawWsClient c = null;
        int connections = 0;
        int refused = 0;
        int sent = 0;
        try {
            while (sent < FRAMES) {
                if (c == null || c.closedByPeer()) {
                    if (c != null) {
                        c.close();
                    }
                    try {
                        c = RawWsClient.connect(port, true, 0, r.split());
                        connections++;
                    } catch (IOException e) {
                        refused++;
                        c = null;
                        Thread.sleep(5);
                        if (refused > 1000) {
                            throw new AssertionError("node keeps refusing upgrades: " + e);
                        }
                        continue;
                    }
                }
                int kind = r.nextInt(100);
                byte[] payload = frame(r, scratch, kind);
                try {
                    c.send(kind < 4 ? RawWsClient.OP_TEXT : RawWsClient.OP_BINARY, payload);
                    sent++;
                    // Give the node time to act on the frame (and close), so that most frames are
                    // processed rather than sent into a connection already being closed.
                    LockSupport.parkNanos(300_000);
                } catch (IOException e) {
                    c.close();
                    c = null;
                }
            }
        } finally {
            if (c != null) {
                c.close();
            }
        }
        return new Stats(sent, connections, refused);
    }

    /** One hostile payload; {@code kind} picks the family (0-3 are sent as text frames). */
    private static byte[] frame(SplittableRandom r, UnsafeBuffer b, int kind) {
        if (kind < 4) {
            return ("hello " + r.nextLong()).getBytes(StandardCharsets.UTF_8);
        }
        if (kind < 8) {
            byte[] big = new byte[5000];
            r.nextBytes(big);
            return big;
        }
        if (kind < 18) {
            byte[] junk = new byte[r.nextInt(200)];
            r.nextBytes(junk);
            return junk;
        }
        byte[] valid = valid(r, b);
        if (kind < 25) {
            return valid; // some valid traffic keeps connections alive longer
        }
        int m = r.nextInt(4);
        if (m == 0) {
            int flips = 1 + r.nextInt(8);
            for (int i = 0; i < flips; i++) {
                int bit = r.nextInt(valid.length * 8);
                valid[bit >> 3] ^= (byte) (1 << (bit & 7));
            }
            return valid;
        }
        if (m == 1) {
            return Arrays.copyOf(valid, r.nextInt(valid.length));
        }
        if (m == 2) {
            byte[] longer = Arrays.copyOf(valid, valid.length + 1 + r.nextInt(64));
            for (int i = valid.length; i < longer.length; i++) {
                longer[i] = (byte) r.nextInt(256);
            }
            return longer;
        }
        // Overwrite a random run (lengths, types, flags).
        int at = r.nextInt(valid.length);
        int len = Math.min(valid.length - at, 1 + r.nextInt(4));
        for (int i = 0; i < len; i++) {
            valid[at + i] = (byte) r.nextInt(256);
        }
        return valid;
    }

    /** A valid frame from the codec: any client type, and some node-to-client types. */
    private static byte[] valid(SplittableRandom r, UnsafeBuffer b) {
        long ts = System.currentTimeMillis() + r.nextInt(2000) - 1000;
        long room = r.nextInt(4) == 0 ? ROOM : 1 + r.nextInt(50);
        long user = 5000 + r.nextInt(100);
        int n = switch (r.nextInt(10)) {
            case 0, 1, 2 -> FrameEncoder.bullet(b, 0, ts, user, room, "h" + r.nextInt(1000),
                    "hostile " + r.nextLong(), r.nextBoolean() ? "" : "red");
            case 3 -> FrameEncoder.roomRequest(b, 0, FrameType.HEARTBEAT, ts, user, 0);
            case 4 -> FrameEncoder.roomRequest(b, 0, FrameType.CREATE_ROOM, ts, user, room);
            case 5 -> FrameEncoder.roomRequest(b, 0, FrameType.CHECK_ROOM, ts, user, room);
            case 6 -> FrameEncoder.join(b, 0, ts, user, room, r.nextInt(2), r.nextInt(3), r.nextInt(100),
                    r.nextInt(100));
            case 7 -> FrameEncoder.roomRequest(b, 0, FrameType.LEAVE, ts, user, room);
            case 8 -> FrameEncoder.auth(b, 0, ts, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2ln");
            default -> FrameEncoder.ack(b, 0, ts, room, 1, 1 + r.nextInt(100), 0);
        };
        byte[] out = new byte[n];
        b.getBytes(0, out);
        return out;
    }
}
