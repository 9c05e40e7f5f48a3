package dev.danmaku.engine.stage;

import dev.danmaku.codec.ErrorCode;
import dev.danmaku.codec.FrameType;
import dev.danmaku.engine.filter.AdmitCounters;
import dev.danmaku.engine.filter.CurrentBanList;
import dev.danmaku.engine.filter.LinkRule;
import dev.danmaku.engine.filter.QueuedScreeningHook;
import dev.danmaku.engine.filter.RateLimiter;
import dev.danmaku.engine.filter.ScreeningVerdict;
import dev.danmaku.engine.filter.SensitiveWordFilter;
import dev.danmaku.engine.filter.VerdictHandler;
import dev.danmaku.engine.ring.RingEvent;
import dev.danmaku.engine.ring.Stage;
import dev.danmaku.engine.sink.RedisQuotaGuard;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.NanoClock;

/**
 * Stage 2: admission of bullets. In order: timestamp skew, user and address bans (a local copy of
 * the ban list, swapped by the admin thread, plus bans from screening verdicts), per-user and
 * per-address rate limits (GCRA, retry-after in the ERROR), sensitive words (reject, or mask in
 * place), the user-level link rule, then the asynchronous screening hook (never waits). Duplicate
 * suppression needs the sequence of the original bullet, so it lives in the journal stage.
 *
 * <p>Owned by its stage thread; every filter here is single-threaded and allocation-free. The clocks
 * are sampled once per ring batch.
 */
public final class AdmitHandler implements Stage, VerdictHandler, RedisQuotaGuard.Listener {
    private final EpochClock epochClock;
    private final NanoClock nanoClock;
    private final long skewMs;
    private final CurrentBanList bans;
    private final RateLimiter userLimiter;
    private final RateLimiter addressLimiter;
    private final SensitiveWordFilter words;
    private final LinkRule linkRule;
    private final QueuedScreeningHook screening;
    private final AdmitCounters counters;
    private final StageMetrics metrics;
    /** Bans from screening verdicts: user -> until (ms). */
    private final Long2LongHashMap screeningBans = new Long2LongHashMap(0);

    private long nowMs;
    private long nowNs;
    private boolean clockFresh;

    // --- cross-node quota (Redis), optional ---
    /** Set before the ring starts (the thread start publishes it to the stage thread). */
    private RedisQuotaGuard quota;
    /** Users over their cross-node quota: user -> until (ms). */
    private final Long2LongHashMap quotaBlocked = new Long2LongHashMap(0);

    /** Turns on the cross-node quota guard. Call before the ring starts. */
    public void quotaGuard(RedisQuotaGuard guard) {
        this.quota = guard;
    }

    /** A quota verdict, polled on this stage's thread. */
    @Override
    public void overQuota(long userId, long untilMs) {
        if (quotaBlocked.size() < 1_000_000 || quotaBlocked.containsKey(userId)) {
            quotaBlocked.put(userId, untilMs);
        }
    }

    /** Retry-after (ms) if the user is over the cross-node quota, else 0. */
    private long quotaWait(long userId) {
        long until = quotaBlocked.get(userId);
        if (until == 0) {
            return 0;
        }
        if (until - nowMs > 0) {
            return until - nowMs;
        }
        quotaBlocked.remove(userId);
        return 0;
    }
    // --- end cross-node quota ---

    public AdmitHandler(EpochClock epochClock, NanoClock nanoClock, long skewMs, CurrentBanList bans,
                        RateLimiter userLimiter, RateLimiter addressLimiter, SensitiveWordFilter words,
                        LinkRule linkRule, QueuedScreeningHook screening, AdmitCounters counters,
                        StageMetrics metrics) {
        this.epochClock = epochClock;
        this.nanoClock = nanoClock;
        this.skewMs = skewMs;
        this.bans = bans;
        this.userLimiter = userLimiter;
        this.addressLimiter = addressLimiter;
        this.words = words;
        this.linkRule = linkRule;
        this.screening = screening;
        this.counters = counters;
        this.metrics = metrics;
    }

