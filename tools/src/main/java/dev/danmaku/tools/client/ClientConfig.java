package dev.danmaku.tools.client;

import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.SystemEpochClock;

import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Immutable settings of a {@link DanmakuClient}. Start from {@link #defaults()} and change keys with
 * the {@code with...} methods; each key's default is a named constant below.
 */
public final class ClientConfig {
    /** Time allowed for TCP connect plus the WebSocket handshake, ms. */
    public static final long DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
    /** A HEARTBEAT is sent this often, ms; no inbound frame for 3 intervals means the connection is dead. */
    public static final long DEFAULT_HEARTBEAT_INTERVAL_MS = 10_000;
    /** Missed heartbeat intervals (no inbound traffic at all) before the connection is declared dead. */
    public static final int DEAD_AFTER_INTERVALS = 3;
    /** Reconnect attempts after a connection is lost, before the client gives up. */
    public static final int DEFAULT_RECONNECT_TRIES = 3;
    /** Delay before the first reconnect attempt, ms; doubled for each further attempt (200, 400, 800). */
    public static final long DEFAULT_BACKOFF_BASE_MS = 200;
    /** Each backoff delay is scaled by a uniform factor in [1 - jitter, 1 + jitter]. */
    public static final double DEFAULT_BACKOFF_JITTER = 0.2;
    /** REDIRECT/MOVED hops followed without a successful reply in between. */
    public static final int DEFAULT_MAX_REDIRECTS = 3;
    /**
     * Largest inbound WebSocket message, bytes: the protocol's largest node frame (a BATCH of 35 + 1 MiB)
     * plus slack.
     */
    public static final int MAX_INBOUND_MESSAGE_LENGTH = (1 << 20) + 64;

    private final long userId;
    private final long connectTimeoutMs;
    private final long heartbeatIntervalMs;
    private final int reconnectTries;
    private final long backoffBaseMs;
    private final double backoffJitter;
    private final int maxRedirects;
    private final EpochClock clock;
    private final RandomGenerator random;

    private ClientConfig(long userId, long connectTimeoutMs, long heartbeatIntervalMs, int reconnectTries,
                         long backoffBaseMs, double backoffJitter, int maxRedirects, EpochClock clock,
                         RandomGenerator random) {
        if (connectTimeoutMs <= 0 || heartbeatIntervalMs <= 0 || reconnectTries < 0 || backoffBaseMs < 0
                || backoffJitter < 0 || backoffJitter >= 1 || maxRedirects < 0) {
            throw new IllegalArgumentException("client setting out of range");
        }
        this.userId = userId;
        this.connectTimeoutMs = connectTimeoutMs;
        this.heartbeatIntervalMs = heartbeatIntervalMs;
        this.reconnectTries = reconnectTries;
        this.backoffBaseMs = backoffBaseMs;
        this.backoffJitter = backoffJitter;
        this.maxRedirects = maxRedirects;
        this.clock = Objects.requireNonNull(clock);
        this.random = Objects.requireNonNull(random);
    }

    /** Anonymous user (0), the defaults above, the system clock. */
    public static ClientConfig defaults() {
        return new ClientConfig(0, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_HEARTBEAT_INTERVAL_MS,
                DEFAULT_RECONNECT_TRIES, DEFAULT_BACKOFF_BASE_MS, DEFAULT_BACKOFF_JITTER, DEFAULT_MAX_REDIRECTS,
                SystemEpochClock.INSTANCE, RandomGenerator.getDefault());
    }

    /** User id (u64) put in every frame; a node that authenticated the connection uses AUTH's user instead. */
    public ClientConfig withUserId(long v) {
        return new ClientConfig(v, connectTimeoutMs, heartbeatIntervalMs, reconnectTries, backoffBaseMs,
                backoffJitter, maxRedirects, clock, random);
    }

    public ClientConfig withConnectTimeoutMs(long v) {
        return new ClientConfig(userId, v, heartbeatIntervalMs, reconnectTries, backoffBaseMs, backoffJitter,
                maxRedirects, clock, random);
    }

    public ClientConfig withHeartbeatIntervalMs(long v) {
        return new ClientConfig(userId, connectTimeoutMs, v, reconnectTries, backoffBaseMs, backoffJitter,
                maxRedirects, clock, random);
    }

    public ClientConfig withReconnectTries(int v) {
        return new ClientConfig(userId, connectTimeoutMs, heartbeatIntervalMs, v, backoffBaseMs, backoffJitter,
                maxRedirects, clock, random);
    }

    public ClientConfig withBackoff(long baseMs, double jitter) {
        return new ClientConfig(userId, connectTimeoutMs, heartbeatIntervalMs, reconnectTries, baseMs, jitter,
                maxRedirects, clock, random);
    }

    public ClientConfig withMaxRedirects(int v) {
        return new ClientConfig(userId, connectTimeoutMs, heartbeatIntervalMs, reconnectTries, backoffBaseMs,
                backoffJitter, v, clock, random);
    }

    /** The clock that stamps bullets and measures nothing else (timeouts use the event loop's timer). */
    public ClientConfig withClock(EpochClock v) {
        return new ClientConfig(userId, connectTimeoutMs, heartbeatIntervalMs, reconnectTries, backoffBaseMs,
                backoffJitter, maxRedirects, v, random);
    }

    /** Source of backoff jitter (seed it in tests). */
    public ClientConfig withRandom(RandomGenerator v) {
        return new ClientConfig(userId, connectTimeoutMs, heartbeatIntervalMs, reconnectTries, backoffBaseMs,
                backoffJitter, maxRedirects, clock, v);
    }

    public long userId() {
        return userId;
    }

    public long connectTimeoutMs() {
        return connectTimeoutMs;
    }

    public long heartbeatIntervalMs() {
        return heartbeatIntervalMs;
    }

    /** No inbound traffic for this long (3 heartbeat intervals) closes the connection as dead, ms. */
    public long deadAfterMs() {
        return heartbeatIntervalMs * DEAD_AFTER_INTERVALS;
    }

    public int reconnectTries() {
        return reconnectTries;
    }

    public long backoffBaseMs() {
        return backoffBaseMs;
    }

    public double backoffJitter() {
        return backoffJitter;
    }

    public int maxRedirects() {
        return maxRedirects;
    }

    public EpochClock clock() {
        return clock;
    }

    public RandomGenerator random() {
        return random;
    }

    /** The backoff schedule these settings describe. */
    public Backoff backoff() {
        return new Backoff(backoffBaseMs, reconnectTries, backoffJitter, random);
    }
}
