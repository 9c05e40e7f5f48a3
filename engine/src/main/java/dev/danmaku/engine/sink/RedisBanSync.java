package dev.danmaku.engine.sink;

import dev.danmaku.router.store.RedisEndpoint;
import dev.danmaku.engine.admin.AdminServer;
import dev.danmaku.engine.filter.BanList;
import dev.danmaku.engine.filter.CurrentBanList;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.agrona.concurrent.EpochClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps the node's {@link CurrentBanList} equal to the bans in Redis ({@link RedisKeys#BANNED_USERS},
 * {@link RedisKeys#BANNED_IPS}): a full reload every {@code reloadMs} and, in between, hot updates
 * from the {@link RedisKeys#BANS_CHANNEL} channel, so a ban made through any node's admin API is in
 * force on every node within milliseconds (or, if a message is lost, by the next reload). The admit
 * stage keeps reading its local snapshot: no Redis call on the hot path.
 *
 * <p>As the admin API's {@link AdminServer.BanStore}: a ban is written to Redis first, then
 * published, then applied locally; if Redis is unreachable the request fails (HTTP 503) and
 * nothing changes, because the next full reload would drop a ban that exists only locally.
 *
 * <p>Threads: reloads and hot updates run on one thread ({@code danmaku-bans}); admin threads call
 * the store methods. Every snapshot replacement holds the {@link CurrentBanList}'s monitor, as
 * {@link AdminServer} does, so read-modify-publish cycles never interleave.
 */
public final class RedisBanSync implements AdminServer.BanStore, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RedisBanSync.class);
    private static final long PERMANENT_IN_REDIS = -1;

    private final RedisEndpoint endpoint;
    private final CurrentBanList bans;
    private final EpochClock clock;
    private final long reloadMs;
    private final ScheduledExecutorService thread;
    private volatile StatefulConnection<String, String> connection;
    private volatile StatefulRedisPubSubConnection<String, String> pubsub;

    /** Full reloads that succeeded / failed; hot updates applied. */
    public final AtomicLong reloads = new AtomicLong();
    public final AtomicLong reloadFailures = new AtomicLong();
    public final AtomicLong hotUpdates = new AtomicLong();
    private volatile long lastReloadMs;

    public RedisBanSync(RedisEndpoint endpoint, CurrentBanList bans, EpochClock clock, long reloadMs) {
        this.endpoint = endpoint;
        this.bans = bans;
        this.clock = clock;
        this.reloadMs = reloadMs;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "danmaku-bans");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts reloading at once and every {@code reloadMs}. */
    public RedisBanSync start() {
        thread.scheduleWithFixedDelay(this::reload, 0, reloadMs, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Whether the last full reload is recent (false while Redis is unreachable). */
    public boolean healthy() {
        return clock.time() - lastReloadMs < 3 * reloadMs + 2_000;
    }

    private RedisClusterAsyncCommands<String, String> redis() {
        StatefulConnection<String, String> c = connection;
        if (c == null || !c.isOpen()) {
            synchronized (this) {
                c = connection;
                if (c == null || !c.isOpen()) {
                    if (c != null) {
                        c.closeAsync();
                    }
                    c = endpoint.connect(StringCodec.UTF8);
                    connection = c;
                }
            }
        }
        return RedisEndpoint.async(c);
    }

    /** Reads both hashes and replaces the snapshot; also (re)subscribes. Ban thread. */
    private void reload() {
        try {
            subscribe();
            RedisClusterAsyncCommands<String, String> redis = redis();
            long timeout = endpoint.timeout().toMillis();
            Map<String, String> users = redis.hgetall(RedisKeys.BANNED_USERS).get(timeout, TimeUnit.MILLISECONDS);
            Map<String, String> ips = redis.hgetall(RedisKeys.BANNED_IPS).get(timeout, TimeUnit.MILLISECONDS);
            long now = clock.time();
            BanList.Builder b = BanList.builder();
            List<String> expiredUsers = new ArrayList<>();
            List<String> expiredIps = new ArrayList<>();
            for (Map.Entry<String, String> e : users.entrySet()) {
                long until = until(e.getValue());
                if (until != BanList.PERMANENT && until <= now) {
                    expiredUsers.add(e.getKey());
                } else {
                    b.banUser(Long.parseUnsignedLong(e.getKey()), until);
                }
            }
            for (Map.Entry<String, String> e : ips.entrySet()) {
                long until = until(e.getValue());
                if (until != BanList.PERMANENT && until <= now) {
                    expiredIps.add(e.getKey());
                } else {
                    b.banIpv4(AdminServer.parseIpv4(e.getKey()), until);
                }
            }
            synchronized (bans) {
                bans.publish(b.build());
            }
            if (!expiredUsers.isEmpty()) {
                redis.hdel(RedisKeys.BANNED_USERS, expiredUsers.toArray(String[]::new));
            }
            if (!expiredIps.isEmpty()) {
                redis.hdel(RedisKeys.BANNED_IPS, expiredIps.toArray(String[]::new));
            }
            reloads.incrementAndGet();
            lastReloadMs = now;
        } catch (Exception e) {
            if (reloadFailures.incrementAndGet() % 10 == 1) {
                LOG.warn("ban reload from {} failed (attempt {}; keeping the current bans): {}", endpoint,
                        reloadFailures.get(), e.toString());
            }
        }
    }

    private void subscribe() throws Exception {
        StatefulRedisPubSubConnection<String, String> p = pubsub;
        if (p != null && p.isOpen()) {
            return;
        }
        if (p != null) {
            p.closeAsync();
            pubsub = null;
        }
        p = endpoint.connectPubSub(StringCodec.UTF8);
        p.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String message) {
                if (RedisKeys.BANS_CHANNEL.equals(channel)) {
                    thread.execute(() -> apply(message));
                }
            }
        });
        p.async().subscribe(RedisKeys.BANS_CHANNEL).get(endpoint.timeout().toMillis(), TimeUnit.MILLISECONDS);
        pubsub = p;
    }

    /** Applies one hot-update message ("ban user ID UNTIL", "unban ip A.B.C.D", ...). Ban thread. */
    void apply(String message) {
        String[] f = message.trim().split(" ");
        try {
            boolean ban = f[0].equals("ban");
            if (!(ban || f[0].equals("unban")) || f.length < (ban ? 4 : 3)) {
                throw new IllegalArgumentException("unknown message");
            }
            long until = ban ? until(f[3]) : 0;
            synchronized (bans) {
                BanList.Builder b = bans.current().toBuilder().pruneExpired(clock.time());
                switch (f[1]) {
                    case "user" -> {
                        long user = Long.parseUnsignedLong(f[2]);
                        if (ban) {
                            b.banUser(user, until);
                        } else {
                            b.unbanUser(user);
                        }
                    }
                    case "ip" -> {
                        int ip = AdminServer.parseIpv4(f[2]);
                        if (ban) {
                            b.banIpv4(ip, until);
                        } else {
                            b.unbanIpv4(ip);
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown kind");
                }
                bans.publish(b.build());
            }
            hotUpdates.incrementAndGet();
        } catch (RuntimeException e) {
            LOG.warn("ignoring ban message '{}': {}", message, e.toString());
        }
    }

    private static long until(String text) {
        long v = Long.parseLong(text.trim());
        return v < 0 ? BanList.PERMANENT : v;
    }

    private static String redisUntil(long untilMs) {
        return Long.toString(untilMs == BanList.PERMANENT ? PERMANENT_IN_REDIS : untilMs);
    }

    private void change(String hash, String field, String value, String message) throws Exception {
        RedisClusterAsyncCommands<String, String> redis = redis();
        long timeout = endpoint.timeout().toMillis();
        if (value == null) {
            redis.hdel(hash, field).get(timeout, TimeUnit.MILLISECONDS);
        } else {
            redis.hset(hash, field, value).get(timeout, TimeUnit.MILLISECONDS);
        }
        redis.publish(RedisKeys.BANS_CHANNEL, message).get(timeout, TimeUnit.MILLISECONDS);
        apply(message);
    }

    @Override
    public void banUser(long userId, long untilMs) throws Exception {
        String u = Long.toUnsignedString(userId);
        change(RedisKeys.BANNED_USERS, u, redisUntil(untilMs), "ban user " + u + " " + redisUntil(untilMs));
    }

    @Override
    public void unbanUser(long userId) throws Exception {
        String u = Long.toUnsignedString(userId);
        change(RedisKeys.BANNED_USERS, u, null, "unban user " + u);
    }

    @Override
    public void banIpv4(int address, long untilMs) throws Exception {
        String ip = AdminServer.ipv4(address);
        change(RedisKeys.BANNED_IPS, ip, redisUntil(untilMs), "ban ip " + ip + " " + redisUntil(untilMs));
    }

    @Override
    public void unbanIpv4(int address) throws Exception {
        String ip = AdminServer.ipv4(address);
        change(RedisKeys.BANNED_IPS, ip, null, "unban ip " + ip);
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        StatefulRedisPubSubConnection<String, String> p = pubsub;
        if (p != null) {
            p.close();
        }
        StatefulConnection<String, String> c = connection;
        if (c != null) {
            c.close();
        }
    }
}
