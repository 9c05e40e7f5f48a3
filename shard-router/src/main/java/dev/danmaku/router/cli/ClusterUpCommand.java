package dev.danmaku.router.cli;

import dev.danmaku.router.Member;
import dev.danmaku.router.NodeState;
import dev.danmaku.router.ShardMap;
import dev.danmaku.router.plan.Planner;
import dev.danmaku.router.store.ClusterStore;
import dev.danmaku.router.store.Registration;
import dev.danmaku.router.store.StaleMapException;
import io.lettuce.core.RedisException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code danmaku cluster up --nodes N}: a redis-server and N nodes on free loopback ports, detached,
 * registered and put in the map; {@code DIR/cluster.json} says what runs where. If anything fails
 * on the way, what was started is stopped again (logs stay).
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Start redis-server and N nodes on this machine, and put the nodes in the map.",
                "",
                "Starts a redis-server (appendonly, in DIR/redis) and N nodes (n1..nN, logs in DIR/nK/node.log, "
                        + "journals in DIR/nK/data) on free loopback ports, waits until every node is registered with "
                        + "a live lease, then makes all N active in the map (added to whatever map that Redis holds). "
                        + "Everything keeps running after this command exits; 'cluster down' stops it. Run it through "
                        + "bin/danmaku (which sets danmaku.home)."})
final class ClusterUpCommand implements Callable<Integer> {
    static final int MAX_NODES = 32;
    /** How long redis-server may take to answer PING, ms. */
    static final long REDIS_START_MS = 10_000;
    /** How long the one-off {@code bin/danmaku node --help} (which builds the engine if needed) may take, s. */
    static final long PREPARE_SECONDS = 900;

    @Spec
    CommandSpec spec;

