package dev.danmaku.perf.harness;

import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The load scenario, as command-line options (a picocli mixin shared by {@code run} and
 * {@code saturate}). Options left unset take the preset's value, then the default; {@link #resolve()}
 * fills them in and checks them. Immutable once resolved; read by every thread.
 */
public final class Scenario {
    /** Named starting points; explicit options override them. */
    public enum Preset {
        /** one big room: the fan-out path (1 room x 2,000 viewers, 10,000 bullets/s) */
        fanout(1, 0.0, 2_000, 20, 10_000, 32),
        /** many rooms with one viewer each: the ingress path (1,000 rooms, 20,000 bullets/s) */
        ingress(1_000, 0.0, 1, 200, 20_000, 1),
        /** many small rooms with Zipf popularity (500 rooms x 10 viewers on average, 5,000 bullets/s) */
        small_rooms(500, 1.0, 10, 100, 5_000, 4);

        final int rooms;
        final double zipf;
        final int viewersPerRoom;
        final int senders;
        final double rate;
        final int sample;

        Preset(int rooms, double zipf, int viewersPerRoom, int senders, double rate, int sample) {
            this.rooms = rooms;
            this.zipf = zipf;
            this.viewersPerRoom = viewersPerRoom;
            this.senders = senders;
            this.rate = rate;
            this.sample = sample;
        }

        /** Parses {@code fanout}, {@code ingress}, {@code small-rooms}. */
        public static Preset parse(String s) {
            return valueOf(s.trim().toLowerCase(Locale.ROOT).replace('-', '_'));
        }
    }

    @Option(names = "--preset", paramLabel = "NAME", description = "fanout, ingress or small-rooms (options given override it)")
    String preset;

    @Option(names = "--node", paramLabel = "URL", description = "node WebSocket URL; repeat for a cluster: room i "
            + "is first asked of node i mod n, and REDIRECT/MOVED are followed to the owner "
            + "(default ws://127.0.0.1:7000/ws)")
    List<URI> nodes = new ArrayList<>();

    @Option(names = "--admin", paramLabel = "URL", description = "node admin URL(s), e.g. http://127.0.0.1:7001: "
            + "/metrics is read at the start and the end and recorded")
    List<URI> admins = new ArrayList<>();

    @Option(names = "--rooms", paramLabel = "N", description = "rooms (default 1)")
    Integer rooms;

    @Option(names = "--zipf", paramLabel = "S", description = "Zipf exponent of room popularity, for viewers and "
            + "bullets (0 = every room alike; default 0)")
    Double zipf;

    @Option(names = "--viewers", paramLabel = "N", description = "viewers per room, on average (default 10)")
    Integer viewersPerRoom;

    @Option(names = "--senders", paramLabel = "N", description = "sender connections, each its own user (default 10)")
    Integer senders;

    @Option(names = "--rate", paramLabel = "PER_S", description = "offered bullets/s, on a fixed schedule (default 1000)")
    Double rate;

    @Option(names = "--message-bytes", paramLabel = "N", description = "content size, UTF-8 bytes, approx. (default 24)")
    Integer messageBytes;

    @Option(names = "--mix", paramLabel = "zh=N,en=N,emoji=N", description = "content mix by weight "
            + "(default zh=60,en=30,emoji=10)")
    String mix;

    @Option(names = "--duration", paramLabel = "S", description = "measured seconds, after the warm-up (default 20)")
    Integer durationS;

    @Option(names = "--warmup", paramLabel = "S", description = "seconds of load before measuring (default 5)")
    Integer warmupS;

    @Option(names = "--sample", paramLabel = "N", description = "viewers per room that decode every bullet and "
            + "record latency; the others count deliveries from BATCH headers only (default 16)")
    Integer samplePerRoom;

    @Option(names = "--source-addresses", paramLabel = "N", description = "bind connections to 127.0.0.2 .. "
            + "127.0.0.(N+1), round robin, to spread ephemeral ports (0 = let the OS choose; default 8 for a "
            + "loopback node, else 0)")
    Integer sourceAddresses;

    @Option(names = "--processes", paramLabel = "N", description = "generator processes; connections are split "
            + "between them (one process holds about 19,000 sockets) (default 1)")
    int processes = 1;

