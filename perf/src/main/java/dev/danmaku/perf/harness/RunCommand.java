package dev.danmaku.perf.harness;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code perf run}: one scenario against the node(s), optionally the naive baseline in the same run. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Offer a fixed-rate bullet load to a node over real WebSocket connections and report latency "
                + "(receive - intended send time), ingress, egress, errors, gaps and the generator's CPU.",
            "Start the node with high rate limits first: see 'perf node-flags'."})
public final class RunCommand implements Callable<Integer> {
    @Mixin
    Scenario sc;

    @Option(names = "--baseline", description = "after the node, run the same scenario against the naive baseline "
            + "server (in this process unless --baseline-url) and report both side by side")
    boolean baseline;

    @Option(names = "--baseline-url", paramLabel = "URL", description = "an external 'perf baseline-server' "
            + "(pin it like the node), e.g. ws://127.0.0.1:7100/ws; implies --baseline")
    URI baselineUrl;

    @Option(names = "--baseline-only", description = "measure only the baseline server")
    boolean baselineOnly;

    @Override
    public Integer call() throws Exception {
        sc.resolve();
        if (sc.part > 0) {
            Runner.child(sc);
            return 0;
        }
        List<Report.Target> targets = new ArrayList<>();
        if (!baselineOnly) {
            targets.add(Runner.execute(sc.target, sc, System.out));
        }
        if (baseline || baselineUrl != null || baselineOnly) {
            BaselineServer local = null;
            URI url = baselineUrl;
            if (url == null) {
                local = BaselineServer.start("127.0.0.1", 0, 0);
                url = URI.create("ws://127.0.0.1:" + local.port() + "/ws");
            }
            try {
                Scenario b = sc.withTarget(List.of(url), List.of(), "baseline");
                targets.add(Runner.execute("baseline", b, System.out));
            } finally {
                if (local != null) {
                    local.close();
                }
            }
        }
        Report.write(sc.out, targets, "perf run " + String.join(" ", sc.args())
                + (baselineOnly ? " --baseline-only" : baseline || baselineUrl != null ? " --baseline" : ""));
        System.out.println();
        System.out.print(Files.readString(sc.out.resolve("report.txt"), StandardCharsets.UTF_8));
        System.out.println("report: " + sc.out.toAbsolutePath() + " (report.txt, summary.json, *.hgrm, latency.svg)");
        return 0;
    }
}
