package dev.danmaku.perf.harness;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code perf conns}: opens N idle WebSocket connections (heartbeats only), spread over
 * generator processes, and reports the connect rate and the node's memory per connection: heap
 * in use and RSS from its /metrics (or RSS from /proc/PID/status with --pid), before and after.
 */
@Command(name = "conns", mixinStandardHelpOptions = true,
        description = "Open N idle connections; report the connect rate and the node's heap and RSS per connection.")
public final class ConnsCommand implements Callable<Integer> {
    @Option(names = "--node", paramLabel = "URL", description = "node WebSocket URL (default ws://127.0.0.1:7000/ws); "
            + "repeat to spread connections over nodes")
    List<URI> nodes = new ArrayList<>();

    @Option(names = "--admin", paramLabel = "URL", description = "node admin URL (memory from /metrics)")
    URI admin;

    @Option(names = "--pid", paramLabel = "PID", description = "node process id (RSS from /proc/PID/status)")
    long pid;

    @Option(names = {"-n", "--connections"}, paramLabel = "N", description = "connections in all (default 10000)")
    int connections = 10_000;

    @Option(names = "--processes", paramLabel = "N", description = "generator processes (default: one per "
            + "18,000 connections)")
    int processes;

    @Option(names = "--hold", paramLabel = "S", description = "seconds to hold them before measuring (default 5)")
    int holdS = 5;

    @Option(names = "--source-addresses", paramLabel = "N", description = "source addresses 127.0.0.2.. (default 8)")
    int sourceAddresses = 8;

    @Option(names = "--io-threads", paramLabel = "N", description = "event loops per process (default 1)")
    int ioThreads = 1;

    @Option(names = "--out", paramLabel = "DIR", description = "report directory (default perf-out/conns-<time>)")
    Path out;

    @Option(names = "--part", hidden = true)
    int part;

    @Override
    public Integer call() throws Exception {
        if (nodes.isEmpty()) {
            nodes.add(URI.create("ws://127.0.0.1:7000/ws"));
        }
        if (processes <= 0) {
            processes = Math.max(1, (connections + 17_999) / 18_000);
        }
        if (out == null) {
            out = Path.of("perf-out", "conns-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        }
        Scenario.require(connections >= 1, "--connections must be at least 1");
        if (part > 0) {
            PartResult r = open(part);
            Parts.childAwaitGo(); // GO = measured, close now
            Parts.childResult(r, out);
            return 0;
        }
        Map<String, Double> before = admin == null ? Map.of() : NodeAdmin.scrape(admin);
        long rssBefore = procRss(pid);
        List<String> args = new ArrayList<>();
        for (URI n : nodes) {
            args.add("--node=" + n);
        }
        args.add("--connections=" + connections);
        args.add("--processes=" + processes);
        args.add("--source-addresses=" + sourceAddresses);
        args.add("--io-threads=" + ioThreads);
        long t0 = System.nanoTime();
        try (Parts parts = processes > 1 ? Parts.spawn("conns", args, processes, out) : null) {
            PartResult mine = open(0);
            if (parts != null) {
                parts.awaitReady(600);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            Thread.sleep(holdS * 1000L);
            Map<String, Double> after = admin == null ? Map.of() : NodeAdmin.scrape(admin);
            long rssAfter = procRss(pid);
            if (parts != null) {
                parts.go(0);
                for (PartResult r : parts.results(60)) {
                    mine.merge(r);
                }
            }
            long opened = mine.viewers;
            ObjectNode j = PartResult.JSON.createObjectNode();
            j.put("connectionsAsked", connections);
            j.put("connectionsOpened", opened);
            j.put("connectFailures", mine.get(Stats.Counter.CONNECT_FAILURES));
            j.put("processes", processes);
            j.put("connectSeconds", seconds);
            j.put("connectRatePerS", opened / seconds);
            if (!before.isEmpty() && !after.isEmpty()) {
                double heap = NodeAdmin.heapUsed(after) - NodeAdmin.heapUsed(before);
                double rss = NodeAdmin.rss(after) - NodeAdmin.rss(before);
                j.put("nodeHeapBeforeBytes", NodeAdmin.heapUsed(before));
                j.put("nodeHeapAfterBytes", NodeAdmin.heapUsed(after));
                j.put("nodeHeapPerConnectionBytes", heap / Math.max(1, opened));
                j.put("nodeRssBeforeBytes", NodeAdmin.rss(before));
                j.put("nodeRssAfterBytes", NodeAdmin.rss(after));
                j.put("nodeRssPerConnectionBytes", rss / Math.max(1, opened));
                j.put("nodeConnectionsOpen", NodeAdmin.sum(after, "danmaku_connections_open", null));
            }
            if (rssBefore > 0 && rssAfter > 0) {
                j.put("procRssBeforeBytes", rssBefore);
                j.put("procRssAfterBytes", rssAfter);
                j.put("procRssPerConnectionBytes", (rssAfter - rssBefore) / (double) Math.max(1, opened));
            }
            j.put("note", "heap in use is sampled, not after a full GC: read it as an upper bound; RSS includes "
                    + "Netty's pooled direct memory, which is claimed in chunks");
            j.set("environment", Report.environment());
            Files.createDirectories(out);
            String text = PartResult.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(j);
            Files.writeString(out.resolve("conns.json"), text, StandardCharsets.UTF_8);
            System.out.println(text);
            System.out.printf(Locale.ROOT, "opened %,d of %,d connections in %.1f s (%,.0f/s) over %d process(es)%n",
                    opened, connections, seconds, opened / seconds, processes);
        }
        return 0;
    }

    /** Opens this part's share of the connections (i mod processes == part); waits for all. */
    private PartResult open(int k) throws Exception {
        PartResult r = new PartResult(1);
        Stats stats = new Stats(1);
        RunClock clock = new RunClock();
        LoadClient client = new LoadClient(ioThreads, sourceAddresses);
        List<CompletableFuture<Peer>> pending = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = k; i < connections; i += processes) {
            Peer p = new Peer(Peer.Role.IDLE, stats, clock, -1, 0, 0, false, null);
            client.connect(nodes.get(i % nodes.size()), p);
            pending.add(p.ready());
        }
        long ok = 0;
        for (CompletableFuture<Peer> f : pending) {
            try {
                f.get(60, TimeUnit.SECONDS);
                ok++;
            } catch (Exception e) {
                // counted as CONNECT_FAILURES by the peer
            }
        }
        r.connectNanos = System.nanoTime() - t0;
        r.viewers = ok;
        r.counters[Stats.Counter.CONNECT_FAILURES.ordinal()] = stats.get(Stats.Counter.CONNECT_FAILURES);
        Runtime.getRuntime().addShutdownHook(new Thread(client::close));
        return r;
    }

    /** VmRSS of a process, bytes, or -1. */
    static long procRss(long pid) {
        if (pid <= 0) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (Exception e) {
            System.err.println("perf: cannot read /proc/" + pid + "/status: " + e.getMessage());
        }
        return -1;
    }
}
