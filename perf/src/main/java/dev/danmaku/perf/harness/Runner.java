package dev.danmaku.perf.harness;

import dev.danmaku.perf.harness.Stats.Counter;
import org.HdrHistogram.Histogram;

import java.io.PrintStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs one scenario against one target end to end, as the coordinator: reads the node's metrics,
 * creates the rooms, starts the other generator processes, connects, starts everyone on a common
 * instant, prints the live progress line every second, merges the processes' results and reads the
 * metrics again. A child process ({@code --part > 0}) instead runs only {@link #child}.
 */
public final class Runner {
    private Runner() {
    }

    /** Coordinator: the whole run; returns what the report needs. */
    public static Report.Target execute(String name, Scenario sc, PrintStream progress) throws Exception {
        Map<String, Double> before = scrape(sc.admins);
        LoadRun.createRooms(sc);
        Parts parts = sc.processes > 1 ? Parts.spawn("run", sc.args(), sc.processes, sc.out) : null;
        try (LoadRun local = new LoadRun(sc, 0, sc.processes)) {
            local.connect();
            if (parts != null) {
                parts.awaitReady(600);
            }
            long start = System.currentTimeMillis() + 500;
            if (parts != null) {
                parts.go(start);
            }
            PartResult result = local.run(start, sec -> {
                if (progress != null && !sc.quiet) {
                    progress.println(line(name, sc, merged(sec, parts)));
                }
            });
            if (parts != null) {
                for (PartResult r : parts.results(120)) {
                    result.merge(r);
                }
            }
            Map<String, Double> after = scrape(sc.admins);
            return new Report.Target(name, sc, result, before, after);
        } finally {
            if (parts != null) {
                parts.close();
            }
        }
    }

    /** Child process k: connect, wait for GO, run, hand the result over. */
    public static void child(Scenario sc) throws Exception {
        try (LoadRun local = new LoadRun(sc, sc.part, sc.processes)) {
            local.connect();
            long start = Parts.childAwaitGo();
            PartResult r = local.run(start, Parts::childProgress);
            Parts.childResult(r, sc.out);
        }
    }

    private static PartResult.Second merged(PartResult.Second own, Parts parts) {
        if (parts == null) {
            return own;
        }
        PartResult.Second m = new PartResult.Second(own.t, own.counters.clone(), own.open, own.cpuNanos,
                own.latency.copy());
        long deadline = System.currentTimeMillis() + 300;
        while (System.currentTimeMillis() < deadline
                && parts.seconds.getOrDefault(own.t, List.of()).size() < parts.size()) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (PartResult.Second s : new ArrayList<>(parts.seconds.getOrDefault(own.t, List.of()))) {
            m.add(s);
        }
        parts.seconds.remove(own.t - 5);
        return m;
    }

    /** The live progress line. */
    static String line(String name, Scenario sc, PartResult.Second s) {
        Histogram h = s.latency;
        String phase = s.t <= sc.warmupS() ? "warm-up" : s.t <= sc.warmupS() + sc.durationS() ? "measure" : "drain";
        return String.format(Locale.ROOT,
                "%s %4ds %-7s offered %,9d/s accepted %,9d/s delivered %,11d/s p50 %7.2f ms p99 %7.2f ms "
                        + "conns %,7d errors %,d gaps %,d unsent %,d cpu %.2f cores",
                name, s.t, phase, s.get(Counter.OFFERED), s.get(Counter.ACKED), s.get(Counter.DELIVERED),
                h.getTotalCount() == 0 ? 0.0 : h.getValueAtPercentile(50) / 1000.0,
                h.getTotalCount() == 0 ? 0.0 : h.getValueAtPercentile(99) / 1000.0,
                s.open, s.get(Counter.ERRORS), s.get(Counter.GAPS), s.get(Counter.UNSENT), s.cpuNanos / 1e9);
    }

    /** The samples of every admin URL, summed key by key (a cluster's counters add up). */
    static Map<String, Double> scrape(List<URI> admins) {
        Map<String, Double> all = new LinkedHashMap<>();
        for (URI a : admins) {
            NodeAdmin.scrape(a).forEach((k, v) -> all.merge(k, v, Double::sum));
        }
        return all;
    }
}