    @Option(names = "--io-threads", paramLabel = "N", description = "generator event loops per process (default: cores)")
    int ioThreads = 0;

    @Option(names = "--node-batch-interval-ms", paramLabel = "MS", description = "the node's batch.interval-ms, "
            + "recorded in the report (the node does not export its config; default: unknown)")
    long nodeBatchIntervalMs = -1;

    @Option(names = "--target", paramLabel = "NAME", description = "label of the system under test in the report "
            + "(default: node)")
    String target = "node";

    @Option(names = "--out", paramLabel = "DIR", description = "report directory (default perf-out/<time>)")
    Path out;

    @Option(names = "--room-base", paramLabel = "ID", description = "id of the first room (default 1000001)")
    long roomBase = 1_000_001L;

    @Option(names = "--user-base", paramLabel = "ID", description = "user id of the first sender (default 5000001)")
    long userBase = 5_000_001L;

    @Option(names = "--drain-ms", paramLabel = "MS", description = "after the schedule ends, wait up to this long "
            + "for outstanding ACKs and deliveries (default 3000)")
    long drainMs = 3_000;

    @Option(names = "--quiet", description = "no progress line")
    boolean quiet;

    @Option(names = "--part", hidden = true)
    int part = 0;

    // resolved values
    Preset resolvedPreset;
    double resolvedZipf;
    int[] viewersByRoom;
    int totalViewers;
    double[] roomCdf;

