package dev.danmaku.perf.harness;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The coordinator's side of a run spread over several generator processes (one process holds
 * about 19,000 sockets here). Child k runs the same subcommand with {@code --part=k}; it talks over
 * its stdin/stdout, one line each:
 * <pre>
 *   child  -> READY                 its connections are open
 *   parent -> GO &lt;epoch ms&gt;          the common start of the schedule
 *   child  -> PROGRESS &lt;json&gt;        one {@link PartResult.Second} per second
 *   child  -> RESULT &lt;file&gt;          its {@link PartResult} as JSON, written to a file
 * </pre>
 * Anything else a child prints is copied to stderr with its part number. A reader thread per child.
 */
public final class Parts implements AutoCloseable {
    private final List<Process> children = new ArrayList<>();
    private final CountDownLatch ready;
    private final CountDownLatch done;
    private final Map<Integer, Path> results = new ConcurrentHashMap<>();
    /** Per second index, the children's samples that have arrived. */
    final Map<Integer, List<PartResult.Second>> seconds = new ConcurrentHashMap<>();

    private Parts(int n) {
        ready = new CountDownLatch(n);
        done = new CountDownLatch(n);
    }

    /** Starts parts 1..processes-1 of {@code subcommand} with {@code args} in this JVM's configuration. */
    public static Parts spawn(String subcommand, List<String> args, int processes, Path out) throws IOException {
        Parts p = new Parts(processes - 1);
        String java = ProcessHandle.current().info().command().orElse("java");
        for (int k = 1; k < processes; k++) {
            List<String> cmd = new ArrayList<>();
            cmd.add(java);
            cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add("dev.danmaku.perf.PerfMain");
            cmd.add(subcommand);
            cmd.addAll(args);
            cmd.add("--part=" + k);
            cmd.add("--out=" + out.resolve("part-" + k));
            Process proc = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            p.children.add(proc);
            int part = k;
            Thread t = new Thread(() -> p.read(part, proc), "perf-part-" + k);
            t.setDaemon(true);
            t.start();
        }
        return p;
    }

    private void read(int part, Process proc) {
        boolean wasReady = false;
        boolean finished = false;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.equals("READY")) {
                    wasReady = true;
                    ready.countDown();
                } else if (line.startsWith("PROGRESS ")) {
                    PartResult.Second s = PartResult.Second.fromJson(PartResult.JSON.readTree(line.substring(9)));
                    seconds.computeIfAbsent(s.t, t -> new ArrayList<>()).add(s);
                } else if (line.startsWith("RESULT ")) {
                    results.put(part, Path.of(line.substring(7)));
                    finished = true;
                    done.countDown();
                } else {
                    System.err.println("[part " + part + "] " + line);
                }
            }
        } catch (Exception e) {
            System.err.println("[part " + part + "] " + e);
        } finally {
            if (!wasReady) {
                ready.countDown();
            }
            if (!finished) {
                done.countDown();
            }
        }
    }

    public int size() {
        return children.size();
    }

    /** Waits until every child has opened its connections (or died). */
    public void awaitReady(long timeoutS) throws InterruptedException {
        if (!ready.await(timeoutS, TimeUnit.SECONDS)) {
            throw new IllegalStateException("generator processes not ready after " + timeoutS + " s");
        }
    }

    /** Tells every child when the schedule starts. */
    public void go(long startEpochMs) throws IOException {
        for (Process p : children) {
            Writer w = new java.io.OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
            w.write("GO " + startEpochMs + "\n");
            w.flush();
        }
    }

    /** Waits for every child's result (those that died are missing, and said so on stderr). */
    public List<PartResult> results(long timeoutS) throws Exception {
        if (!done.await(timeoutS, TimeUnit.SECONDS)) {
            System.err.println("perf: some generator processes did not finish in " + timeoutS + " s");
        }
        List<PartResult> list = new ArrayList<>();
        for (int k = 1; k <= children.size(); k++) {
            Path f = results.get(k);
            if (f == null) {
                System.err.println("perf: part " + k + " sent no result (exit " + exit(children.get(k - 1)) + ")");
                continue;
            }
            list.add(PartResult.fromJson(Files.readString(f)));
        }
        return list;
    }

    private static String exit(Process p) {
        try {
            return p.waitFor(2, TimeUnit.SECONDS) ? Integer.toString(p.exitValue()) : "running";
        } catch (InterruptedException e) {
            return "?";
        }
    }

    @Override
    public void close() {
        for (Process p : children) {
            try {
                p.getOutputStream().close();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroy();
                }
            } catch (Exception e) {
                p.destroy();
            }
        }
    }

    // ---- the child's side -------------------------------------------------------------------------

    /** Child: announce READY and block until the coordinator says GO; returns the start, epoch ms. */
    public static long childAwaitGo() throws IOException {
        System.out.println("READY");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line = in.readLine();
        if (line == null || !line.startsWith("GO ")) {
            throw new IllegalStateException("coordinator went away before GO");
        }
        return Long.parseLong(line.substring(3).trim());
    }

    /** Child: one second's sample for the coordinator. */
    public static synchronized void childProgress(PartResult.Second s) {
        System.out.println("PROGRESS " + s.toJson());
        System.out.flush();
    }

    /** Child: writes the result file and tells the coordinator where it is. */
    public static void childResult(PartResult r, Path out) throws IOException {
        Files.createDirectories(out);
        Path f = out.resolve("part.json").toAbsolutePath();
        Files.writeString(f, r.toJson(), StandardCharsets.UTF_8);
        System.out.println("RESULT " + f);
        System.out.flush();
    }
}
