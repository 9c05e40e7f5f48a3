package dev.danmaku.perf.harness;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.danmaku.codec.ErrorCode;
import dev.danmaku.perf.harness.Stats.Counter;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Turns a run's merged {@link PartResult} into the report files in {@code --out DIR}:
 * {@code report.txt} (what was run, rates, the percentile table, the checks),
 * {@code <target>.hgrm} (the full distribution, ms), {@code summary.json} (every number, and
 * one entry per second) and {@code latency.svg} (latency by percentile, every target of the run
 * on one plot). Runs on the caller's thread after the load has stopped.
 */
public final class Report {
    /** Percentiles of the table. */
    public static final double[] PERCENTILES = {50, 90, 99, 99.9, 99.99};

    /** One measured target of a run (the node, the baseline server) and what it measured. */
    public record Target(String name, Scenario scenario, PartResult result, Map<String, Double> nodeBefore,
                         Map<String, Double> nodeAfter) {
    }

    private Report() {
    }

    /** Writes every report file for {@code targets} into {@code dir}; returns the summary JSON. */
    public static ObjectNode write(Path dir, List<Target> targets, String command) throws IOException {
        Files.createDirectories(dir);
        ObjectNode root = PartResult.JSON.createObjectNode();
        root.put("command", command);
        root.put("startedAt", Instant.now().toString());
        root.set("environment", environment());
        ArrayNode runs = root.putArray("targets");
        StringBuilder txt = new StringBuilder();
        txt.append("danmaku perf report\n").append("command: ").append(command).append('\n');
        txt.append("environment: ").append(root.get("environment").toString()).append("\n\n");
        for (Target t : targets) {
            ObjectNode s = summary(t);
            runs.add(s);
            writeHgrm(dir.resolve(t.name() + ".hgrm"), t.result().latency);
            txt.append(text(t, s)).append('\n');
        }
        if (targets.size() > 1) {
            txt.append(comparison(targets)).append('\n');
        }
        Files.writeString(dir.resolve("report.txt"), txt.toString(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("summary.json"),
                PartResult.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("latency.svg"), svg(targets), StandardCharsets.UTF_8);
        return root;
    }

    static ObjectNode environment() {
        ObjectNode e = PartResult.JSON.createObjectNode();
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        e.put("cores", Runtime.getRuntime().availableProcessors());
        e.put("memoryBytes", os.getTotalMemorySize());
        e.put("loadAverage", os.getSystemLoadAverage());
        e.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        e.put("jvmFlags", String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
        e.put("gitCommit", gitCommit());
        return e;
    }

    private static String gitCommit() {
        try {
            Process p = new ProcessBuilder("git", "rev-parse", "--short", "HEAD").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : "unknown";
        } catch (Exception e) {
            return "unknown";
        }
    }

    /** Expected deliveries: accepted bullets of each room times that room's viewers (or sampled viewers). */
    static long expected(Scenario sc, PartResult r, boolean sampledOnly) {
        long sum = 0;
        for (int i = 0; i < sc.rooms(); i++) {
            sum += r.acceptedByRoom[i] * (sampledOnly ? sc.sampled(i) : sc.viewersByRoom[i]);
        }
        return sum;
    }

    static ObjectNode summary(Target t) {
        Scenario sc = t.scenario();
        PartResult r = t.result();
        ObjectNode s = PartResult.JSON.createObjectNode();
        s.put("target", t.name());
        ObjectNode scen = s.putObject("scenario");
        scen.put("preset", sc.resolvedPreset == null ? null : sc.resolvedPreset.name().replace('_', '-'));
        scen.put("nodes", sc.nodes.toString());
        scen.put("rooms", sc.rooms());
        scen.put("zipf", sc.resolvedZipf);
        scen.put("viewersPerRoom", sc.viewersPerRoom);
        scen.put("viewers", sc.totalViewers);
        scen.put("senders", sc.senders());
        scen.put("offeredRatePerS", sc.rate());
        scen.put("messageBytes", sc.messageBytes);
        scen.put("mix", sc.mix);
        scen.put("warmupS", sc.warmupS());
        scen.put("durationS", sc.durationS());
        scen.put("samplePerRoom", sc.samplePerRoom);
        scen.put("processes", sc.processes);
        scen.put("sourceAddresses", sc.sourceAddresses);
        scen.put("args", String.join(" ", sc.args()));

        ObjectNode conns = s.putObject("connections");
        conns.put("viewers", r.viewers);
        conns.put("sampledViewers", r.sampledViewers);
        conns.put("senderConnections", r.senderConnections);
        conns.put("maxOpen", r.maxOpen);
        conns.put("connectSeconds", r.connectNanos / 1e9);
        conns.put("connectRatePerS", r.connectNanos == 0 ? 0 : (r.viewers + r.senderConnections) / (r.connectNanos / 1e9));

        ObjectNode counts = s.putObject("counts");
        for (Counter c : Counter.values()) {
            counts.put(c.key, r.get(c));
        }
        long expected = expected(sc, r, false);
        long expectedSampled = expected(sc, r, true);
        counts.put("expectedDelivered", expected);
        counts.put("expectedDeliveredSampled", expectedSampled);
        // the loss check: rooms where a viewer ends behind the last ACKed bullet of some epoch (0 expected)
        counts.put("ackedNotDelivered", r.delivery.roomsBehind());
        counts.put("ackedNotDeliveredBullets", r.delivery.bulletsBehind());
        ObjectNode errors = s.putObject("errorsByCode");
        for (int code = 0; code < r.errors.length; code++) {
            if (r.errors[code] > 0) {
                errors.put(code + " " + errorName(code), r.errors[code]);
            }
        }
        ObjectNode retried = s.putObject("retriesByCode");
        for (int code = 0; code < r.retried.length; code++) {
            if (r.retried[code] > 0) {
                retried.put(code + " " + errorName(code), r.retried[code]);
            }
        }

        ObjectNode rates = s.putObject("ratesPerS");
        long[] measured = measuredSums(sc, r);
        double d = sc.durationS();
        rates.put("offered", measured[Counter.OFFERED.ordinal()] / d);
        rates.put("accepted", measured[Counter.ACKED.ordinal()] / d);
        rates.put("delivered", measured[Counter.DELIVERED.ordinal()] / d);
        rates.put("note", "ingress = ACKs received per second, egress = bullets delivered per second counting each "
                + "viewer (from BATCH headers), both over the measured seconds (after the warm-up)");

        Histogram h = r.latency;
        ObjectNode lat = s.putObject("latencyMs");
        for (double p : PERCENTILES) {
            lat.put("p" + trim(p), h.getValueAtPercentile(p) / 1000.0);
        }
        lat.put("max", h.getMaxValue() / 1000.0);
        lat.put("mean", h.getMean() / 1000.0);
        lat.put("samples", h.getTotalCount());
        lat.put("definition", "viewer receive time - intended send time (fixed schedule; coordinated omission "
                + "corrected); the timestamp is in ms, so each value is high by < 1 ms");
        lat.put("sampling", "latency is measured on " + r.sampledViewers + " of " + r.viewers
                + " viewers (up to " + sc.samplePerRoom + " per room) that decode every batch; the others count "
                + "deliveries from BATCH headers only");

        ObjectNode gen = s.putObject("generator");
        gen.put("processes", r.processes);
        gen.put("cpuSeconds", r.cpuNanos / 1e9);
        gen.put("coresUsed", r.wallNanos == 0 ? 0 : (double) r.cpuNanos / r.wallNanos);

        ObjectNode node = s.putObject("node");
        node.put("batchIntervalMs", sc.nodeBatchIntervalMs >= 0 ? Long.toString(sc.nodeBatchIntervalMs) : "unknown");
        if (t.nodeBefore() != null && !t.nodeBefore().isEmpty()) {
            ObjectNode delta = node.putObject("metricsDelta");
            for (Map.Entry<String, Double> e : t.nodeAfter().entrySet()) {
                String k = e.getKey();
                if (k.startsWith("danmaku_") && !k.contains("_bucket")) {
                    double before = t.nodeBefore().getOrDefault(k, 0.0);
                    delta.put(k, e.getValue() - (k.contains("_total") || k.endsWith("_count") || k.endsWith("_sum")
                            ? before : 0));
                }
            }
            node.put("heapUsedBytesEnd", NodeAdmin.heapUsed(t.nodeAfter()));
            node.put("rssBytesEnd", NodeAdmin.rss(t.nodeAfter()));
            double count = NodeAdmin.sum(t.nodeAfter(), "danmaku_batch_delay_seconds_count", null)
                    - NodeAdmin.sum(t.nodeBefore(), "danmaku_batch_delay_seconds_count", null);
            double sum = NodeAdmin.sum(t.nodeAfter(), "danmaku_batch_delay_seconds_sum", null)
                    - NodeAdmin.sum(t.nodeBefore(), "danmaku_batch_delay_seconds_sum", null);
            node.put("meanBatchDelayMs", count > 0 ? sum / count * 1000 : 0);
        }

        ObjectNode checks = s.putObject("checks");
        long accepted = r.get(Counter.ACKED);
        checks.put("acceptedPlusErrorsEqualsSent", accepted + r.get(Counter.ERRORS) == r.get(Counter.SENT));
        checks.put("deliveredEqualsAcceptedTimesViewers", r.get(Counter.DELIVERED) == expected);
        checks.put("sampledDeliveredEqualsAcceptedTimesSampledViewers", r.get(Counter.DELIVERED_SAMPLED) == expectedSampled);
        checks.put("noErrors", r.get(Counter.ERRORS) == 0);
        checks.put("noGaps", r.get(Counter.GAPS) == 0);
        checks.put("noDisconnects", r.get(Counter.DISCONNECTS) == 0);
        checks.put("nothingUnsent", r.get(Counter.UNSENT) == 0);
        checks.put("ackedAllDelivered", r.delivery.roomsBehind() == 0);
        checks.put("noDuplicates", r.get(Counter.DUPLICATES) == 0);
        checks.put("noEpochChanges", r.get(Counter.EPOCH_CHANGES) == 0);
        if (t.nodeBefore() != null && !t.nodeBefore().isEmpty()) {
            double nodeAccepted = NodeAdmin.sum(t.nodeAfter(), "danmaku_bullets_accepted_total", null)
                    - NodeAdmin.sum(t.nodeBefore(), "danmaku_bullets_accepted_total", null);
            checks.put("nodeAcceptedEqualsAcks", (long) nodeAccepted == accepted);
        }

        ArrayNode per = s.putArray("perSecond");
        for (PartResult.Second sec : r.seconds) {
            ObjectNode o = per.addObject();
            o.put("t", sec.t);
            o.put("measured", sec.t > sc.warmupS() && sec.t <= sc.warmupS() + sc.durationS());
            o.put("offered", sec.get(Counter.OFFERED));
            o.put("accepted", sec.get(Counter.ACKED));
            o.put("delivered", sec.get(Counter.DELIVERED));
            o.put("errors", sec.get(Counter.ERRORS));
            o.put("gaps", sec.get(Counter.GAPS));
            o.put("duplicates", sec.get(Counter.DUPLICATES));
            o.put("disconnects", sec.get(Counter.DISCONNECTS));
            o.put("reconnects", sec.get(Counter.RECONNECTS));
            o.put("moved", sec.get(Counter.MOVED));
            o.put("resumes", sec.get(Counter.RESUMES));
            o.put("redirectsFollowed", sec.get(Counter.REDIRECTS_FOLLOWED));
            o.put("open", sec.open);
            o.put("generatorCores", sec.cpuNanos / 1e9);
            o.put("p50Ms", sec.latency.getTotalCount() == 0 ? 0 : sec.latency.getValueAtPercentile(50) / 1000.0);
            o.put("p99Ms", sec.latency.getTotalCount() == 0 ? 0 : sec.latency.getValueAtPercentile(99) / 1000.0);
            o.put("maxMs", sec.latency.getMaxValue() / 1000.0);
        }
        return s;
    }

    /** Sums of the counters over the measured seconds (warm-up excluded). */
    static long[] measuredSums(Scenario sc, PartResult r) {
        long[] sum = new long[Counter.values().length];
        for (PartResult.Second s : r.seconds) {
            if (s.t > sc.warmupS() && s.t <= sc.warmupS() + sc.durationS()) {
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += s.counters[i];
                }
            }
        }
        return sum;
    }

    static String errorName(int code) {
        if (code == 990) {
            return "REDIRECT_NOT_FOLLOWED";
        }
        if (code == 998) {
            return "LINK_LOST";
        }
        if (code == 999) {
            return "UNEXPECTED_WEBSOCKET_FRAME";
        }
        ErrorCode c = ErrorCode.of(code);
        return c == null ? "UNKNOWN" : c.name();
    }

    private static String trim(double p) {
        return p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p);
    }

