package dev.danmaku.engine;

import dev.danmaku.engine.config.ConfigException;
import dev.danmaku.engine.config.ConfigKey;
import dev.danmaku.engine.config.NodeConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code danmaku node}: starts a node on the embedded defaults (config/node.yaml documents them),
 * a config file, and flags, in that order of precedence (flags win). SIGTERM or Ctrl-C shut it
 * down gracefully. Exit codes: 0 after a clean shutdown, 1 if it cannot start, 2 usage error.
 */
@Command(name = "danmaku node", mixinStandardHelpOptions = true, version = "danmaku 0.1.0",
        description = "Start a danmaku node (WebSocket on --ws-port, admin HTTP on --admin-port).",
        subcommands = {ReplayCommand.class})
public final class NodeMain implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "YAML config (see config/node.yaml)")
    Path config;

    @Option(names = "--ws-port", paramLabel = "N", description = "WebSocket port (default 7000)")
    Integer wsPort;

    @Option(names = "--admin-port", paramLabel = "N", description = "admin HTTP port (default 7001)")
    Integer adminPort;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "journal directory (default ./data)")
    Path dataDir;

    @Option(names = "--redis", paramLabel = "URI",
            description = "Redis for the sink, shared bans and quota: redis://HOST:PORT or redis-cluster://HOST:PORT[,HOST:PORT]")
    String redis;

    @Option(names = "--cluster", paramLabel = "URI",
            description = "join the cluster whose map is in this Redis (sets cluster.redis-uri; docs/cluster.md)")
    String cluster;

    @Option(names = "--cluster-name", paramLabel = "NAME", description = "the cluster's name (default: default)")
    String clusterName;

    @Option(names = "--node-id", paramLabel = "ID", description = "this node's id in the cluster (sets node.id)")
    String nodeId;

    @Option(names = "--advertise", paramLabel = "URL",
            description = "the WebSocket URL other nodes redirect clients to (default ws://HOST:PORT/ws)")
    String advertise;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "set any config key, e.g. --set batch.interval-ms=0")
    java.util.List<String> settings = new java.util.ArrayList<>();

    @Option(names = "--print-config", description = "print every key with its value and exit")
    boolean printConfig;

    @Option(names = "--kafka", paramLabel = "HOST:PORT[,HOST:PORT]",
            description = "feed the journal to this Kafka cluster (sets kafka.bootstrap-servers)")
    String kafka;

    @Override
    public Integer call() throws Exception {
        NodeConfig cfg;
        try {
            NodeConfig.Builder b = NodeConfig.builder();
            if (config != null) {
                if (!Files.isReadable(config)) {
                    System.err.println("error: cannot read config file " + config);
                    return 1;
                }
                b.load(config);
            }
            if (wsPort != null) {
                b.set(NodeConfig.WS_PORT.name(), wsPort.toString(), "--ws-port");
            }
            if (adminPort != null) {
                b.set(NodeConfig.ADMIN_PORT.name(), adminPort.toString(), "--admin-port");
            }
            if (dataDir != null) {
                b.set(NodeConfig.DATA_DIR.name(), dataDir.toString(), "--data-dir");
            }
            if (redis != null) {
                b.set(NodeConfig.REDIS_URI.name(), redis, "--redis");
            }
            if (kafka != null) {
                b.set(NodeConfig.KAFKA_BOOTSTRAP.name(), kafka, "--kafka");
            }
            if (cluster != null) {
                b.set(NodeConfig.CLUSTER_REDIS.name(), cluster, "--cluster");
            }
            if (clusterName != null) {
                b.set(NodeConfig.CLUSTER_NAME.name(), clusterName, "--cluster-name");
            }
            if (nodeId != null) {
                b.set(NodeConfig.NODE_ID.name(), nodeId, "--node-id");
            }
            if (advertise != null) {
                b.set(NodeConfig.CLUSTER_ADDRESS.name(), advertise, "--advertise");
            }
            for (String s : settings) {
                int eq = s.indexOf('=');
                if (eq <= 0) {
                    System.err.println("error: --set expects KEY=VALUE, got '" + s + "'");
                    return 2;
                }
                b.set(s.substring(0, eq).trim(), s.substring(eq + 1), "--set");
            }
            cfg = b.build();
            checkCluster(cfg);
        } catch (ConfigException | IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return 1;
        }
        if (printConfig) {
            for (ConfigKey<?> k : NodeConfig.KEYS) {
                System.out.println(k.name() + " = " + cfg.get(k));
            }
            return 0;
        }
        Node node;
        try {
            node = Node.start(cfg);
        } catch (java.net.BindException e) {
            System.err.println("error: cannot listen: " + e.getMessage() + " (is another node running? use --ws-port/--admin-port)");
            return 1;
        } catch (Exception e) {
            System.err.println("error: node failed to start: " + e);
            return 1;
        }
        // SIGTERM/SIGINT are handled here rather than by the JVM, whose default handler exits with
        // 128 + signal (143) even after a clean shutdown hook; the hook stays for other exits.
        CountDownLatch stop = new CountDownLatch(1);
        for (String signal : new String[]{"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> stop.countDown());
        }
        Runtime.getRuntime().addShutdownHook(new Thread(node::close, "danmaku-shutdown"));
        stop.await();
        node.close();
        return 0;
    }

    /** Cluster settings that would only fail later, checked now with one-line reasons. */
    static void checkCluster(NodeConfig cfg) {
        String uri = cfg.get(NodeConfig.CLUSTER_REDIS).trim();
        if (uri.isEmpty()) {
            return;
        }
        if (!(uri.startsWith("redis://") || uri.startsWith("rediss://") || uri.startsWith("redis-cluster://"))) {
            throw new IllegalArgumentException("--cluster expects redis://HOST:PORT or redis-cluster://HOST:PORT[,...], got '"
                    + uri + "'");
        }
        dev.danmaku.router.Member.requireId(cfg.get(NodeConfig.NODE_ID));
        if (!cfg.get(NodeConfig.CLUSTER_NAME).matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException("cluster.name must be 1-64 characters of A-Z a-z 0-9 . _ -, got '"
                    + cfg.get(NodeConfig.CLUSTER_NAME) + "'");
        }
        if (cfg.get(NodeConfig.CLUSTER_RENEW_MS) * 2 > cfg.get(NodeConfig.CLUSTER_LEASE_MS)) {
            throw new IllegalArgumentException("cluster.renew-ms (" + cfg.get(NodeConfig.CLUSTER_RENEW_MS)
                    + ") must be at most half of cluster.lease-ms (" + cfg.get(NodeConfig.CLUSTER_LEASE_MS) + ")");
        }
    }

    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new NodeMain());
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("error: " + ex.getMessage());
            ex.getCommandLine().getErr().println("try 'danmaku node --help'");
            return 2;
        });
        System.exit(cl.execute(args));
    }
}
