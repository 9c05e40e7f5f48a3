package dev.danmaku.router.store;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Where Redis is and how to talk to it: a standalone server ({@code redis://HOST:PORT[/DB]}) or a
 * Redis Cluster ({@code redis-cluster://HOST:PORT[,HOST:PORT...]}, the seeds). Builds Lettuce clients
 * with the options every Redis user in the node shares:
 * <ul>
 *   <li>a command timeout ({@code timeoutMs}) and {@code REJECT_COMMANDS} while disconnected, so an
 *   outage surfaces as an exception (and a retry by the caller) within the timeout, never a hang
 *   and never an unbounded queue of commands waiting for a reconnect; Lettuce reconnects by itself;</li>
 *   <li>for a cluster, topology refresh both periodic (every 2 s) and adaptive (MOVED/ASK
 *   redirects, persistent reconnects, failed-over slots), so a replica promoted after its master
 *   died is found without manual action.</li>
 * </ul>
 * One {@link ClientResources} (I/O and computation threads) per endpoint; {@link #close} releases
 * it and every connection made from it. Thread-safe.
 */
public final class RedisEndpoint implements AutoCloseable {
    private final String uri;
    private final boolean cluster;
    private final List<RedisURI> seeds;
    private final Duration timeout;
    private final ClientResources resources;
    private final RedisClient client;
    private final RedisClusterClient clusterClient;

    private RedisEndpoint(String uri, boolean cluster, List<RedisURI> seeds, Duration timeout) {
        this.uri = uri;
        this.cluster = cluster;
        this.seeds = seeds;
        this.timeout = timeout;
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
        SocketOptions socket = SocketOptions.builder().connectTimeout(Duration.ofMillis(Math.min(1_000, timeout.toMillis())))
                .keepAlive(true).build();
        TimeoutOptions timeouts = TimeoutOptions.enabled(timeout);
        if (cluster) {
            clusterClient = RedisClusterClient.create(resources, seeds);
            clusterClient.setOptions(ClusterClientOptions.builder()
                    .socketOptions(socket)
                    .timeoutOptions(timeouts)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .maxRedirects(5)
                    .validateClusterNodeMembership(false)
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enablePeriodicRefresh(Duration.ofSeconds(2))
                            .enableAllAdaptiveRefreshTriggers()
                            .adaptiveRefreshTriggersTimeout(Duration.ofMillis(500))
                            .refreshTriggersReconnectAttempts(2)
                            .build())
                    .build());
            client = null;
        } else {
            client = RedisClient.create(resources, seeds.get(0));
            client.setOptions(ClientOptions.builder()
                    .socketOptions(socket)
                    .timeoutOptions(timeouts)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .build());
            clusterClient = null;
        }
    }

    /**
     * @param uri       {@code redis://HOST:PORT} or {@code redis-cluster://HOST:PORT[,HOST:PORT...]}
     * @param timeoutMs command timeout, ms
     * @throws IllegalArgumentException for anything else
     */
    public static RedisEndpoint of(String uri, long timeoutMs) {
        String u = uri.trim();
        Duration timeout = Duration.ofMillis(timeoutMs);
        if (u.startsWith("redis-cluster://")) {
            List<RedisURI> seeds = new ArrayList<>();
            for (String hp : u.substring("redis-cluster://".length()).split(",")) {
                if (!hp.isBlank()) {
                    seeds.add(hostPort(hp.trim(), timeout, uri));
                }
            }
            if (seeds.isEmpty()) {
                throw new IllegalArgumentException("no HOST:PORT in " + uri);
            }
            return new RedisEndpoint(u, true, List.copyOf(seeds), timeout);
        }
        if (u.startsWith("redis://") || u.startsWith("rediss://")) {
            RedisURI r;
            try {
                r = RedisURI.create(u);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("not a Redis URI: " + uri);
            }
            r.setTimeout(timeout);
            return new RedisEndpoint(u, false, List.of(r), timeout);
        }
        throw new IllegalArgumentException("expected redis://HOST:PORT or redis-cluster://HOST:PORT[,HOST:PORT], got '"
                + uri + "'");
    }

    private static RedisURI hostPort(String hp, Duration timeout, String whole) {
        int colon = hp.lastIndexOf(':');
        try {
            String host = colon < 0 ? hp : hp.substring(0, colon);
            int port = colon < 0 ? 6379 : Integer.parseInt(hp.substring(colon + 1));
            return RedisURI.builder().withHost(host).withPort(port).withTimeout(timeout).build();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("bad HOST:PORT '" + hp + "' in " + whole);
        }
    }

    public boolean isCluster() {
        return cluster;
    }

    public String uri() {
        return uri;
    }

    public Duration timeout() {
        return timeout;
    }

    /** A new connection (standalone or cluster); the caller owns and closes it. Throws if unreachable. */
    public <K, V> StatefulConnection<K, V> connect(RedisCodec<K, V> codec) {
        return cluster ? clusterClient.connect(codec) : client.connect(codec);
    }

    /** The async commands common to both kinds of connection made by {@link #connect}. */
    @SuppressWarnings("unchecked")
    public static <K, V> RedisClusterAsyncCommands<K, V> async(StatefulConnection<K, V> connection) {
        if (connection instanceof StatefulRedisClusterConnection<?, ?> c) {
            return ((StatefulRedisClusterConnection<K, V>) c).async();
        }
        return ((StatefulRedisConnection<K, V>) connection).async();
    }

    /** The sync commands common to both kinds of connection made by {@link #connect}. */
    @SuppressWarnings("unchecked")
    public static <K, V> io.lettuce.core.cluster.api.sync.RedisClusterCommands<K, V> sync(StatefulConnection<K, V> connection) {
        if (connection instanceof StatefulRedisClusterConnection<?, ?> c) {
            return ((StatefulRedisClusterConnection<K, V>) c).sync();
        }
        return ((StatefulRedisConnection<K, V>) connection).sync();
    }

    /** A new pub/sub connection; in a cluster, PUBLISH reaches subscribers on every node. */
    public <K, V> StatefulRedisPubSubConnection<K, V> connectPubSub(RedisCodec<K, V> codec) {
        return cluster ? clusterClient.connectPubSub(codec) : client.connectPubSub(codec);
    }

    /** Connection and topology events of every connection of this endpoint (Lettuce's event bus). */
    public reactor.core.publisher.Flux<io.lettuce.core.event.Event> events() {
        return resources.eventBus().get();
    }

    @Override
    public void close() {
        if (cluster) {
            clusterClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        } else {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        resources.shutdown(0, 2, java.util.concurrent.TimeUnit.SECONDS);
    }

    @Override
    public String toString() {
        return uri;
    }
}