    private static String text(Target t, ObjectNode s) {
        StringBuilder b = new StringBuilder();
        Formatter f = new Formatter(b);
        f.line("== %s ==", t.name());
        f.line("scenario: %s", s.get("scenario").get("args").asText());
        ObjectNode c = (ObjectNode) s.get("counts");
        ObjectNode rates = (ObjectNode) s.get("ratesPerS");
        f.line("rates over the %d measured s: offered %,.0f/s, accepted (ingress) %,.0f/s, delivered (egress, each viewer) %,.0f/s",
                t.scenario().durationS(), rates.get("offered").asDouble(), rates.get("accepted").asDouble(),
                rates.get("delivered").asDouble());
        f.line("totals: offered %,d, sent %,d, unsent %,d, accepted %,d, delivered %,d (expected %,d), sampled delivered %,d (expected %,d)",
                c.get("offered").asLong(), c.get("sent").asLong(), c.get("unsent").asLong(), c.get("accepted").asLong(),
                c.get("delivered").asLong(), c.get("expectedDelivered").asLong(), c.get("deliveredSampled").asLong(),
                c.get("expectedDeliveredSampled").asLong());
        f.line("errors %,d %s, gaps %,d (%,d bullets), disconnects %,d, reconnects %,d, connect failures %,d",
                c.get("errors").asLong(), s.get("errorsByCode").toString(), c.get("gaps").asLong(),
                c.get("gapBullets").asLong(), c.get("disconnects").asLong(), c.get("reconnects").asLong(),
                c.get("connectFailures").asLong());
        f.line("cluster: moved %,d, redirects followed %,d, resumes %,d, not recovered %,d, epoch changes %,d, "
                        + "retries %,d %s, duplicates %,d, RETRY acks %,d, repeated acks %,d, late answers %,d",
                c.get("moved").asLong(), c.get("redirectsFollowed").asLong(), c.get("resumes").asLong(),
                c.get("notRecovered").asLong(), c.get("epochChanges").asLong(), c.get("retries").asLong(),
                s.get("retriesByCode").toString(), c.get("duplicates").asLong(), c.get("acceptedRetry").asLong(),
                c.get("acksRepeated").asLong(), c.get("lateAnswers").asLong());
        f.line("acked_not_delivered: %,d rooms (%,d bullets) where a viewer ends behind the last ACKed bullet "
                        + "after the drain%s", c.get("ackedNotDelivered").asLong(),
                c.get("ackedNotDeliveredBullets").asLong(), c.get("ackedNotDelivered").asLong() == 0 ? ""
                        : ": " + t.result().delivery.describeBehind(5, t.scenario()));
        ObjectNode conns = (ObjectNode) s.get("connections");
        f.line("connections: %,d viewers (%,d sampled), %,d sender connections, opened in %.1f s",
                conns.get("viewers").asLong(), conns.get("sampledViewers").asLong(),
                conns.get("senderConnections").asLong(), conns.get("connectSeconds").asDouble());
        ObjectNode gen = (ObjectNode) s.get("generator");
        f.line("generator: %d process(es), %.1f CPU s, %.2f cores", gen.get("processes").asInt(),
                gen.get("cpuSeconds").asDouble(), gen.get("coresUsed").asDouble());
        ObjectNode node = (ObjectNode) s.get("node");
        f.line("node: batch interval %s ms%s", node.get("batchIntervalMs").asText(),
                node.has("meanBatchDelayMs") ? String.format(Locale.ROOT, ", mean batch delay %.2f ms (from /metrics)",
                        node.get("meanBatchDelayMs").asDouble()) : "");
        ObjectNode lat = (ObjectNode) s.get("latencyMs");
        f.line("latency (ms): %s", lat.get("definition").asText());
        f.line("  %s", lat.get("sampling").asText());
        if (lat.get("samples").asLong() == 0) {
            f.line("  no latency samples: no measured bullet reached a sampled viewer before the drain ended");
        }
        f.line("  %10s %10s %10s %10s %10s %10s %12s", "p50", "p90", "p99", "p99.9", "p99.99", "max", "samples");
        f.line("  %10.2f %10.2f %10.2f %10.2f %10.2f %10.2f %,12d", lat.get("p50").asDouble(), lat.get("p90").asDouble(),
                lat.get("p99").asDouble(), lat.get("p99.9").asDouble(), lat.get("p99.99").asDouble(),
                lat.get("max").asDouble(), lat.get("samples").asLong());
        f.line("checks: %s", s.get("checks").toString());
        return b.toString();
    }

