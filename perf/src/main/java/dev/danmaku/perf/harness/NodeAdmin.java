package dev.danmaku.perf.harness;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a node's admin {@code /metrics} (Prometheus text) into name{labels} -> value, so a report
 * can record the node's own counters at the start and the end of a run. Comment lines are skipped.
 */
public final class NodeAdmin {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private NodeAdmin() {
    }

    /** The samples of {@code admin}/metrics; empty when the node does not answer. */
    public static Map<String, Double> scrape(URI admin) {
        Map<String, Double> m = new LinkedHashMap<>();
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(admin.resolve("/metrics"))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return m;
            }
            parse(r.body(), m);
        } catch (Exception e) {
            System.err.println("perf: cannot read " + admin + "/metrics: " + e.getMessage());
        } 
        return m;
    }

    static void parse(String text, Map<String, Double> into) {
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int sp = line.lastIndexOf(' ');
            if (sp <= 0) {
                continue;
            }
            try {
                into.put(line.substring(0, sp), Double.parseDouble(line.substring(sp + 1)));
            } catch (NumberFormatException ignored) {
                // not a sample
            }
        }
    }

    /** Sum over every sample whose name (before labels) is {@code name}, optionally with a label filter. */
    public static double sum(Map<String, Double> m, String name, String labelContains) {
        double s = 0;
        for (Map.Entry<String, Double> e : m.entrySet()) {
            String k = e.getKey();
            int brace = k.indexOf('{');
            String base = brace < 0 ? k : k.substring(0, brace);
            if (base.equals(name) && (labelContains == null || k.contains(labelContains))) {
                s += e.getValue();
            }
        }
        return s;
    }

    /** The node's heap in use, bytes (jvm_memory_used_bytes{area="heap"}), or -1. */
    public static double heapUsed(Map<String, Double> m) {
        double v = sum(m, "jvm_memory_used_bytes", "area=\"heap\"");
        return m.isEmpty() ? -1 : v;
    }

    /** The node's resident set, bytes (process_resident_memory_bytes), or -1. */
    public static double rss(Map<String, Double> m) {
        Double v = m.get("process_resident_memory_bytes");
        return v == null ? -1 : v;
    }
}