    /** Fills unset options from the preset and the defaults and checks them; returns this. */
    public Scenario resolve() {
        Preset p = preset == null ? null : Preset.parse(preset);
        resolvedPreset = p;
        if (nodes.isEmpty()) {
            nodes.add(URI.create("ws://127.0.0.1:7000/ws"));
        }
        if (rooms == null) {
            rooms = p != null ? p.rooms : 1;
        }
        if (zipf == null) {
            zipf = p != null ? p.zipf : 0.0;
        }
        if (viewersPerRoom == null) {
            viewersPerRoom = p != null ? p.viewersPerRoom : 10;
        }
        if (senders == null) {
            senders = p != null ? p.senders : 10;
        }
        if (rate == null) {
            rate = p != null ? p.rate : 1_000.0;
        }
        if (samplePerRoom == null) {
            samplePerRoom = p != null ? p.sample : 16;
        }
        if (messageBytes == null) {
            messageBytes = 24;
        }
        if (mix == null) {
            mix = "zh=60,en=30,emoji=10";
        }
        if (durationS == null) {
            durationS = 20;
        }
        if (warmupS == null) {
            warmupS = 5;
        }
        if (sourceAddresses == null) {
            sourceAddresses = loopback(nodes.get(0)) ? 8 : 0;
        }
        if (ioThreads <= 0) {
            ioThreads = Runtime.getRuntime().availableProcessors();
        }
        if (out == null) {
            out = Path.of("perf-out", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        }
        require(rooms >= 1, "--rooms must be at least 1");
        require(viewersPerRoom >= 0, "--viewers must not be negative");
        require(senders >= 1, "--senders must be at least 1");
        require(rate > 0, "--rate must be positive");
        require(messageBytes >= 1 && messageBytes <= 400, "--message-bytes must be 1..400");
        require(durationS >= 1, "--duration must be at least 1 s");
        require(warmupS >= 0, "--warmup must not be negative");
        require(processes >= 1, "--processes must be at least 1");
        require(sourceAddresses >= 0 && sourceAddresses <= 250, "--source-addresses must be 0..250");
        MessageMix.parseWeights(mix); // fails early on a bad mix
        for (URI u : nodes) {
            require("ws".equals(u.getScheme()) && u.getPort() > 0, "--node must look like ws://HOST:PORT/ws: " + u);
        }
        double[] w = new double[rooms];
        double sum = 0;
        for (int r = 0; r < rooms; r++) {
            w[r] = 1.0 / Math.pow(r + 1, zipf);
            sum += w[r];
        }
        roomCdf = new double[rooms];
        viewersByRoom = new int[rooms];
        double c = 0;
        long total = (long) rooms * viewersPerRoom;
        totalViewers = 0;
        for (int r = 0; r < rooms; r++) {
            c += w[r] / sum;
            roomCdf[r] = c;
            viewersByRoom[r] = viewersPerRoom == 0 ? 0 : (int) Math.max(1, Math.round(total * w[r] / sum));
            totalViewers += viewersByRoom[r];
        }
        roomCdf[rooms - 1] = 1.0;
        resolvedZipf = zipf;
        return this;
    }

    private static boolean loopback(URI u) {
        String h = u.getHost();
        return h != null && (h.startsWith("127.") || h.equals("localhost"));
    }

    static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** The room index of bullet {@code i}: a fixed hash of i through the popularity CDF. */
    public int roomOf(long i) {
        if (rooms == 1) {
            return 0;
        }
        double u = (mix64(i) >>> 11) * 0x1.0p-53;
        int lo = 0;
        int hi = rooms - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (roomCdf[mid] < u) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    static long mix64(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    public long roomId(int roomIndex) {
        return roomBase + roomIndex;
    }

    /** The node a room is first asked of (room index mod nodes); in a cluster its REDIRECT names the owner. */
    public URI nodeOf(int roomIndex) {
        return nodes.get(roomIndex % nodes.size());
    }

    public int rooms() {
        return rooms;
    }

    public double rate() {
        return rate;
    }

    public int senders() {
        return senders;
    }

    public int durationS() {
        return durationS;
    }

    public int warmupS() {
        return warmupS;
    }

    public int sampled(int roomIndex) {
        return Math.min(samplePerRoom, viewersByRoom[roomIndex]);
    }

    /** A copy with another offered rate (saturate's steps). */
    public Scenario withRate(double newRate, Path newOut) {
        return copy(newRate, newOut, nodes, admins, target);
    }

    /** A copy aimed at other nodes (the baseline server), labelled {@code newTarget}. */
    public Scenario withTarget(List<URI> newNodes, List<URI> newAdmins, String newTarget) {
        return copy(rate, out, newNodes, newAdmins, newTarget);
    }

    private Scenario copy(double newRate, Path newOut, List<URI> newNodes, List<URI> newAdmins, String newTarget) {
        Scenario s = new Scenario();
        s.preset = preset;
        s.nodes = new ArrayList<>(newNodes);
        s.admins = new ArrayList<>(newAdmins);
        s.rooms = rooms;
        s.zipf = zipf;
        s.viewersPerRoom = viewersPerRoom;
        s.senders = senders;
        s.rate = newRate;
        s.messageBytes = messageBytes;
        s.mix = mix;
        s.durationS = durationS;
        s.warmupS = warmupS;
        s.samplePerRoom = samplePerRoom;
        s.sourceAddresses = sourceAddresses;
        s.processes = processes;
        s.ioThreads = ioThreads;
        s.nodeBatchIntervalMs = nodeBatchIntervalMs;
        s.target = newTarget;
        s.out = newOut;
        s.roomBase = roomBase;
        s.userBase = userBase;
        s.drainMs = drainMs;
        s.quiet = quiet;
        s.part = part;
        return s.resolve();
    }

    /** The options that reproduce this scenario (for child processes and the report). */
    public List<String> args() {
        List<String> a = new ArrayList<>();
        for (URI n : nodes) {
            a.add("--node=" + n);
        }
        a.add("--rooms=" + rooms);
        a.add("--zipf=" + zipf);
        a.add("--viewers=" + viewersPerRoom);
        a.add("--senders=" + senders);
        a.add("--rate=" + rate);
        a.add("--message-bytes=" + messageBytes);
        a.add("--mix=" + mix);
        a.add("--duration=" + durationS);
        a.add("--warmup=" + warmupS);
        a.add("--sample=" + samplePerRoom);
        a.add("--source-addresses=" + sourceAddresses);
        a.add("--processes=" + processes);
        a.add("--io-threads=" + ioThreads);
        a.add("--node-batch-interval-ms=" + nodeBatchIntervalMs);
        a.add("--target=" + target);
        a.add("--room-base=" + roomBase);
        a.add("--user-base=" + userBase);
        a.add("--drain-ms=" + drainMs);
        return a;
    }
}
