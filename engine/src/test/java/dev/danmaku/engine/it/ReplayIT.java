package dev.danmaku.engine.it;

import dev.danmaku.codec.FrameDecoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.JoinedDecoder;
import dev.danmaku.engine.Node;
import dev.danmaku.engine.config.NodeConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A resume whose gap is older than the room's in-memory history is served from the journal, exactly;
 * one the journal cannot serve is answered NOT_RECOVERED (RELIABILITY scenarios 4 and 5). The same
 * holds after a restart, when memory was rebuilt from the journal.
 */
@Timeout(60)
class ReplayIT {
    private static final long ROOM = 5;
    private static final int BULLETS = 400;

    @TempDir
    Path dir;

    private NodeConfig config() {
        // A history of about 4 KiB (~60 bullets) so that most of the room lives only in the journal.
        return TestNode.config(dir)
                .set(NodeConfig.HISTORY_SIZE, 1).set(NodeConfig.MAX_BATCH_BYTES, 1024)
                .set(NodeConfig.USER_RATE, 100_000).set(NodeConfig.USER_BURST, 100_000)
                .set(NodeConfig.IP_RATE, 100_000).set(NodeConfig.IP_BURST, 100_000)
                .build();
    }

    @Test
    void aResumeOlderThanMemoryShouldBeServedExactlyFromTheJournal() throws Exception {
        FrameDecoder d = FrameDecoder.forClient();
        try (Node node = Node.start(config())) {
            try (WsTestClient c = WsTestClient.connect(node.wsPort())) {
                c.roomRequest(FrameType.CREATE_ROOM, ROOM, 1);
                c.await(FrameType.ROOM_INFO, d, 5000);
                for (int i = 1; i <= BULLETS; i++) {
                    c.bullet(ROOM, 1 + i % 50, "u", "bullet number " + i, "");
                }
                for (int i = 1; i <= BULLETS; i++) {
                    c.await(FrameType.ACK, d, 5000);
                }
            }
            resumeAndExpectEverythingAfter(node, 10);
        }
        // After a restart the history is rebuilt from the journal; the journal serves the rest.
        try (Node node = Node.start(config())) {
            resumeAndExpectEverythingAfter(node, 3);
            try (WsTestClient c = WsTestClient.connect(node.wsPort())) {
                c.resume(ROOM, 99, 3);
                c.await(FrameType.JOINED, d, 5000);
                assertThat(d.joined().status()).isEqualTo(JoinedDecoder.STATUS_NOT_RECOVERED);
            }
        }
    }

    private static void resumeAndExpectEverythingAfter(Node node, long last) throws Exception {
        try (WsTestClient c = WsTestClient.connect(node.wsPort())) {
            Viewer v = new Viewer(c);
            c.resume(ROOM, 1, last);
            int expected = (int) (BULLETS - last);
            assertThat(v.readUntil(expected, 10_000)).isEqualTo(expected);
            v.drain(300);
            assertThat(v.joined.status()).isEqualTo(JoinedDecoder.STATUS_RECOVERED);
            assertThat(v.joined.nextSeq()).isEqualTo(last + 1);
            List<Long> want = new ArrayList<>();
            for (long s = last + 1; s <= BULLETS; s++) {
                want.add(s);
            }
            assertThat(v.sequences()).isEqualTo(want);
            assertThat(v.bullets.get(0).content()).isEqualTo("bullet number " + (last + 1));
        }
    }
}
