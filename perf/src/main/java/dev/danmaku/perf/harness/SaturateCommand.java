package dev.danmaku.perf.harness;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.danmaku.perf.harness.Stats.Counter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code perf saturate}: runs the scenario at increasing offered rates and reports the highest rate
 * at which p99 stays under the bound with nothing dropped (no errors, nothing unsent, no gaps,
 * every accepted bullet delivered to every viewer). Each step is a full run with its own report.
 */
@Command(name = "saturate", mixinStandardHelpOptions = true,
        description = "Ramp the offered rate; report the highest rate with p99 under the bound and nothing dropped.")
public final class SaturateCommand implements Callable<Integer> {
    @Mixin
    Scenario sc;

    @Option(names = "--from", paramLabel = "PER_S", description = "first offered rate (default 1000)")
    double from = 1_000;

    @Option(names = "--to", paramLabel = "PER_S", description = "stop after this rate (default 2000000)")
    double to = 2_000_000;

    @Option(names = "--factor", paramLabel = "X", description = "rate multiplier per step (default 1.5)")
    double factor = 1.5;

    @Option(names = "--refine", paramLabel = "N", description = "bisection steps between the last pass and the "
            + "first failure (default 2)")
    int refine = 2;

    @Option(names = "--p99-bound-ms", paramLabel = "MS", description = "latency bound on p99 (default 100)")
    double boundMs = 100;

    /** One step's verdict. */
    record Step(double rate, double accepted, double delivered, double p99Ms, double maxMs, long errors, long unsent,
                long gaps, boolean complete, boolean pass) {
    }

    @Override
    public Integer call() throws Exception {
        if (sc.durationS == null) {
            sc.durationS = 10;
        }
        if (sc.warmupS == null) {
            sc.warmupS = 3;
        }
        sc.resolve();
        Scenario.require(from > 0 && to >= from && factor > 1, "--from, --to, --factor: need 0 < from <= to, factor > 1");
        List<Step> steps = new ArrayList<>();
        double pass = 0;
        double fail = 0;
        for (double rate = from; rate <= to; rate *= factor) {
            Step s = step(rate, steps.size());
            steps.add(s);
            if (!s.pass) {
                fail = rate;
                break;
            }
            pass = rate;
        }
        for (int i = 0; i < refine && pass > 0 && fail > 0; i++) {
            double mid = Math.round((pass + fail) / 2);
            Step s = step(mid, steps.size());
            steps.add(s);
            if (s.pass) {
                pass = mid;
            } else {
                fail = mid;
            }
        }
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "saturate: %s%nbound: p99 <= %.1f ms, no errors, nothing unsent, no gaps, "
                + "delivered == accepted x viewers%n%n", String.join(" ", sc.args()), boundMs));
        b.append(String.format(Locale.ROOT, "%12s %12s %14s %9s %9s %8s %8s %6s %9s %5s%n", "offered/s", "accepted/s",
                "delivered/s", "p99 ms", "max ms", "errors", "unsent", "gaps", "complete", "pass"));
        ObjectNode root = PartResult.JSON.createObjectNode();
        ArrayNode arr = root.putArray("steps");
        for (Step s : steps) {
            b.append(String.format(Locale.ROOT, "%,12.0f %,12.0f %,14.0f %9.2f %9.2f %,8d %,8d %,6d %9s %5s%n", s.rate,
                    s.accepted, s.delivered, s.p99Ms, s.maxMs, s.errors, s.unsent, s.gaps, s.complete, s.pass));
            arr.add(PartResult.JSON.valueToTree(s));
        }
        b.append(String.format(Locale.ROOT, "%nsaturation: %s%n", pass > 0
                ? String.format(Locale.ROOT, "%,.0f bullets/s offered (highest passing step)", pass)
                : "no step passed"));
        root.put("saturationRatePerS", pass);
        root.put("p99BoundMs", boundMs);
        root.put("args", String.join(" ", sc.args()));
        Files.createDirectories(sc.out);
        Files.writeString(sc.out.resolve("saturate.txt"), b.toString(), StandardCharsets.UTF_8);
        Files.writeString(sc.out.resolve("saturate.json"),
                PartResult.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root), StandardCharsets.UTF_8);
        System.out.println();
        System.out.print(b);
        System.out.println("report: " + sc.out.toAbsolutePath());
        return 0;
    }

    private Step step(double rate, int index) throws Exception {
        Scenario s = sc.withRate(rate, sc.out.resolve(String.format(Locale.ROOT, "step-%02d-%.0f", index, rate)));
        Report.Target t = Runner.execute(s.target, s, System.out);
        Report.write(s.out, List.of(t), "perf run " + String.join(" ", s.args()));
        PartResult r = t.result();
        long[] m = Report.measuredSums(s, r);
        double p99 = r.latency.getValueAtPercentile(99) / 1000.0;
        boolean complete = r.get(Counter.DELIVERED) == Report.expected(s, r, false)
                && r.get(Counter.ACKED) == r.get(Counter.SENT);
        // BUSY is re-sent now (RETRIES): a step the node answered BUSY still fails, as when it counted as an error
        boolean pass = p99 <= boundMs && r.latency.getTotalCount() > 0 && r.get(Counter.ERRORS) == 0
                && r.get(Counter.RETRIES) == 0 && r.get(Counter.UNSENT) == 0 && r.get(Counter.GAPS) == 0 && complete;
        Step st = new Step(rate, m[Counter.ACKED.ordinal()] / (double) s.durationS(),
                m[Counter.DELIVERED.ordinal()] / (double) s.durationS(), p99, r.latency.getMaxValue() / 1000.0,
                r.get(Counter.ERRORS), r.get(Counter.UNSENT), r.get(Counter.GAPS), complete, pass);
        System.out.printf(Locale.ROOT, "step %,.0f/s: p99 %.2f ms, %s%n", rate, p99, pass ? "pass" : "FAIL");
        return st;
    }
}
