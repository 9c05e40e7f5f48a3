package dev.danmaku.engine.it;

import dev.danmaku.codec.FrameEncoder;
import dev.danmaku.engine.Node;
import dev.danmaku.engine.config.NodeConfig;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RELIABILITY scenario 7: one viewer of 50 stops reading. It must be closed as SLOW_CONSUMER within
 * the configured budget while the other 49 get every bullet, gapless and in the same order, and the
 * heap stays flat (the node buffers nothing unbounded for the slow one).
 */
class SlowViewerIT {
    private static final long ROOM = 7007;
    private static final int VIEWERS = 50;
    private static final int SENDERS = 4;
    private static final long SLOW_TIMEOUT_MS = 1000;

    @Test
    @Timeout(60)
    void shouldEvictTheViewerThatStopsReadingAndKeepTheOther49Gapless(@TempDir Path dir) throws Exception {
        SplittableRandom random = ItSupport.random("SlowViewerIT");
        NodeConfig config = TestNode.config(dir)
                .set(NodeConfig.WRITE_BUFFER_HIGH, 64 * 1024)
                .set(NodeConfig.SLOW_VIEWER_TIMEOUT_MS, SLOW_TIMEOUT_MS)
                .set(NodeConfig.USER_RATE, 100_000).set(NodeConfig.USER_BURST, 100_000)
                .set(NodeConfig.IP_RATE, 10_000_000).set(NodeConfig.IP_BURST, 10_000_000)
                .set(NodeConfig.WORDS_FILE, "").set(NodeConfig.LINK_MIN_LEVEL, 0)
                .build();
        List<WsTestClient> clients = new ArrayList<>();
        List<DeliveryChecker> checkers = new ArrayList<>();
        HttpClient http = HttpClient.newHttpClient();
        RawWsClient slow = null;
        try (Node node = Node.start(config)) {
            URI uri = URI.create("ws://127.0.0.1:" + node.wsPort() + "/ws");
            WsTestClient setup = track(clients, WsTestClient.connect(uri, true));
            ItSupport.createRoom(setup, ROOM);
            // A raw socket with a small receive buffer that is never read: the JDK client keeps
            // reading into its own memory, so it would never look slow to the node.
            slow = RawWsClient.connect(node.wsPort(), false, 16 * 1024, random.split());
            UnsafeBuffer scratch = new UnsafeBuffer(new byte[64]);
            int joinLength = FrameEncoder.join(scratch, 0, System.currentTimeMillis(), 0, ROOM, 0, 0, 0, 0);
            byte[] join = new byte[joinLength];
            scratch.getBytes(0, join);
            slow.send(RawWsClient.OP_BINARY, join);
            for (int i = 0; i < VIEWERS - 1; i++) {
                WsTestClient c = track(clients, WsTestClient.connect(uri, true));
                c.join(ROOM, 0);
                checkers.add(new DeliveryChecker(c, ROOM, "v" + i).start());
            }
            long joinDeadline = System.currentTimeMillis() + 10_000;
            for (DeliveryChecker c : checkers) {
                while (c.joined == null && System.currentTimeMillis() < joinDeadline) {
                    Thread.sleep(5);
                }
                assertTrue(c.joined != null, "all viewers joined");
            }
            long heapBefore = usedHeapAfterGc();

            // Large incompressible bullets: random letters (no digits, dots or words the filters act on).
            List<Sender> senders = new ArrayList<>();
            for (int i = 0; i < SENDERS; i++) {
                SplittableRandom r = random.split();
                senders.add(new Sender(track(clients, WsTestClient.connect(uri, true)), ROOM, 2000 + i, 4,
                        Long.MAX_VALUE, n -> letters(r, 400)).start());
            }
            long t0 = System.currentTimeMillis();
            long evictedAt = -1;
            // Send until the slow viewer is gone and a good volume has flowed past it, at most 20 s.
            while (System.currentTimeMillis() - t0 < 20_000) {
                Thread.sleep(50);
                if (evictedAt < 0 && ChildNode.metric(ChildNode.metricsText(http, node.adminPort()),
                        "danmaku_viewers_evicted_slow") >= 1) {
                    evictedAt = System.currentTimeMillis();
                }
                long acked = senders.stream().mapToLong(s -> s.acks.size()).sum();
                if (evictedAt >= 0 && acked >= 3000 && System.currentTimeMillis() - evictedAt > 1000) {
                    break;
                }
            }
            senders.forEach(Sender::stop);
            for (Sender s : senders) {
                s.join(10_000);
            }
            long sendMs = System.currentTimeMillis() - t0;
            long maxAcked = 0;
            int acked = 0;
            int unanswered = 0;
            for (Sender s : senders) {
                assertTrue(s.errors.isEmpty(), "sender " + s.user() + " refused: " + s.errors.values());
                assertEquals(null, s.failure(), "sender " + s.user() + " connection failed");
                acked += s.acks.size();
                unanswered += s.outstanding();
                for (Sender.Ack a : s.acks.values()) {
                    maxAcked = Math.max(maxAcked, a.seq());
                }
            }
            boolean allArrived = ItSupport.awaitSeq(checkers, maxAcked, 20_000);
            for (DeliveryChecker c : checkers) {
                c.stop();
            }
            String metrics = ChildNode.metricsText(http, node.adminPort());
            long heapAfter = usedHeapAfterGc();
            System.err.printf("SlowViewerIT: %d bullets of 400 B in %d ms; slow viewer evicted after %d ms; "
                            + "skipped %.0f, dropped %.0f, evicted %.0f; heap after GC %d -> %d MiB; %d unanswered at stop, "
                            + "last ACKed seq %d%n",
                    acked, sendMs, evictedAt < 0 ? -1 : evictedAt - t0,
                    ChildNode.metric(metrics, "danmaku_egress_skipped"), ChildNode.metric(metrics, "danmaku_egress_dropped"),
                    ChildNode.metric(metrics, "danmaku_viewers_evicted_slow"), heapBefore >> 20, heapAfter >> 20, unanswered, maxAcked);

            assertTrue(acked + unanswered >= maxAcked, "ACK sequences beyond what was sent");
            assertTrue(evictedAt >= 0, "the viewer that never reads was not evicted within 20 s");
            // Budget: loopback socket buffers (they grow to MiBs) fill in several seconds at this rate,
            // then the configured timeout.
            assertTrue(evictedAt - t0 <= 15_000 + SLOW_TIMEOUT_MS, "evicted only after " + (evictedAt - t0) + " ms");
            assertEquals(1.0, ChildNode.metric(metrics, "danmaku_viewers_evicted_slow"), "only the slow one");
            assertTrue(closedByNode(slow, 10_000), "the slow viewer's connection was closed by the node");
            assertEquals(0.0, ChildNode.metric(metrics, "danmaku_egress_dropped"), "no egress drops");
            assertTrue(allArrived, "not every reading viewer reached seq " + maxAcked);
            long hash = checkers.get(0).hash();
            for (DeliveryChecker c : checkers) {
                assertTrue(c.problems.isEmpty(), "viewer problems: " + c.problems);
                assertEquals(1, c.firstSeq());
                assertTrue(c.count() >= maxAcked, "gapless 1.." + maxAcked);
                assertEquals(hash, c.hash(), "every viewer sees the same bullets in the same order");
            }
            for (Sender s : senders) {
                for (var a : s.acks.entrySet()) {
                    DeliveryChecker c = checkers.get(0);
                    assertEquals(s.user(), c.userAt(a.getValue().seq()), "ACKed bullet at its sequence");
                    assertEquals(a.getKey(), c.timestampAt(a.getValue().seq()));
                }
            }
            // Generous: this JVM also runs 55 clients; what matters is no growth with the volume sent.
            assertTrue(heapAfter - heapBefore < 64L << 20, "heap grew by " + ((heapAfter - heapBefore) >> 20) + " MiB");
        } finally {
            for (DeliveryChecker c : checkers) {
                c.stop();
            }
            clients.forEach(WsTestClient::close);
            if (slow != null) {
                slow.close();
            }
        }
    }

    /** True if the node closed the socket: reading what is buffered ends in EOF or a reset. */
    private static boolean closedByNode(RawWsClient slow, long timeoutMs) {
        return slow.drainToEof(timeoutMs);
    }

    private static String letters(SplittableRandom r, int n) {
        char[] c = new char[n];
        for (int i = 0; i < n; i++) {
            int k = r.nextInt(52);
            c[i] = (char) (k < 26 ? 'a' + k : 'A' + k - 26);
        }
        return new String(c);
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return mx.getHeapMemoryUsage().getUsed();
    }

    private static WsTestClient track(List<WsTestClient> clients, WsTestClient c) {
        clients.add(c);
        return c;
    }
}