    @Override
    public void onEvent(RingEvent e) {
        if (!clockFresh) {
            nowMs = epochClock.time();
            nowNs = nanoClock.nanoTime();
            clockFresh = true;
            if (screening != null) {
                screening.pollVerdicts(this, 64);
            }
            if (quota != null) {
                quota.poll(this, 256);
            }
        }
        if (e.kind == RingEvent.KIND_FRAME && e.status == 0 && e.type == FrameType.BULLET.code()) {
            admit(e);
        }
    }

    @Override
    public void onEndOfBatch(RingEvent last) {
        clockFresh = false;
        metrics.admitLatency.recordValue(StageMetrics.latency(nanoClock.nanoTime() - last.receivedNanos));
    }

    private void admit(RingEvent e) {
        long skew = e.timestamp - nowMs;
        if (skew > skewMs || skew < -skewMs) {
            e.reject(ErrorCode.TIMESTAMP_SKEW.code(), 0);
            return;
        }
        var banList = bans.current();
        if (banList.isUserBanned(e.userId, nowMs) || screeningBanned(e.userId)) {
            counters.increment(AdmitCounters.Reason.BANNED_USER);
            e.reject(ErrorCode.BANNED.code(), 0);
            return;
        }
        int ipv4 = e.connection.ipv4();
        if (ipv4 != 0 && banList.isIpv4Banned(ipv4, nowMs)) {
            counters.increment(AdmitCounters.Reason.BANNED_IP);
            e.reject(ErrorCode.BANNED.code(), 0);
            return;
        }
        long overQuotaMs = quota == null ? 0 : quotaWait(e.userId);
        if (overQuotaMs > 0) {
            counters.increment(AdmitCounters.Reason.RATE_LIMITED);
            e.reject(ErrorCode.RATE_LIMITED.code(), overQuotaMs);
            return;
        }
        long wait = userLimiter.tryAcquire(e.userId, nowNs);
        if (wait == RateLimiter.ACCEPTED) {
            wait = addressLimiter.tryAcquire(e.connection.addressKey(), nowNs);
        }
        if (wait != RateLimiter.ACCEPTED) {
            if (wait == RateLimiter.TABLE_FULL) {
                counters.increment(AdmitCounters.Reason.RATE_LIMITER_FULL);
                e.reject(ErrorCode.BUSY.code(), 1000);
            } else {
                counters.increment(AdmitCounters.Reason.RATE_LIMITED);
                e.reject(ErrorCode.RATE_LIMITED.code(), wait);
            }
            return;
        }
        if (words != null) {
            int verdict = words.scan(e.frame, e.contentOffset, e.contentLength);
            if (verdict >= 0) {
                counters.increment(AdmitCounters.Reason.SENSITIVE_WORD);
                e.reject(ErrorCode.SENSITIVE_WORD.code(), 0);
                return;
            }
            if (verdict == SensitiveWordFilter.MASK) {
                counters.increment(AdmitCounters.Reason.MASKED);
                e.contentLength = words.mask(e.frame, e.contentOffset, e.contentLength);
            }
        }
        if (linkRule.violates(e.userLevel, e.frame, e.contentOffset, e.contentLength)) {
            counters.increment(AdmitCounters.Reason.LINK_RULE);
            e.reject(ErrorCode.LEVEL_RESTRICTED.code(), 0);
            return;
        }
        // The screening reference is the bullet's client timestamp (its idempotency key, unique per sender).
        if (screening != null
                && !screening.submit(e.timestamp, e.roomId, e.userId, e.frame, e.contentOffset, e.contentLength)) {
            counters.increment(AdmitCounters.Reason.SCREENING_SKIPPED);
        }
        if (quota != null) {
            quota.submit(e.userId); // full queue: not counted, see RedisQuotaGuard.skipped
        }
    }

    private boolean screeningBanned(long userId) {
        long until = screeningBans.get(userId);
        if (until == 0) {
            return false;
        }
        if (until - nowMs > 0) {
            return true;
        }
        screeningBans.remove(userId);
        return false;
    }

    /** A screening verdict, polled on this stage's thread. */
    @Override
    public void onVerdict(long ref, long roomId, long userId, int action, long banDurationMs) {
        if (action == ScreeningVerdict.BAN && screeningBans.size() < 1_000_000) {
            screeningBans.put(userId, nowMs + banDurationMs);
        }
    }
}
