package dev.danmaku.router.cli;

import dev.danmaku.router.ShardMap;
import dev.danmaku.router.store.ClusterStore;
import dev.danmaku.router.store.RedisEndpoint;
import dev.danmaku.router.store.Registration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code cluster up} and {@code down} with a real redis-server and a stand-in for
 * {@code bin/danmaku}: a shell script whose {@code node} records its pid and arguments and sleeps
 * (the test registers it in Redis, as a node would), or fails at once. The real engine is covered
 * by the engine's integration tests.
 */
@Timeout(90)
class ClusterUpIT {
    @TempDir
    Path tmp;

    private Path dir;
    private Path home;
    private String savedHome;
    private final List<Long> pids = new ArrayList<>();

    @BeforeEach
    void launcher() throws Exception {
        dir = tmp.resolve("cluster");
        home = tmp.resolve("home");
        Files.createDirectories(home.resolve("bin"));
        savedHome = System.getProperty("danmaku.home");
        System.setProperty("danmaku.home", home.toString());
    }

    @AfterEach
    void cleanUp() {
        for (long pid : pids) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        if (savedHome == null) {
            System.clearProperty("danmaku.home");
        } else {
            System.setProperty("danmaku.home", savedHome);
        }
    }

    private void script(String node) throws Exception {
        Path s = home.resolve("bin/danmaku");
        Files.writeString(s, "#!/bin/sh\n"
                + "if [ \"$2\" = \"--help\" ]; then echo 'Usage: danmaku node'; exit 0; fi\n"
                + "echo \"$$ $*\" > args\n"
                + node + "\n");
        Files.setPosixFilePermissions(s, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** The arguments the stand-in node {@code id} was started with, keyed by flag, plus "pid". */
    private Map<String, String> awaitArgs(String id) throws Exception {
        Path args = dir.resolve(id).resolve("args");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.exists(args) || Files.readString(args).isBlank()) {
            assertThat(System.nanoTime() - deadline).as(id + " started within 20 s").isNegative();
            Thread.sleep(20);
        }
        String[] words = Files.readString(args).trim().split(" ");
        Map<String, String> out = new HashMap<>();
        out.put("pid", words[0]);
        for (int i = 2; i + 1 < words.length; i += 2) {
            out.put(words[i], words[i + 1]);
        }
        pids.add(Long.parseLong(words[0]));
        return out;
    }

    private static long redisPid(String out) {
        Matcher m = Pattern.compile("redis-server on redis://127\\.0\\.0\\.1:\\d+ \\(pid (\\d+)\\)").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static boolean gone(long pid) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    @Test
    void shouldStartRedisAndTheNodesPutThemInTheMapAndStopThemAgain() throws Exception {
        script("exec sleep 120");
        Cli.Running up = Cli.start("cluster", "up", "--nodes", "2", "--dir", dir.toString(), "--name", "fake", "--wait", "30");
        Map<String, String> n1 = awaitArgs("n1");
        Map<String, String> n2 = awaitArgs("n2");
        String uri = n1.get("--cluster");
        assertThat(n1).containsEntry("--cluster-name", "fake").containsEntry("--node-id", "n1")
                .containsEntry("--data-dir", dir.resolve("n1").resolve("data").toAbsolutePath().toString());
        assertThat(n2.get("--cluster")).isEqualTo(uri);
        try (RedisEndpoint endpoint = RedisEndpoint.of(uri, 2000); ClusterStore store = new ClusterStore(endpoint, "fake")) {
            for (Map<String, String> n : List.of(n1, n2)) {
                store.renew(new Registration(n.get("--node-id"), "ws://127.0.0.1:" + n.get("--ws-port") + "/ws",
                        "http://127.0.0.1:" + n.get("--admin-port"), System.currentTimeMillis(), Long.parseLong(n.get("pid"))),
                        60_000);
            }
            Cli.Result r = up.await(60);
            assertThat(r.code()).as(r.toString()).isZero();
            pids.add(redisPid(r.out()));
            ShardMap map = store.readMap();
            assertThat(map.version()).isEqualTo(1);
            assertThat(map.members()).extracting(m -> m.id() + " " + m.state()).containsExactly("n1 ACTIVE", "n2 ACTIVE");
            assertThat(map.member("n2").address()).isEqualTo("ws://127.0.0.1:" + n2.get("--ws-port") + "/ws");
            assertThat(r.out()).contains("cluster 'fake' is up (" + dir.resolve("cluster.json") + ")")
                    .contains("bin/danmaku client send --url ws://127.0.0.1:" + n1.get("--ws-port") + "/ws 9001 hello")
                    .contains("bin/danmaku router status --redis " + uri + " --cluster fake");
        }
        ClusterFile file = ClusterFile.read(dir.resolve("cluster.json"));
        assertThat(file.redisUri()).isEqualTo(uri);
        assertThat(file.nodes()).extracting(ClusterFile.NodeProc::id).containsExactly("n1", "n2");
        assertThat(file.processes()).allMatch(ClusterFile.Proc::alive);

        Cli.Result again = Cli.run("cluster", "up", "--nodes", "1", "--dir", dir.toString());
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).startsWith("error: a cluster is already running from " + dir);

        Cli.Result down = Cli.run("cluster", "down", "--dir", dir.toString());
        assertThat(down.code()).as(down.toString()).isZero();
        for (ClusterFile.Proc p : file.processes()) {
            assertThat(gone(p.pid())).as("pid " + p.pid() + " stopped").isTrue();
        }
        assertThat(dir.resolve("cluster.json")).doesNotExist();
        assertThat(dir.resolve("redis").resolve("appendonly.aof")).exists();
    }

    @Test
    void shouldReportANodeThatExitsEarlyWithItsLogAndStopEverythingItStarted() throws Exception {
        script("echo 'bind: port 1 already in use'; exit 3");
        Cli.Result r = Cli.run("cluster", "up", "--nodes", "2", "--dir", dir.toString(), "--wait", "30");
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).matches("(?s)error: node n[12] exited with 3 before registering; last lines of .*node\\.log:\n"
                + "  bind: port 1 already in use\n");
        long redis = redisPid(r.out());
        pids.add(redis);
        assertThat(gone(redis)).as("redis-server stopped").isTrue();
        assertThat(dir.resolve("cluster.json")).doesNotExist();
    }

    @Test
    void shouldGiveUpOnNodesThatNeverRegister() throws Exception {
        script("exec sleep 120");
        Cli.Result r = Cli.run("cluster", "up", "--nodes", "1", "--dir", dir.toString(), "--wait", "1");
        long node = Long.parseLong(awaitArgs("n1").get("pid"));
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("error: nodes [n1] did not register within 1 s; see " + dir.resolve("n1")
                .resolve("node.log") + "\n");
        assertThat(gone(node)).as("the node was stopped").isTrue();
        assertThat(gone(redisPid(r.out()))).as("redis-server stopped").isTrue();
    }
}
