package dev.danmaku.engine.it;

import dev.danmaku.codec.AckDecoder;
import dev.danmaku.codec.FrameDecoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.JoinedDecoder;
import dev.danmaku.codec.Protocol;
import dev.danmaku.engine.Node;
import dev.danmaku.engine.config.NodeConfig;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Over real sockets and the real journal: every accepted bullet reaches every viewer of its room
 * once, in order (RELIABILITY scenario 3), in both stage-thread layouts and with batching on and off.
 */
@Timeout(60)
class NodeDeliveryIT {
    private static final long ROOM = 9001;
    private static final int SENDERS = 4;
    private static final int PER_SENDER = 250;
    private static final int VIEWERS = 8;

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedBulletShouldReachEveryViewerOnceInOrderWithFusedStages() throws Exception {
        run(NodeConfig.StageThreads.FUSED, 10);
    }

    @Test
    void everyAcknowledgedBulletShouldReachEveryViewerOnceInOrderWithOneThreadPerStage() throws Exception {
        run(NodeConfig.StageThreads.PER_STAGE, 0);
    }

    private void run(NodeConfig.StageThreads threads, long batchIntervalMs) throws Exception {
        try (Node node = Node.start(TestNode.config(dir)
                .set(NodeConfig.RING_THREADS, threads)
                .set(NodeConfig.BATCH_INTERVAL_MS, batchIntervalMs)
                .set(NodeConfig.USER_RATE, 100_000).set(NodeConfig.USER_BURST, 100_000)
                .set(NodeConfig.IP_RATE, 1_000_000).set(NodeConfig.IP_BURST, 1_000_000)
                .build())) {
            FrameDecoder d = FrameDecoder.forClient();
            try (WsTestClient admin = WsTestClient.connect(node.wsPort())) {
                admin.roomRequest(FrameType.CREATE_ROOM, ROOM, 1);
                admin.await(FrameType.ROOM_INFO, d, 5000);
            }
            List<Viewer> viewers = new ArrayList<>();
            for (int i = 0; i < VIEWERS; i++) {
                Viewer v = new Viewer(WsTestClient.connect(node.wsPort()));
                v.client().join(ROOM, 0);
                v.readUntil(0, 0);
                viewers.add(v);
            }
            for (Viewer v : viewers) {
                v.client().await(FrameType.JOINED, d, 5000);
                assertThat(d.joined().status()).isEqualTo(JoinedDecoder.STATUS_LIVE);
            }
            ExecutorService pool = Executors.newFixedThreadPool(SENDERS);
            List<Future<Map<Long, Long>>> acks = new ArrayList<>();
            for (int s = 0; s < SENDERS; s++) {
                long user = 100 + s;
                acks.add(pool.submit(() -> send(node.wsPort(), user)));
            }
            Map<String, Long> seqByUserTs = new HashMap<>();
            for (int s = 0; s < SENDERS; s++) {
                Map<Long, Long> m = acks.get(s).get();
                assertThat(m).hasSize(PER_SENDER);
                long user = 100 + s;
                m.forEach((ts, seq) -> seqByUserTs.put(user + ":" + ts, seq));
            }
            pool.shutdown();
            int total = SENDERS * PER_SENDER;
            List<Viewer.Delivered> reference = null;
            for (Viewer v : viewers) {
                assertThat(v.readUntil(total, 20_000)).isEqualTo(total);
                v.drain(200);
                List<Long> expected = new ArrayList<>();
                for (long s = 1; s <= total; s++) {
                    expected.add(s);
                }
                assertThat(v.sequences()).as("gapless, once, in order").isEqualTo(expected);
                if (reference == null) {
                    reference = v.bullets;
                } else {
                    assertThat(v.bullets).as("same order for every viewer").isEqualTo(reference);
                }
                v.client().close();
            }
            // acked is a subset of received, with the same sequence
            for (Viewer.Delivered b : reference) {
                Long seq = seqByUserTs.get(b.user() + ":" + b.timestamp());
                assertThat(seq).as("acked seq of %s", b).isEqualTo(b.seq());
            }
        }
    }

    /** Sends PER_SENDER bullets as {@code user} and returns timestamp -> acknowledged sequence. */
    private static Map<Long, Long> send(int port, long user) throws Exception {
        Map<Long, Long> acks = new HashMap<>();
        FrameDecoder d = FrameDecoder.forClient();
        try (WsTestClient c = WsTestClient.connect(port)) {
            for (int i = 0; i < PER_SENDER; i++) {
                c.bullet(ROOM, user, "u" + user, "bullet " + i + " from " + user, "white");
            }
            while (acks.size() < PER_SENDER) {
                byte[] f = c.poll(10_000);
                assertThat(f).as("ACK %d of %d for user %d", acks.size() + 1, PER_SENDER, user).isNotNull();
                assertThat(d.decode(new UnsafeBuffer(f), 0, f.length)).isEqualTo(Protocol.OK);
                assertThat(d.type()).as("reply").isEqualTo(FrameType.ACK);
                AckDecoder a = d.ack();
                assertThat(a.retry()).isFalse();
                assertThat(acks.put(a.timestamp(), a.sequence())).isNull();
            }
        }
        return acks;
    }
}
