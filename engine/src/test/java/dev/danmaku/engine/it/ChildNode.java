package dev.danmaku.engine.it;

import dev.danmaku.engine.NodeMain;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A node in a child JVM ({@link NodeMain}) on fixed loopback ports, for tests that kill, stop or
 * restart it. The ports are chosen once (free at construction) and reused by {@link #start()} after
 * a restart, as is the data directory. What the child prints goes to a log file beside the data
 * directory ({@link #output()}), echoed to this JVM's stderr on {@link #close()}, so a failing run
 * shows the node's side.
 *
 * <p>Not thread-safe: one test thread drives it. {@link #close()} always kills the child.
 */
public final class ChildNode implements AutoCloseable {
    /** Used when this JVM was not started with the module flags (e.g. from an IDE). */
    private static final String[] FALLBACK_FLAGS = {
        "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
        "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
        "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
        "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
        "-Dchronicle.analytics.disable=true", "--enable-native-access=ALL-UNNAMED",
        "-XX:+IgnoreUnrecognizedVMOptions", "--sun-misc-unsafe-memory-access=allow",
    };
    private static final Pattern READY = Pattern.compile("node \\S+ ready: ws://");

    private final Path dataDir;
    private final int wsPort;
    private final int adminPort;
    private final List<String> settings;
    private final List<Path> logs = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Process process;
    private int starts;

    /**
     * @param dataDir  the node's data directory (kept across restarts)
     * @param settings extra {@code KEY=VALUE} config settings, passed as {@code --set}
     */
    public ChildNode(Path dataDir, String... settings) throws IOException {
        this.dataDir = dataDir;
        this.wsPort = freePort();
        this.adminPort = freePort();
        this.settings = List.of(settings);
    }

    /** A loopback port that was free a moment ago. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    /** The settings every child node gets: loopback, blocking wait, limits out of a test's way. */
    public static List<String> baseSettings() {
        return List.of("transport.host=127.0.0.1", "ring.wait-strategy=blocking", "ring.size=4096",
                "transport.io-threads=2", "filter.user-rate-per-second=100000", "filter.user-burst=100000",
                "filter.ip-rate-per-second=10000000", "filter.ip-burst=10000000", "filter.words-file=",
                "filter.link-min-level=0");
    }

    /** Starts the child and waits (up to {@code timeoutMs}) for its "ready" line. */
    public ChildNode start(long timeoutMs) throws Exception {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("already running");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvmFlags());
        cmd.add("-Xmx256m");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(NodeMain.class.getName());
        cmd.add("--ws-port=" + wsPort);
        cmd.add("--admin-port=" + adminPort);
        cmd.add("--data-dir=" + dataDir);
        for (String s : baseSettings()) {
            cmd.add("--set");
            cmd.add(s);
        }
        for (String s : settings) {
            cmd.add("--set");
            cmd.add(s);
        }
        int start = ++starts;
        // Output goes to a file, not a pipe: a pipe loses what the child prints while it exits
        // (the JDK drains it when the process ends), and that is exactly the shutdown log.
        Path log = dataDir.resolveSibling(dataDir.getFileName() + "-start" + start + ".log");
        logs.add(log);
        process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Process p = process;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!ready(log)) {
            Thread.sleep(20);
            if (!p.isAlive()) {
                throw new AssertionError("node exited with " + p.exitValue() + " before it was ready");
            }
            if (System.nanoTime() - deadline > 0) {
                p.destroyForcibly();
                throw new AssertionError("node not ready within " + timeoutMs + " ms");
            }
        }
        return this;
    }

    private static boolean ready(Path log) throws IOException {
        return Files.exists(log) && READY.matcher(Files.readString(log, StandardCharsets.UTF_8)).find();
    }

    private static List<String> jvmFlags() {
        List<String> flags = new ArrayList<>();
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-") || arg.startsWith("--enable-native-access") || arg.startsWith("--sun-misc")
                    || arg.startsWith("-XX:+IgnoreUnrecognizedVMOptions") || arg.startsWith("-Dchronicle.")) {
                flags.add(arg);
            }
        }
        if (flags.stream().noneMatch(f -> f.contains("sun.nio.ch"))) {
            flags.clear();
            flags.addAll(List.of(FALLBACK_FLAGS));
        }
        return flags;
    }

    private static String classPath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }

    public Process process() {
        return process;
    }

    public long pid() {
        return process.pid();
    }

    public URI wsUri() {
        return URI.create("ws://127.0.0.1:" + wsPort + "/ws");
    }

    public int wsPort() {
        return wsPort;
    }

    public int adminPort() {
        return adminPort;
    }

    /** Every line the child printed so far, all starts. */
    public List<String> output() throws IOException {
        List<String> lines = new ArrayList<>();
        for (Path log : logs) {
            if (Files.exists(log)) {
                lines.addAll(Files.readAllLines(log, StandardCharsets.UTF_8));
            }
        }
        return lines;
    }

    /** SIGKILL; returns the exit code. */
    public int kill9() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError("node did not die on SIGKILL");
        }
        return process.exitValue();
    }

    /** SIGTERM; returns the exit code, or throws if the child has not exited within {@code timeoutMs}. */
    public int terminate(long timeoutMs) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
            throw new AssertionError("node did not exit within " + timeoutMs + " ms of SIGTERM");
        }
        return process.exitValue();
    }

    /** Sends a signal by name (STOP, CONT) with kill(1). */
    public void signal(String name) throws Exception {
        Process k = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (!k.waitFor(5, TimeUnit.SECONDS) || k.exitValue() != 0) {
            throw new AssertionError("kill -" + name + " failed");
        }
    }

    /** HTTP status of GET /health, or -1 if it cannot be reached. */
    public int health() {
        return healthStatus(http, adminPort);
    }

    /** GET /metrics as text. */
    public String metrics() throws Exception {
        return metricsText(http, adminPort);
    }

    static int healthStatus(HttpClient http, int adminPort) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/health"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    static String metricsText(HttpClient http, int adminPort) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort
                + "/metrics")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new AssertionError("/metrics answered " + r.statusCode());
        }
        return r.body();
    }

    /**
     * The value of an unlabelled counter or gauge in Prometheus text (a counter {@code name} is
     * exposed as {@code name_total}); -1 if absent.
     */
    public static double metric(String text, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:_total)?(?:\\{\\})? ([0-9.eE+-]+)$")
                .matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            // A stopped process ignores nothing but SIGKILL; continue it anyway so nothing lingers.
            try {
                new ProcessBuilder("kill", "-CONT", Long.toString(process.pid())).start().waitFor(2, TimeUnit.SECONDS);
            } catch (IOException | InterruptedException ignored) {
                // best effort
            }
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (int i = 0; i < logs.size(); i++) {
            try {
                for (String line : Files.readAllLines(logs.get(i), StandardCharsets.UTF_8)) {
                    System.err.println("[node start " + (i + 1) + "] " + line);
                }
            } catch (IOException ignored) {
                // nothing to show
            }
        }
    }
}
