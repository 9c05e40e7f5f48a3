package dev.danmaku.engine.it;

import dev.danmaku.engine.Node;
import dev.danmaku.engine.config.NodeConfig;
import dev.danmaku.tools.Main;
import dev.danmaku.tools.client.Bullet;
import dev.danmaku.tools.client.ClientConfig;
import dev.danmaku.tools.client.DanmakuClient;
import dev.danmaku.tools.client.DanmakuListener;
import dev.danmaku.tools.client.Discontinuity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The product client against the real node: the CLI creates a room and sends, a watching client
 * receives; the node restarts underneath the watcher, which reconnects and resumes with neither
 * loss nor duplicates.
 */
@Timeout(90)
class ClientEndToEndIT {
    private static final long ROOM = 77;

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
    }

    private static synchronized Run cli(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int exit = Main.commandLine().execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private NodeConfig config(int wsPort) {
        return TestNode.config(dir).set(NodeConfig.WS_PORT, wsPort).build();
    }

    @Test
    void cliAndClientShouldWorkEndToEndAcrossANodeRestart() throws Exception {
        Node node = Node.start(config(0));
        int port = node.wsPort();
        String url = "ws://127.0.0.1:" + port + "/ws";
        List<Bullet> seen = new CopyOnWriteArrayList<>();
        List<Discontinuity> gaps = new CopyOnWriteArrayList<>();
        DanmakuClient watcher = null;
        try {
            Run create = cli("client", "create", Long.toString(ROOM), "--url", url);
            assertThat(create.exit()).as(create.err()).isZero();
            assertThat(create.out()).startsWith("room 77 created");

            watcher = new DanmakuClient(ClientConfig.defaults().withUserId(5).withReconnectTries(20), new DanmakuListener() {
                @Override
                public void onBullet(Bullet bullet) {
                    seen.add(bullet);
                }

                @Override
                public void onDiscontinuity(Discontinuity d) {
                    gaps.add(d);
                }
            });
            watcher.connect(URI.create(url)).get(5, TimeUnit.SECONDS);
            watcher.join(ROOM, 0).get(5, TimeUnit.SECONDS);

            Run send = cli("client", "send", Long.toString(ROOM), "hello", "--count", "3", "--interval", "10ms",
                    "--user", "9", "--url", url);
            assertThat(send.exit()).as(send.err()).isZero();
            assertThat(send.out()).contains("seq 1 epoch 1", "seq 2 epoch 1", "seq 3 epoch 1");
            await().atMost(5, TimeUnit.SECONDS).until(() -> seen.size() == 3);

            node.close();
            node = Node.start(config(port));

            Run more = cli("client", "send", Long.toString(ROOM), "again", "--count", "3", "--interval", "10ms",
                    "--user", "9", "--url", url);
            assertThat(more.exit()).as(more.err()).isZero();
            assertThat(more.out()).contains("seq 4 epoch 1", "seq 6 epoch 1");
            await().atMost(15, TimeUnit.SECONDS).until(() -> seen.size() >= 6);
            Thread.sleep(300);
            List<Long> seqs = new ArrayList<>();
            for (Bullet b : seen) {
                seqs.add(b.seq());
            }
            assertThat(seqs).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
            assertThat(gaps).isEmpty();
            assertThat(seen.get(3).content()).isEqualTo("again #1");

            Run check = cli("client", "check", Long.toString(ROOM), "--url", url);
            assertThat(check.out()).contains("last seq 6");
            Run missing = cli("client", "check", "78", "--url", url);
            assertThat(missing.exit()).isEqualTo(1);
            assertThat(missing.err().strip()).isEqualTo("room 78 does not exist");
        } finally {
            if (watcher != null) {
                watcher.close();
            }
            node.close();
        }
    }
}
