package dev.danmaku.router.cli;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The OS side of {@code cluster up|down}: free loopback ports, a redis-server binary, processes
 * started detached (their own session, stdio on files) so they outlive the command, and stopping
 * processes by pid. Stateless.
 */
final class LocalProcesses {
    /** The redis-server inside {@code com.github.codemonstur:embedded-redis}, used when none is on PATH. */
    static final String BUNDLED_REDIS = "redis-server-6.2.6-v5-linux-amd64";

    private LocalProcesses() {
    }

    /** {@code count} distinct ports nobody listens on right now, on 127.0.0.1 (held open together while picked). */
    static int[] freePorts(int count) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                held.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }

    /** An executable on PATH, or null. */
    static Path onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, name);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    /**
     * A redis-server to run: the one on PATH, else the bundled linux-amd64 binary copied to
     * {@code dir/redis-server} (it must outlive this JVM, so no temporary file).
     */
    static Path redisServer(Path dir) throws CommandFailure {
        Path p = onPath("redis-server");
        if (p != null) {
            return p;
        }
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.contains("linux") || !arch.matches("amd64|x86_64")) {
            throw new CommandFailure("no redis-server on PATH (the bundled one is for linux-amd64 only): install Redis");
        }
        Path target = dir.resolve("redis-server");
        try (InputStream in = LocalProcesses.class.getClassLoader().getResourceAsStream(BUNDLED_REDIS)) {
            if (in == null) {
                throw new CommandFailure("no redis-server on PATH and none bundled (embedded-redis is not on the classpath)");
            }
            Files.createDirectories(dir);
            // Copy beside and rename over: a binary a stopped server ran from may not be writable in place.
            Path tmp = Files.createTempFile(dir, "redis-server", ".tmp");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            throw new CommandFailure("cannot extract the bundled redis-server to " + target + ": " + RouterMain.message(e));
        }
    }

    /**
     * Starts {@code command} detached: in a new session (through {@code setsid}, when there is one, so
     * a Ctrl-C in this terminal does not reach it), stdin from /dev/null, stdout and stderr appended
     * to {@code log}. The returned process's pid is the command's own ({@code setsid} execs it).
     */
    static Process startDetached(List<String> command, Path workDir, Path log, Map<String, String> env) throws IOException {
        List<String> cmd = new ArrayList<>();
        Path setsid = onPath("setsid");
        if (setsid != null) {
            cmd.add(setsid.toString());
        }
        cmd.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        return pb.start();
    }

    /** The OS start time of a process, Unix ms, or 0 if unknown. */
    static long startMs(ProcessHandle p) {
        return p.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    }

    /**
     * True if {@code pid} runs and, when {@code startMs} is known, started then (within a second): a
     * pid reused by another process later is not ours.
     */
    static boolean alive(long pid, long startMs) {
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive()) {
            return false;
        }
        long s = startMs(h.get());
        return startMs <= 0 || s <= 0 || Math.abs(s - startMs) <= 1_000;
    }

    /** What {@link #stop} did to one process. */
    enum Outcome { STOPPED, KILLED, NOT_RUNNING, STILL_RUNNING }

    /**
     * SIGTERM to every process still running, then up to {@code graceMs} for all to exit, then
     * SIGKILL to what is left (and up to 2 s for that).
     */
    static List<Outcome> stop(List<ClusterFile.Proc> procs, long graceMs) throws InterruptedException {
        List<Outcome> out = new ArrayList<>();
        List<ProcessHandle> handles = new ArrayList<>();
        for (ClusterFile.Proc p : procs) {
            ProcessHandle h = p.alive() ? ProcessHandle.of(p.pid()).orElse(null) : null;
            handles.add(h);
            out.add(h == null ? Outcome.NOT_RUNNING : Outcome.STOPPED);
            if (h != null) {
                h.destroy();
            }
        }
        waitGone(handles, graceMs);
        boolean killed = false;
        for (int i = 0; i < handles.size(); i++) {
            ProcessHandle h = handles.get(i);
            if (h != null && h.isAlive()) {
                h.destroyForcibly();
                out.set(i, Outcome.KILLED);
                killed = true;
            }
        }
        if (killed) {
            waitGone(handles, 2_000);
            for (int i = 0; i < handles.size(); i++) {
                if (handles.get(i) != null && handles.get(i).isAlive()) {
                    out.set(i, Outcome.STILL_RUNNING);
                }
            }
        }
        return out;
    }

    private static void waitGone(List<ProcessHandle> handles, long ms) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        while (System.nanoTime() - deadline < 0) {
            boolean any = false;
            for (ProcessHandle h : handles) {
                any |= h != null && h.isAlive();
            }
            if (!any) {
                return;
            }
            Thread.sleep(50);
        }
    }

    /** PING over a raw socket: true on {@code +PONG} (a server still loading its AOF answers -LOADING). */
    static boolean redisPing(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            s.setSoTimeout(500);
            s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] buf = new byte[64];
            int n = s.getInputStream().read(buf);
            return n > 0 && new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    /** The last {@code lines} lines of a log, each indented, or a note that there is none. */
    static String tail(Path log, int lines) {
        try {
            List<String> all = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).lines().toList();
            List<String> last = all.subList(Math.max(0, all.size() - lines), all.size());
            return last.isEmpty() ? "  (" + log + " is empty)" : "  " + String.join("\n  ", last);
        } catch (IOException e) {
            return "  (no " + log + ")";
        }
    }
}
