package dev.danmaku.perf.harness;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code perf node-flags}: the {@code --set} flags a node under load test needs. */
@Command(name = "node-flags", mixinStandardHelpOptions = true,
        description = "Print the 'bin/danmaku node' flags for a perf node: rate limits and per-address connection "
                + "limits high enough that the harness measures the engine, not its admission policy.")
public final class NodeFlagsCommand implements Callable<Integer> {
    @Option(names = "--batch-interval-ms", paramLabel = "MS", description = "batch.interval-ms to set (default: "
            + "leave the node's; the report needs it: pass the same to 'perf run --node-batch-interval-ms')")
    Long batchIntervalMs;

    /** The flags, one {@code --set KEY=VALUE} pair per element pair. */
    public static List<String> flags() {
        return List.of(
                "--set", "filter.user-rate-per-second=1000000",
                "--set", "filter.user-burst=1000000",
                "--set", "filter.ip-rate-per-second=10000000",
                "--set", "filter.ip-burst=10000000",
                "--set", "transport.max-connections-per-ip=1000000",
                "--set", "filter.timestamp-skew-ms=600000");
    }

    @Override
    public Integer call() {
        StringBuilder b = new StringBuilder();
        List<String> f = flags();
        for (int i = 0; i < f.size(); i += 2) {
            b.append(f.get(i)).append(' ').append(f.get(i + 1)).append(' ');
        }
        if (batchIntervalMs != null) {
            b.append("--set batch.interval-ms=").append(batchIntervalMs).append(' ');
        }
        System.out.println(b.toString().trim());
        System.err.println("# e.g.: taskset -c 0 bin/danmaku node " + b.toString().trim());
        System.err.println("# the harness spreads connections over 127.0.0.2-9 and sends a HEARTBEAT every "
                + Peer.HEARTBEAT_S + " s (idle-timeout-ms stays as it is)");
        return 0;
    }
}
