package dev.danmaku.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} child process on a free loopback port, for tests: the linux-amd64
 * binary shipped inside {@code com.github.codemonstur:embedded-redis} (redis 6.2), extracted once
 * per JVM. Append-only persistence is on, so {@link #stop()} (SIGTERM, which flushes the AOF) and
 * {@link #restart()} on the same port and directory keep the data, like a real outage and recovery;
 * {@link #kill()} is {@code kill -9}. Every server started is stopped by a JVM shutdown hook too.
 *
 * <p>Not thread-safe: one test thread drives a server.
 */
public final class RedisServer implements AutoCloseable {
    private static final String BINARY = "redis-server-6.2.6-v5-linux-amd64";
    private static final Set<RedisServer> RUNNING = ConcurrentHashMap.newKeySet();
    private static volatile Path binary;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (RedisServer s : RUNNING) {
                s.destroy(true);
            }
        }, "redis-test-servers-stop"));
    }

    private final int port;
    private final Path dir;
    private final List<String> extraArgs;
    private Process process;

    private RedisServer(int port, Path dir, List<String> extraArgs) {
        this.port = port;
        this.dir = dir;
        this.extraArgs = extraArgs;
    }

    /** Starts a standalone server on a free loopback port with its own temporary directory. */
    public static RedisServer start() throws IOException {
        return start(freePort(), List.of());
    }

    /** Starts a server on {@code port} with extra {@code redis-server} arguments (e.g. cluster options). */
    public static RedisServer start(int port, List<String> extraArgs) throws IOException {
        RedisServer s = new RedisServer(port, Files.createTempDirectory("redis-" + port + "-"), List.copyOf(extraArgs));
        s.launch();
        return s;
    }

    /** A port nobody listens on right now, on 127.0.0.1. Redis Cluster also needs port + 10000 free. */
    public static int freePort() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int p;
            try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                p = ss.getLocalPort();
            }
            if (p + 10_000 <= 65_535 && free(p + 10_000)) {
                return p;
            }
        }
        throw new IOException("no free port pair found");
    }

    private static boolean free(int port) {
        try (ServerSocket ss = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public int port() {
        return port;
    }

    /** {@code redis://127.0.0.1:PORT} */
    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The OS process id, while running. */
    public long pid() {
        return process.pid();
    }

    /** Graceful stop (SIGTERM: the AOF is flushed); waits until the process has exited and the port is closed. */
    public void stop() {
        destroy(false);
    }

    /** {@code kill -9}. */
    public void kill() {
        destroy(true);
    }

    /** Starts the process again on the same port and directory (its data is reloaded from the AOF). */
    public void restart() throws IOException {
        if (isRunning()) {
            throw new IllegalStateException("still running");
        }
        launch();
    }

    @Override
    public void close() {
        destroy(true);
        deleteTree(dir);
    }

    private void launch() throws IOException {
        List<String> cmd = new ArrayList<>(List.of(binary().toString(), "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--dir", dir.toString(), "--save", "", "--appendonly", "yes",
                "--appendfsync", "everysec", "--protected-mode", "no", "--daemonize", "no",
                "--logfile", dir.resolve("redis.log").toString()));
        cmd.addAll(extraArgs);
        process = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("stdout.log").toFile()).start();
        RUNNING.add(this);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() - deadline < 0) {
            if (!process.isAlive()) {
                throw new IOException("redis-server on port " + port + " exited with " + process.exitValue() + ": "
                        + tail(dir.resolve("redis.log")));
            }
            if (ping()) {
                return;
            }
            sleep(20);
        }
        destroy(true);
        throw new IOException("redis-server on port " + port + " did not answer PING in 10 s: " + tail(dir.resolve("redis.log")));
    }

    /** PING over a raw socket (no client library needed). */
    private boolean ping() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            s.setSoTimeout(500);
            s.getOutputStream().write("PING\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            byte[] buf = new byte[64];
            int n = s.getInputStream().read(buf);
            // A server still loading its AOF answers -LOADING: not ready yet.
            return n > 0 && new String(buf, 0, n, java.nio.charset.StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    private void destroy(boolean force) {
        Process p = process;
        if (p == null) {
            return;
        }
        if (force) {
            p.destroyForcibly();
        } else {
            p.destroy();
        }
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        RUNNING.remove(this);
    }

    private static Path binary() throws IOException {
        Path b = binary;
        if (b != null) {
            return b;
        }
        synchronized (RedisServer.class) {
            if (binary == null) {
                if (!System.getProperty("os.name", "").toLowerCase().contains("linux")
                        || !System.getProperty("os.arch", "").matches("amd64|x86_64")) {
                    throw new IOException("the embedded redis-server binary is linux-amd64 only");
                }
                Path tmp = Files.createTempFile("redis-server-", "");
                try (InputStream in = RedisServer.class.getClassLoader().getResourceAsStream(BINARY)) {
                    if (in == null) {
                        throw new IOException(BINARY + " not on the classpath (embedded-redis missing?)");
                    }
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                }
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx------"));
                tmp.toFile().deleteOnExit();
                binary = tmp;
            }
            return binary;
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void deleteTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a temp directory
        }
    }
}
