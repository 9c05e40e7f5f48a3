package dev.danmaku.router.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code cluster up|down} without the engine: argument errors, the refusals, and {@code down}
 * stopping the processes a cluster.json names (here: {@code sleep}s started by the test). A real
 * cluster is covered by the engine's integration tests.
 */
@Timeout(60)
class ClusterCommandTest {
    @TempDir
    Path dir;

    private final List<Process> started = new ArrayList<>();
    private String home;

    @BeforeEach
    void noHome() {
        home = System.getProperty("danmaku.home");
        System.clearProperty("danmaku.home");
    }

    @AfterEach
    void cleanUp() {
        started.forEach(Process::destroyForcibly);
        if (home != null) {
            System.setProperty("danmaku.home", home);
        }
    }

    private Process sleeper() throws Exception {
        Process p = new ProcessBuilder("sleep", "60").start();
        started.add(p);
        return p;
    }

    private static ClusterFile.Proc proc(ProcessHandle p) {
        return new ClusterFile.Proc(p.pid(), LocalProcesses.startMs(p), "log");
    }

    private void writeClusterFile(ProcessHandle redis, ProcessHandle... nodes) throws Exception {
        List<ClusterFile.NodeProc> list = new ArrayList<>();
        for (int i = 0; i < nodes.length; i++) {
            list.add(new ClusterFile.NodeProc("n" + (i + 1), proc(nodes[i]), "ws://127.0.0.1:1/ws", "http://127.0.0.1:2", "d"));
        }
        new ClusterFile("default", 1, proc(redis), 6379, list).write(dir.resolve("cluster.json"));
    }

    @Test
    void shouldRefuseBadArgumentsAsUsageErrors() {
        Cli.Result none = Cli.run("cluster", "up");
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.err()).startsWith("error: Missing required option: '--nodes=N'");
        for (String n : List.of("0", "33")) {
            Cli.Result r = Cli.run("cluster", "up", "--nodes", n, "--dir", dir.toString());
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err()).startsWith("error: --nodes must be 1-32, got " + n + "\n");
        }
        Cli.Result name = Cli.run("cluster", "up", "--nodes", "1", "--name", "a b", "--dir", dir.toString());
        assertThat(name.code()).isEqualTo(2);
        assertThat(name.err()).startsWith("error: --name must be 1-64 characters");
        Cli.Result heap = Cli.run("cluster", "up", "--nodes", "1", "--node-heap", "lots", "--dir", dir.toString());
        assertThat(heap.code()).isEqualTo(2);
        Cli.Result set = Cli.run("cluster", "up", "--nodes", "1", "--set", "no-equals-sign", "--dir", dir.toString());
        assertThat(set.code()).isEqualTo(2);
        assertThat(set.err()).startsWith("error: --set must be KEY=VALUE");
        Cli.Result bare = Cli.run("cluster");
        assertThat(bare.code()).isEqualTo(2);
        assertThat(bare.err()).contains("Usage: danmaku cluster");
        assertThat(dir.resolve("cluster.json")).doesNotExist();
    }

    @Test
    void shouldRefuseToStartWithoutTheLauncher() {
        Cli.Result r = Cli.run("cluster", "up", "--nodes", "1", "--dir", dir.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("error: danmaku.home is not set: run this through bin/danmaku\n");
    }

    @Test
    void shouldRefuseToStartOverAClusterThatStillRuns() throws Exception {
        ProcessHandle self = ProcessHandle.current();
        writeClusterFile(self, self);
        Cli.Result r = Cli.run("cluster", "up", "--nodes", "1", "--dir", dir.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("error: a cluster is already running from " + dir + " (pids [" + self.pid() + ", "
                + self.pid() + "]): 'danmaku cluster down --dir " + dir + "' first\n");
    }

    @Test
    void shouldSayThereIsNoClusterToStop() throws Exception {
        Cli.Result r = Cli.run("cluster", "down", "--dir", dir.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("error: no " + dir.resolve("cluster.json") + ": no cluster was started with --dir "
                + dir + " (or it is down already)\n");
        Files.writeString(dir.resolve("cluster.json"), "{\"nodes\": []}");
        Cli.Result bad = Cli.run("cluster", "down", "--dir", dir.toString());
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).isEqualTo("error: " + dir.resolve("cluster.json") + " is not a cluster file: 'redis' must be "
                + "an object\n");
    }

    @Test
    void shouldStopEveryProcessOfTheClusterFileAndRemoveIt() throws Exception {
        Process redis = sleeper();
        Process n1 = sleeper();
        Process n2 = sleeper();
        n2.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        writeClusterFile(redis.toHandle(), n1.toHandle(), n2.toHandle());
        Cli.Result r = Cli.run("cluster", "down", "--dir", dir.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(redis.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(n1.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(r.out()).contains("n1 (pid " + n1.pid() + "): stopped").contains("n2 (pid " + n2.pid() + "): was not running")
                .contains("redis (pid " + redis.pid() + "): stopped").contains("cluster 'default' is down");
        assertThat(dir.resolve("cluster.json")).doesNotExist();
    }

    @Test
    void shouldNotTouchAProcessThatOnlyReusedAPid() throws Exception {
        Process p = sleeper();
        ClusterFile.Proc other = new ClusterFile.Proc(p.pid(), LocalProcesses.startMs(p.toHandle()) - 60_000, "log");
        assertThat(other.alive()).isFalse();
        assertThat(proc(p.toHandle()).alive()).isTrue();
    }
}
