package dev.danmaku.router.cli;

import dev.danmaku.router.store.ClusterStore;
import dev.danmaku.router.store.RedisEndpoint;
import io.lettuce.core.RedisException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/**
 * {@code danmaku router [--redis URI] [--cluster NAME] status|plan|apply|drain}: the shard map in
 * Redis and its changes. {@code --redis} and {@code --cluster} may come before or after the
 * subcommand.
 */
@Command(name = "router", mixinStandardHelpOptions = true,
        description = {"The cluster's shard map: status, plans that change it, their application.",
                "",
                "A node joins the map only through 'plan --add' and 'apply'; the nodes follow the map."},
        subcommands = {StatusCommand.class, PlanCommand.class, ApplyCommand.class, DrainCommand.class})
public final class RouterCommand implements Callable<Integer> {
    /** Redis command timeout, ms. */
    static final long REDIS_TIMEOUT_MS = 2_000;

    @Option(names = "--redis", scope = ScopeType.INHERIT, paramLabel = "URI",
            defaultValue = "${env:DANMAKU_REDIS:-redis://127.0.0.1:6379}",
            description = "the cluster's Redis: redis://HOST:PORT or redis-cluster://HOST:PORT[,HOST:PORT] "
                    + "(default: $DANMAKU_REDIS if set, else redis://127.0.0.1:6379)")
    String redis;

    @Option(names = "--cluster", scope = ScopeType.INHERIT, paramLabel = "NAME", defaultValue = "default",
            description = "the cluster's name in that Redis (default: ${DEFAULT-VALUE})")
    String cluster;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return RouterMain.EXIT_USAGE;
    }

    /**
     * Connects to the cluster's Redis; the caller closes the store and then {@link ClusterStore#endpoint()}.
     *
     * @throws CommandFailure if Redis cannot be reached
     */
    ClusterStore open() throws CommandFailure {
        return open(spec.commandLine(), redis, cluster);
    }

    static ClusterStore open(CommandLine cl, String uri, String cluster) throws CommandFailure {
        if (!cluster.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new CommandLine.ParameterException(cl,
                    "--cluster must be 1-64 characters of A-Z a-z 0-9 . _ -, got '" + cluster + "'");
        }
        RedisEndpoint endpoint;
        try {
            endpoint = RedisEndpoint.of(uri, REDIS_TIMEOUT_MS);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--redis: " + e.getMessage());
        }
        try {
            ClusterStore store = new ClusterStore(endpoint, cluster);
            store.version();
            return store;
        } catch (RedisException e) {
            endpoint.close();
            throw new CommandFailure("cannot reach Redis at " + uri + ": " + RouterMain.describe(e).replaceFirst("^redis: ", ""));
        }
    }

    /** Closes the store and its endpoint. */
    static void close(ClusterStore store) {
        if (store != null) {
            try {
                store.close();
            } catch (RuntimeException ignored) {
                // closing after a failure: nothing more to report
            }
            store.endpoint().close();
        }
    }
}
