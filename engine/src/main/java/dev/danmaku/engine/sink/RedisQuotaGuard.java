package dev.danmaku.engine.sink;

import dev.danmaku.router.store.RedisEndpoint;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.EpochClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A cross-node per-user quota in Redis (the design document's Lua rate-limit script), as a second,
 * asynchronous guard behind each node's local rate limiter: at most {@code limit} bullets per user
 * per fixed window of {@code windowMs}, counted over every node ({@link RedisScript#QUOTA} on
 * {@link RedisKeys#quota}, which expires with its window).
 *
 * <p>The admit stage {@link #submit}s each bullet it admits into a bounded single-producer queue
 * (never blocks; when full the bullet is not counted, and {@link #skipped} says so). The guard's
 * thread ({@code danmaku-quota}) drains it, sums per user, runs the scripts as one pipeline, and
 * queues "over quota until T" verdicts that the admit stage {@link #poll}s once per batch (like
 * screening verdicts) and enforces locally until T. Redis unreachable: fail open (the local limiter
 * still holds), count {@link #errors}, retry later. Enforcement is therefore late by a pipeline
 * round trip: a user can exceed the quota by what they send meanwhile.
 *
 * <p>Threads: admit stage ({@link #submit}, {@link #poll}: the single producer of submissions and
 * the single consumer of verdicts), the guard thread (the other ends), anyone for {@link #close}.
 */
public final class RedisQuotaGuard implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RedisQuotaGuard.class);

    /** Receives "over quota" verdicts on the admit stage thread. */
    @FunctionalInterface
    public interface Listener {
        /** {@code userId} is over quota until {@code untilMs} (epoch ms). */
        void overQuota(long userId, long untilMs);
    }

    private final RedisEndpoint endpoint;
    private final int limit;
    private final long windowMs;
    private final EpochClock clock;
    private final LongRing submissions;
    private final LongRing verdicts;
    private final Thread thread;
    private volatile boolean running = true;
    private StatefulConnection<String, String> connection;

    public final AtomicLong submitted = new AtomicLong();
    /** Bullets not counted because the queue was full. */
    public final AtomicLong skipped = new AtomicLong();
    /** Verdicts delivered / dropped because the verdict queue was full. */
    public final AtomicLong overQuota = new AtomicLong();
    public final AtomicLong verdictsDropped = new AtomicLong();
    /** Failed round trips to Redis (fail open). */
    public final AtomicLong errors = new AtomicLong();

    /**
     * @param queueCapacity submissions queued at most (rounded up to a power of two)
     */
    public RedisQuotaGuard(RedisEndpoint endpoint, int limit, long windowMs, int queueCapacity, EpochClock clock) {
        this.endpoint = endpoint;
        this.limit = limit;
        this.windowMs = windowMs;
        this.clock = clock;
        this.submissions = new LongRing(queueCapacity, 1);
        this.verdicts = new LongRing(Math.max(1024, queueCapacity / 16), 2);
        this.thread = new Thread(this::run, "danmaku-quota");
        this.thread.setDaemon(true);
    }

    public RedisQuotaGuard start() {
        thread.start();
        return this;
    }

    /** Counts one bullet of {@code userId}. Admit stage thread; never blocks, no allocation. */
    public boolean submit(long userId) {
        if (!submissions.offer(userId, 0)) {
            skipped.setRelease(skipped.getPlain() + 1);
            return false;
        }
        return true;
    }

    /** Delivers up to {@code max} queued verdicts. Admit stage thread; no allocation. */
    public int poll(Listener listener, int max) {
        int n = 0;
        while (n < max && verdicts.poll()) {
            listener.overQuota(verdicts.polled0, verdicts.polled1);
            n++;
        }
        return n;
    }

    private void run() {
        Long2LongHashMap counts = new Long2LongHashMap(0);
        long backoffMs = 50;
        while (running) {
            try {
                counts.clear();
                int drained = 0;
                while (drained < 65_536 && submissions.poll()) {
                    counts.put(submissions.polled0, counts.get(submissions.polled0) + 1);
                    drained++;
                }
                if (drained == 0) {
                    Thread.sleep(1);
                    continue;
                }
                submitted.addAndGet(drained);
                count(counts);
                backoffMs = 50;
            } catch (InterruptedException e) {
                break;
            } catch (Exception e) {
                if (errors.incrementAndGet() % 100 == 1) {
                    LOG.warn("quota guard: redis call failed ({} so far; failing open): {}", errors.get(), e.toString());
                }
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException ie) {
                    break;
                }
                backoffMs = Math.min(2_000, backoffMs * 2);
            }
        }
    }

    private void count(Long2LongHashMap counts) throws Exception {
        if (connection == null || !connection.isOpen()) {
            if (connection != null) {
                connection.closeAsync();
            }
            connection = endpoint.connect(StringCodec.UTF8);
        }
        RedisClusterAsyncCommands<String, String> redis = RedisEndpoint.async(connection);
        String window = Long.toString(windowMs);
        long[] users = new long[counts.size()];
        List<RedisFuture<List<Object>>> futures = new ArrayList<>(users.length);
        connection.setAutoFlushCommands(false);
        try {
            int i = 0;
            for (Long2LongHashMap.KeyIterator it = counts.keySet().iterator(); it.hasNext(); ) {
                long user = it.nextValue();
                users[i++] = user;
                futures.add(RedisScript.QUOTA.run(redis, false, ScriptOutputType.MULTI,
                        new String[] {RedisKeys.quota(user)}, new String[] {Long.toString(counts.get(user)), window}));
            }
        } finally {
            connection.flushCommands();
            connection.setAutoFlushCommands(true);
        }
        long deadline = System.nanoTime() + endpoint.timeout().toNanos();
        long now = clock.time();
        boolean noScript = false;
        for (int i = 0; i < users.length; i++) {
            List<Object> r;
            try {
                r = futures.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                if (RedisScript.isNoScript(e)) {
                    noScript = true;
                    r = RedisScript.QUOTA.<String, String, List<Object>>run(redis, true, ScriptOutputType.MULTI,
                            new String[] {RedisKeys.quota(users[i])},
                            new String[] {Long.toString(counts.get(users[i])), window}).get(
                            endpoint.timeout().toMillis(), TimeUnit.MILLISECONDS);
                } else {
                    throw e;
                }
            }
            long n = ((Number) r.get(0)).longValue();
            long ttl = ((Number) r.get(1)).longValue();
            if (n > limit) {
                if (verdicts.offer(users[i], now + ttl)) {
                    overQuota.incrementAndGet();
                } else {
                    verdictsDropped.incrementAndGet();
                }
            }
        }
        if (noScript) {
            LOG.debug("quota script loaded with EVAL after NOSCRIPT");
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(3_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (connection != null) {
            connection.close();
        }
    }

    /**
     * A bounded single-producer single-consumer queue of fixed-size entries of one or two longs,
     * in a preallocated array. The producer's release store of {@code tail} publishes the entry;
     * the consumer's release store of {@code head} frees the slot.
     */
    static final class LongRing {
        private final long[] slots;
        private final int mask;
        private final int width;
        private final AtomicLong head = new AtomicLong();
        private final AtomicLong tail = new AtomicLong();
        long polled0;
        long polled1;

        LongRing(int capacity, int width) {
            int cap = Integer.highestOneBit(Math.max(2, capacity - 1)) << 1;
            this.slots = new long[cap * width];
            this.mask = cap - 1;
            this.width = width;
        }

        boolean offer(long a, long b) {
            long t = tail.getPlain();
            if (t - head.getAcquire() > mask) {
                return false;
            }
            int i = (int) (t & mask) * width;
            slots[i] = a;
            if (width > 1) {
                slots[i + 1] = b;
            }
            tail.setRelease(t + 1);
            return true;
        }

        boolean poll() {
            long h = head.getPlain();
            if (h == tail.getAcquire()) {
                return false;
            }
            int i = (int) (h & mask) * width;
            polled0 = slots[i];
            polled1 = width > 1 ? slots[i + 1] : 0;
            head.setRelease(h + 1);
            return true;
        }
    }
}