    private static String comparison(List<Target> targets) {
        StringBuilder b = new StringBuilder("== side by side ==\n");
        b.append(String.format(Locale.ROOT, "%-10s %12s %14s %9s %9s %9s %9s %9s%n", "target", "accepted/s",
                "delivered/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "cores"));
        for (Target t : targets) {
            PartResult r = t.result();
            long[] m = measuredSums(t.scenario(), r);
            double d = t.scenario().durationS();
            b.append(String.format(Locale.ROOT, "%-10s %,12.0f %,14.0f %9.2f %9.2f %9.2f %9.2f %9.2f%n", t.name(),
                    m[Counter.ACKED.ordinal()] / d, m[Counter.DELIVERED.ordinal()] / d,
                    r.latency.getValueAtPercentile(50) / 1000.0, r.latency.getValueAtPercentile(99) / 1000.0,
                    r.latency.getValueAtPercentile(99.9) / 1000.0, r.latency.getMaxValue() / 1000.0,
                    r.wallNanos == 0 ? 0 : (double) r.cpuNanos / r.wallNanos));
        }
        return b.toString();
    }

    static void writeHgrm(Path file, Histogram h) throws IOException {
        try (PrintStream out = new PrintStream(Files.newOutputStream(file), false, StandardCharsets.UTF_8)) {
            out.println("# latency, ms: viewer receive time - intended send time");
            h.outputPercentileDistribution(out, 5, 1000.0);
        }
    }

    /** Latency by percentile, log scale on 1/(1-p) like HdrHistogram's plotter; one line per target. */
    static String svg(List<Target> targets) {
        int w = 900;
        int hgt = 520;
        int left = 70;
        int right = 160;
        int top = 40;
        int bottom = 60;
        double maxX = 1e5; // 99.999 %
        double maxY = 1;
        List<List<double[]>> series = new ArrayList<>();
        for (Target t : targets) {
            List<double[]> pts = new ArrayList<>();
            Histogram h = t.result().latency;
            if (h.getTotalCount() > 0) {
                for (HistogramIterationValue v : h.percentiles(5)) {
                    double p = v.getPercentileLevelIteratedTo() / 100.0;
                    double x = p >= 1 ? maxX : Math.min(maxX, 1 / (1 - p));
                    double y = v.getValueIteratedTo() / 1000.0;
                    pts.add(new double[] {x, y});
                    maxY = Math.max(maxY, y);
                }
            }
            series.add(pts);
        }
        maxY = niceCeil(maxY);
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">%n", w, hgt));
        b.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"15\">Latency by percentile "
                + "(receive - intended send time, ms)</text>%n", left));
        int pw = w - left - right;
        int ph = hgt - top - bottom;
        String[] labels = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"};
        for (int i = 0; i <= 5; i++) {
            double x = left + pw * i / 5.0;
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>%n",
                    x, top, x, top + ph));
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", x,
                    top + ph + 18, labels[i]));
        }
        for (int i = 0; i <= 5; i++) {
            double y = top + ph - ph * i / 5.0;
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n",
                    left, y, left + pw, y));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", left - 6,
                    y + 4, fmt(maxY * i / 5.0)));
        }
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">percentile</text>%n",
                left + pw / 2, hgt - 15));
        String[] colors = {"#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd"};
        for (int s = 0; s < series.size(); s++) {
            StringBuilder path = new StringBuilder();
            for (double[] p : series.get(s)) {
                double x = left + pw * Math.log10(Math.max(1, p[0])) / 5.0;
                double y = top + ph - ph * Math.min(p[1], maxY) / maxY;
                path.append(path.length() == 0 ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", x, y));
            }
            String color = colors[s % colors.length];
            if (path.length() > 0) {
                b.append(String.format(Locale.ROOT, "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n",
                        path, color));
            }
            Histogram h = targets.get(s).result().latency;
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s: p99 %s ms</text>%n",
                    left + pw + 10, top + 20 + 20 * s, color, esc(targets.get(s).name()),
                    fmt(h.getValueAtPercentile(99) / 1000.0)));
        }
        b.append("</svg>\n");
        return b.toString();
    }

    private static double niceCeil(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String fmt(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;");
    }

    /** Small printf-to-line helper. */
    private record Formatter(StringBuilder b) {
        void line(String format, Object... args) {
            b.append(String.format(Locale.ROOT, format, args)).append('\n');
        }
    }

    /** A map of the percentile table, for callers that print it. */
    public static Map<String, Double> table(Histogram h) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (double p : PERCENTILES) {
            m.put("p" + trim(p), h.getValueAtPercentile(p) / 1000.0);
        }
        m.put("max", h.getMaxValue() / 1000.0);
        return m;
    }
}