    @Option(names = "--nodes", required = true, paramLabel = "N", description = "how many nodes, 1-" + MAX_NODES)
    int nodes;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "cluster",
            description = "where the logs, data, redis files and cluster.json go (default: ./${DEFAULT-VALUE})")
    Path dir;

    @Option(names = "--name", paramLabel = "NAME", defaultValue = "default",
            description = "the cluster's name in Redis (default: ${DEFAULT-VALUE})")
    String name;

    @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = "120",
            description = "how long the nodes may take to register (default: ${DEFAULT-VALUE})")
    int waitSeconds;

    @Option(names = "--node-heap", paramLabel = "SIZE", defaultValue = "512m",
            description = "each node's heap (-Xms and -Xmx, before $JAVA_OPTS), e.g. 512m, 1g (default: ${DEFAULT-VALUE})")
    String heap;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "a setting for every node, passed on as 'node --set KEY=VALUE' (repeatable), e.g. the limits "
                    + "'perf node-flags' prints for a load test")
    List<String> settings = new ArrayList<>();

    /** What was started so far, stopped again if the command fails or is interrupted (the hook reads it too). */
    private volatile ClusterFile.Proc redisProc;
    private final List<ClusterFile.Proc> nodeProcs = java.util.Collections.synchronizedList(new ArrayList<>());
    private volatile boolean complete;

    @Override
    public Integer call() throws CommandFailure, InterruptedException {
        validate();
        Path cluster = dir.resolve(ClusterFile.FILE_NAME);
        ClusterFile existing = ClusterFile.read(cluster);
        PrintWriter out = spec.commandLine().getOut();
        if (existing != null) {
            List<Long> live = new ArrayList<>();
            for (ClusterFile.Proc p : existing.processes()) {
                if (p.alive()) {
                    live.add(p.pid());
                }
            }
            if (!live.isEmpty()) {
                throw new CommandFailure("a cluster is already running from " + dir + " (pids " + live
                        + "): 'danmaku cluster down --dir " + dir + "' first");
            }
            out.println("replacing " + cluster + ": none of its processes is running");
        }
        String home = System.getProperty("danmaku.home");
        if (home == null || home.isBlank()) {
            throw new CommandFailure("danmaku.home is not set: run this through bin/danmaku");
        }
        Path launcher = Path.of(home, "bin", "danmaku");
        if (!Files.isExecutable(launcher)) {
            throw new CommandFailure("no executable " + launcher + " (danmaku.home=" + home + ")");
        }
        Thread cleanup = new Thread(() -> {
            if (!complete) {
                stopStarted();
            }
        }, "cluster-up-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            ClusterFile file = start(launcher, out);
            file.write(cluster);
            complete = true;
            print(out, file);
            return RouterMain.EXIT_OK;
        } catch (IOException e) {
            throw new CommandFailure(RouterMain.message(e));
        } finally {
            if (!complete) {
                stopStarted();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs
            }
        }
    }

    private void validate() {
        if (nodes < 1 || nodes > MAX_NODES) {
            throw new ParameterException(spec.commandLine(), "--nodes must be 1-" + MAX_NODES + ", got " + nodes);
        }
        if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new ParameterException(spec.commandLine(), "--name must be 1-64 characters of A-Z a-z 0-9 . _ -, got '"
                    + name + "'");
        }
        if (waitSeconds < 1) {
            throw new ParameterException(spec.commandLine(), "--wait must be >= 1 second, got " + waitSeconds);
        }
        if (!heap.matches("[1-9][0-9]{0,6}[mMgG]")) {
            throw new ParameterException(spec.commandLine(), "--node-heap must be like 512m or 1g, got '" + heap + "'");
        }
        for (String setting : settings) {
            if (!setting.matches("[a-z][a-z0-9.-]*=.*")) {
                throw new ParameterException(spec.commandLine(), "--set must be KEY=VALUE (a key of config/node.yaml, "
                        + "e.g. filter.user-burst=1000), got '" + setting + "'");
            }
        }
    }

    private ClusterFile start(Path launcher, PrintWriter out) throws CommandFailure, IOException, InterruptedException {
        Files.createDirectories(dir);
        String javaOpts = System.getenv("JAVA_OPTS");
        Map<String, String> env = new HashMap<>();
        env.put("JAVA_OPTS", "-Xms" + heap + " -Xmx" + heap + (javaOpts == null || javaOpts.isBlank() ? "" : " " + javaOpts));
        prepare(launcher, out, env);
        // Built now if it had to be: N launchers must not each check and build at once.
        env.put("DANMAKU_REBUILD", "0");
        int[] ports = LocalProcesses.freePorts(1 + 2 * nodes);
        int redisPort = ports[0];
        ClusterFile.Proc redis = startRedis(redisPort);
        String uri = "redis://127.0.0.1:" + redisPort;
        out.println("redis-server on " + uri + " (pid " + redis.pid() + ")");
        out.flush();

        Map<String, Process> procs = new LinkedHashMap<>();
        Map<String, Integer> wsPorts = new HashMap<>();
        for (int k = 1; k <= nodes; k++) {
            String id = "n" + k;
            Path nodeDir = dir.resolve(id);
            Files.createDirectories(nodeDir.resolve("data"));
            int ws = ports[2 * k - 1];
            int adminPort = ports[2 * k];
            List<String> cmd = new ArrayList<>(List.of(launcher.toString(), "node", "--cluster", uri, "--cluster-name",
                    name, "--node-id", id, "--ws-port", Integer.toString(ws), "--admin-port", Integer.toString(adminPort),
                    "--data-dir", nodeDir.resolve("data").toAbsolutePath().toString()));
            for (String setting : settings) {
                cmd.add("--set");
                cmd.add(setting);
            }
            Process p = LocalProcesses.startDetached(cmd, nodeDir, nodeDir.resolve("node.log"), env);
            nodeProcs.add(new ClusterFile.Proc(p.pid(), LocalProcesses.startMs(p.toHandle()), nodeDir.resolve("node.log").toString()));
            procs.put(id, p);
            wsPorts.put(id, ws);
        }
        out.println("started " + nodes + " nodes; waiting up to " + waitSeconds + " s for them to register");
        out.flush();

        ClusterStore store = RouterCommand.open(spec.commandLine(), uri, name);
        try {
            Map<String, Registration> regs = awaitRegistrations(store, procs, wsPorts, out);
            ShardMap map = activate(store, regs);
            List<ClusterFile.NodeProc> list = new ArrayList<>();
            int i = 0;
            for (Map.Entry<String, Registration> e : regs.entrySet()) {
                ClusterFile.Proc proc = nodeProcs.get(i++);
                Registration r = e.getValue();
                list.add(new ClusterFile.NodeProc(e.getKey(), proc, r.address(), r.admin(),
                        dir.resolve(e.getKey()).resolve("data").toString()));
            }
            out.println("map version " + map.version() + ": " + String.join(", ", regs.keySet()) + " active");
            return new ClusterFile(name, System.currentTimeMillis(), redis, redisPort, List.copyOf(list));
        } finally {
            RouterCommand.close(store);
        }
    }

    /**
     * Runs {@code bin/danmaku node --help} once, so that the launcher builds the engine now if its
     * sources changed, not N times at once in the nodes.
     */
    private void prepare(Path launcher, PrintWriter out, Map<String, String> env)
            throws CommandFailure, IOException, InterruptedException {
        Path log = dir.resolve("prepare.log");
        Files.deleteIfExists(log);
        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "node", "--help").directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(2, TimeUnit.SECONDS)) {
            out.println("preparing the node (bin/danmaku builds the engine if needed; log " + log + ")...");
            out.flush();
            if (!p.waitFor(PREPARE_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new CommandFailure("'bin/danmaku node --help' did not finish in " + PREPARE_SECONDS + " s; see " + log);
            }
        }
        if (p.exitValue() != 0) {
            throw new CommandFailure("'bin/danmaku node --help' failed (exit " + p.exitValue() + "); last lines of " + log
                    + ":\n" + LocalProcesses.tail(log, 10));
        }
    }

    private ClusterFile.Proc startRedis(int port) throws CommandFailure, IOException, InterruptedException {
        Path redisDir = dir.resolve("redis").toAbsolutePath();
        Files.createDirectories(redisDir);
        Path binary = LocalProcesses.redisServer(redisDir);
        Path log = redisDir.resolve("redis.log");
        List<String> cmd = List.of(binary.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--dir", redisDir.toString(), "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
                "--protected-mode", "no", "--daemonize", "no", "--logfile", log.toString());
        Process p = LocalProcesses.startDetached(cmd, redisDir, redisDir.resolve("stdout.log"), Map.of());
        ClusterFile.Proc proc = new ClusterFile.Proc(p.pid(), LocalProcesses.startMs(p.toHandle()), log.toString());
        redisProc = proc;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REDIS_START_MS);
        while (!LocalProcesses.redisPing(port)) {
            if (!p.isAlive()) {
                throw new CommandFailure("redis-server exited with " + p.exitValue() + "; last lines of " + log + ":\n"
                        + LocalProcesses.tail(log, 10));
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new CommandFailure("redis-server did not answer PING on port " + port + " in " + REDIS_START_MS / 1000
                        + " s; see " + log);
            }
            Thread.sleep(50);
        }
        return proc;
    }

    /** Waits until every node is registered by its own process (pid or port) with a live lease. */
    private Map<String, Registration> awaitRegistrations(ClusterStore store, Map<String, Process> procs,
                                                         Map<String, Integer> wsPorts, PrintWriter out)
            throws CommandFailure, InterruptedException {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(waitSeconds);
        Map<String, Registration> ready = new LinkedHashMap<>();
        while (true) {
            Map<String, Registration> regs;
            ClusterStore.Leases leases;
            try {
                regs = store.registrations();
                leases = store.leases();
            } catch (RedisException e) {
                throw new CommandFailure("reading registrations: " + RouterMain.describe(e));
            }
            for (Map.Entry<String, Process> e : procs.entrySet()) {
                String id = e.getKey();
                Process p = e.getValue();
                if (ready.containsKey(id)) {
                    continue;
                }
                Registration r = regs.get(id);
                if (r != null && leases.live(id) && (r.pid() == p.pid() || port(r.address()) == wsPorts.get(id))) {
                    ready.put(id, r);
                    out.println(id + " registered: " + r.address() + " (" + TimeUnit.NANOSECONDS.toMillis(System.nanoTime()
                            - start) / 1000.0 + " s)");
                    out.flush();
                } else if (!p.isAlive()) {
                    Path log = dir.resolve(id).resolve("node.log");
                    throw new CommandFailure("node " + id + " exited with " + p.exitValue() + " before registering; last "
                            + "lines of " + log + ":\n" + LocalProcesses.tail(log, 15));
                }
            }
            if (ready.size() == procs.size()) {
                Map<String, Registration> ordered = new LinkedHashMap<>();
                for (String id : procs.keySet()) {
                    ordered.put(id, ready.get(id));
                }
                return ordered;
            }
            if (System.nanoTime() - deadline >= 0) {
                List<String> missing = new ArrayList<>(procs.keySet());
                missing.removeAll(ready.keySet());
                throw new CommandFailure("nodes " + missing + " did not register within " + waitSeconds + " s; see "
                        + dir.resolve(missing.get(0)).resolve("node.log"));
            }
            Thread.sleep(200);
        }
    }

    /** Adds every node, active, to the map there is (compare-and-set, retried if someone else wrote meanwhile). */
    private ShardMap activate(ClusterStore store, Map<String, Registration> regs) throws CommandFailure {
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                ShardMap current = store.readMap();
                ShardMap next = current;
                for (Registration r : regs.values()) {
                    Member was = current.member(r.id());
                    next = Planner.add(next, new Member(r.id(), r.address(), r.admin(), was == null ? 1 : was.weight(),
                            NodeState.ACTIVE));
                }
                next = next.next(System.currentTimeMillis(), "cluster up: " + String.join(", ", regs.keySet()));
                return store.compareAndSet(current.version(), next);
            } catch (StaleMapException raced) {
                // another writer: read again
            } catch (IllegalArgumentException e) {
                throw new CommandFailure("a node registered unusable addresses: " + e.getMessage());
            } catch (RedisException e) {
                throw new CommandFailure("writing the map: " + RouterMain.describe(e));
            }
        }
        throw new CommandFailure("the map kept changing while 'cluster up' wrote it; try again");
    }

    private static int port(String url) {
        try {
            return new URI(url).getPort();
        } catch (java.net.URISyntaxException | NullPointerException e) {
            return -1;
        }
    }

    private synchronized void stopStarted() {
        // Nodes first (they may still talk to Redis), then Redis.
        List<ClusterFile.Proc> procs;
        synchronized (nodeProcs) {
            procs = new ArrayList<>(nodeProcs);
            nodeProcs.clear();
        }
        if (redisProc != null) {
            procs.add(redisProc);
            redisProc = null;
        }
        if (procs.isEmpty()) {
            return;
        }
        try {
            LocalProcesses.stop(procs, 5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void print(PrintWriter out, ClusterFile f) {
        out.println();
        out.println("cluster '" + f.name() + "' is up (" + dir.resolve(ClusterFile.FILE_NAME) + "):");
        TextTable t = new TextTable("", "ADDRESS", "ADMIN", "PID", "LOG");
        t.row("redis", f.redisUri(), "", f.redis().pid(), f.redis().log());
        for (ClusterFile.NodeProc n : f.nodes()) {
            t.row(n.id(), n.ws(), n.admin(), n.proc().pid(), n.proc().log());
        }
        t.print(out);
        String first = f.nodes().get(0).ws();
        String other = f.nodes().get(f.nodes().size() > 1 ? 1 : 0).ws();
        String clusterFlag = f.name().equals("default") ? "" : " --cluster " + f.name();
        out.println();
        out.println("try (any node will do: the client follows REDIRECT to the room's owner):");
        out.println("  bin/danmaku client create --url " + first + " 9001");
        out.println("  bin/danmaku client watch --url " + other + " 9001");
        out.println("  bin/danmaku client send --url " + first + " 9001 hello");
        out.println("  bin/danmaku router status --redis " + f.redisUri() + clusterFlag);
        out.println("  bin/danmaku cluster down --dir " + dir);
        out.flush();
    }
}
