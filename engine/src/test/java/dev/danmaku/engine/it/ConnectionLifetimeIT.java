package dev.danmaku.engine.it;

import dev.danmaku.codec.FrameDecoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.engine.Node;
import dev.danmaku.engine.config.NodeConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * An upgraded, active connection must outlive the handshake deadline (transport.handshake-timeout-ms):
 * the deadline is for connections that never upgrade (slowloris), not for every connection.
 */
class ConnectionLifetimeIT {
    @Test
    @Timeout(30)
    void shouldKeepAnUpgradedConnectionOpenPastTheHandshakeDeadline(@TempDir Path dir) throws Exception {
        NodeConfig config = TestNode.config(dir).set(NodeConfig.HANDSHAKE_TIMEOUT_MS, 1_000L).build();
        try (Node node = Node.start(config);
             WsTestClient c = WsTestClient.connect(URI.create("ws://127.0.0.1:" + node.wsPort() + "/ws"), true)) {
            ItSupport.createRoom(c, 11);
            FrameDecoder d = FrameDecoder.forClient();
            // Active the whole time (a heartbeat every 200 ms), for three handshake deadlines.
            for (int i = 0; i < 15; i++) {
                Thread.sleep(200);
                assertFalse(c.closed().isDone(), "closed after " + (i + 1) * 200 + " ms: " + c.closed().getNow(null));
                c.roomRequest(FrameType.HEARTBEAT, 0, 0);
                c.await(FrameType.HEARTBEAT, d, 2_000);
            }
            c.bullet(11, 42, "u42", "still here", "");
            c.await(FrameType.ACK, d, 2_000);
            String metrics = ChildNode.metricsText(HttpClient.newHttpClient(), node.adminPort());
            assertEquals(0.0, ChildNode.metric(metrics, "danmaku_handshake_timeouts"), "upgraded connections are not "
                    + "handshake timeouts");
        }
    }
}
