package dev.danmaku.testkit;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * A real Redis Cluster of {@code masters} masters, each with one replica, on loopback: 2 x masters
 * {@link RedisServer}s started with {@code --cluster-enabled yes} and joined with Lettuce commands
 * (CLUSTER MEET, ADDSLOTS, REPLICATE; there is no redis-cli). The node timeout is 1 s so a killed
 * master's replica is promoted within a few seconds. {@link #start} returns once every slot is
 * served, {@code cluster_state:ok} holds on every node and every replica's link is up.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
public final class RedisCluster implements AutoCloseable {
    private static final int SLOTS = 16_384;

    private final List<RedisServer> servers;
    private final int masters;

    private RedisCluster(List<RedisServer> servers, int masters) {
        this.servers = servers;
        this.masters = masters;
    }

    /** Starts {@code masters} masters and as many replicas (3 gives the usual 3 + 3). */
    public static RedisCluster start(int masters) throws IOException, InterruptedException {
        List<RedisServer> servers = new ArrayList<>();
        try {
            for (int i = 0; i < 2 * masters; i++) {
                int port = RedisServer.freePort();
                servers.add(RedisServer.start(port, List.of("--cluster-enabled", "yes",
                        "--cluster-config-file", "nodes-" + port + ".conf", "--cluster-node-timeout", "1000",
                        "--cluster-replica-validity-factor", "0", "--cluster-require-full-coverage", "no",
                        "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0")));
            }
            RedisCluster c = new RedisCluster(servers, masters);
            c.form();
            return c;
        } catch (IOException | InterruptedException | RuntimeException e) {
            for (RedisServer s : servers) {
                s.close();
            }
            throw e;
        }
    }

    private void form() throws InterruptedException {
        RedisClient client = RedisClient.create();
        try {
            List<StatefulRedisConnection<String, String>> conns = new ArrayList<>();
            for (RedisServer s : servers) {
                conns.add(client.connect(RedisURI.create("127.0.0.1", s.port())));
            }
            RedisCommands<String, String> first = conns.get(0).sync();
            for (int i = 1; i < servers.size(); i++) {
                first.clusterMeet("127.0.0.1", servers.get(i).port());
            }
            int per = SLOTS / masters;
            for (int m = 0; m < masters; m++) {
                int from = m * per;
                int to = m == masters - 1 ? SLOTS : from + per;
                conns.get(m).sync().clusterAddSlots(IntStream.range(from, to).toArray());
            }
            // Every node must know every other before a replica can name its master.
            waitFor("all nodes meet", () -> conns.stream().allMatch(c ->
                    c.sync().clusterNodes().lines().filter(l -> !l.contains("handshake")).count() == servers.size()));
            for (int m = 0; m < masters; m++) {
                String masterId = conns.get(m).sync().clusterMyId();
                conns.get(masters + m).sync().clusterReplicate(masterId);
            }
            waitFor("cluster_state:ok and replicas in sync", () -> {
                for (int i = 0; i < servers.size(); i++) {
                    RedisCommands<String, String> c = conns.get(i).sync();
                    if (!c.clusterInfo().contains("cluster_state:ok")) {
                        return false;
                    }
                    if (i >= masters && !c.info("replication").contains("master_link_status:up")) {
                        return false;
                    }
                }
                return conns.stream().allMatch(c -> c.sync().clusterNodes().lines()
                        .filter(l -> l.contains("slave")).count() == masters);
            });
            for (StatefulRedisConnection<String, String> c : conns) {
                c.close();
            }
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    private interface Check {
        boolean ok() throws Exception;
    }

    private static void waitFor(String what, Check check) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Exception last = null;
        while (System.nanoTime() - deadline < 0) {
            try {
                if (check.ok()) {
                    return;
                }
            } catch (Exception e) {
                last = e;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("redis cluster: timed out waiting for " + what, last);
    }

    /** {@code redis-cluster://127.0.0.1:P1,127.0.0.1:P2,...} (every node, as seeds). */
    public String uri() {
        StringBuilder b = new StringBuilder("redis-cluster://");
        for (int i = 0; i < servers.size(); i++) {
            b.append(i == 0 ? "" : ",").append("127.0.0.1:").append(servers.get(i).port());
        }
        return b.toString();
    }

    /** Every server; the first {@code masters} started as masters, then their replicas in the same order. */
    public List<RedisServer> servers() {
        return servers;
    }

    /** The server that currently serves {@code slot} as master (asks the cluster). */
    public RedisServer masterOf(int slot) {
        RedisClient client = RedisClient.create();
        try {
            for (RedisServer s : servers) {
                if (!s.isRunning()) {
                    continue;
                }
                try (StatefulRedisConnection<String, String> c = client.connect(RedisURI.create("127.0.0.1", s.port()))) {
                    for (String line : c.sync().clusterNodes().lines().toList()) {
                        String[] f = line.split(" ");
                        if (!f[2].contains("master") || f[2].contains("fail")) {
                            continue;
                        }
                        for (int i = 8; i < f.length; i++) {
                            String[] range = f[i].split("-");
                            int lo = Integer.parseInt(range[0]);
                            int hi = range.length > 1 ? Integer.parseInt(range[1]) : lo;
                            if (slot >= lo && slot <= hi) {
                                int port = Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1, f[1].indexOf('@')));
                                return servers.stream().filter(x -> x.port() == port).findFirst().orElseThrow();
                            }
                        }
                    }
                    throw new IllegalStateException("no master serves slot " + slot);
                } catch (RuntimeException e) {
                    if (e instanceof IllegalStateException) {
                        throw e;
                    }
                    // try the next node
                }
            }
            throw new IllegalStateException("no running node answered");
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    /** Waits until a node other than {@code dead} serves {@code slot} and the cluster state is ok again. */
    public RedisServer awaitFailover(int slot, RedisServer dead, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() - deadline < 0) {
            try {
                RedisServer m = masterOf(slot);
                if (m != dead && m.isRunning()) {
                    return m;
                }
            } catch (RuntimeException ignored) {
                // topology in flux
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("no failover for slot " + slot + " within " + timeout);
    }

    @Override
    public void close() {
        for (RedisServer s : servers) {
            s.close();
        }
    }
}
