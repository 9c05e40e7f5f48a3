package dev.danmaku.engine.sink;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A Lua script sent with EVALSHA, its SHA-1 computed locally. A server that does not have it (a
 * fresh or restarted server, a promoted replica) answers NOSCRIPT; the caller then sends it with
 * EVAL, which also caches it there ({@link #isNoScript}). The Lua texts of the node live here.
 * Immutable; thread-safe.
 */
public final class RedisScript {
    /**
     * Applies one room's bullets of a sink batch to the room's keys, skipping every bullet at or
     * before the room's applied (epoch, sequence), so a replayed batch changes nothing.
     * KEYS: pool list, room ranking zset, applied string. ARGV: pool cap, then per bullet: epoch,
     * sequence, user id, score increment, pool value. Returns the number of bullets applied.
     */
    public static final RedisScript APPLY_ROOM = new RedisScript("""
            local ae, as = -1, -1
            local a = redis.call('GET', KEYS[3])
            if a then
              local c = string.find(a, ':', 1, true)
              ae = tonumber(string.sub(a, 1, c - 1)); as = tonumber(string.sub(a, c + 1))
            end
            local le, ls, n = nil, nil, 0
            for i = 2, #ARGV, 5 do
              local e = tonumber(ARGV[i]); local s = tonumber(ARGV[i + 1])
              if e > ae or (e == ae and s > as) then
                redis.call('RPUSH', KEYS[1], ARGV[i + 4])
                if ARGV[i + 3] ~= '0' then redis.call('ZINCRBY', KEYS[2], ARGV[i + 3], ARGV[i + 2]) end
                ae, as, le, ls, n = e, s, ARGV[i], ARGV[i + 1], n + 1
              end
            end
            if n > 0 then
              redis.call('LTRIM', KEYS[1], -tonumber(ARGV[1]), -1)
              redis.call('SET', KEYS[3], le .. ':' .. ls)
            end
            return n
            """);

    /**
     * Applies a sink batch to the global keys, each room guarded by its own applied marker in a
     * hash, so a replay changes nothing. KEYS: applied hash, global ranking zset, active-rooms zset.
     * ARGV: per room: room id, bullet count k, newest accept time (ms), then k x (epoch, sequence,
     * user id, score increment). Returns the number of bullets applied.
     */
    public static final RedisScript APPLY_GLOBAL = new RedisScript("""
            local i, n = 1, 0
            while i <= #ARGV do
              local room, k, active = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
              i = i + 3
              local ae, as = -1, -1
              local a = redis.call('HGET', KEYS[1], room)
              if a then
                local c = string.find(a, ':', 1, true)
                ae = tonumber(string.sub(a, 1, c - 1)); as = tonumber(string.sub(a, c + 1))
              end
              local le, ls = nil, nil
              for j = 1, k do
                local e = tonumber(ARGV[i]); local s = tonumber(ARGV[i + 1])
                if e > ae or (e == ae and s > as) then
                  if ARGV[i + 3] ~= '0' then redis.call('ZINCRBY', KEYS[2], ARGV[i + 3], ARGV[i + 2]) end
                  ae, as, le, ls, n = e, s, ARGV[i], ARGV[i + 1], n + 1
                end
                i = i + 4
              end
              if le then
                redis.call('HSET', KEYS[1], room, le .. ':' .. ls)
                redis.call('ZADD', KEYS[3], 'GT', active, room)
              end
            end
            return n
            """);

    /**
     * A fixed-window counter per user: adds ARGV[1] to KEYS[1], starting a window of ARGV[2] ms
     * when the key is new. Returns {count in the window, ms left in the window}.
     */
    public static final RedisScript QUOTA = new RedisScript("""
            local n = redis.call('INCRBY', KEYS[1], ARGV[1])
            local ttl = redis.call('PTTL', KEYS[1])
            if ttl < 0 then
              redis.call('PEXPIRE', KEYS[1], ARGV[2])
              ttl = tonumber(ARGV[2])
            end
            return {n, ttl}
            """);

    private final String text;
    private final byte[] bytes;
    private final String sha;

    private RedisScript(String text) {
        this.text = text;
        this.bytes = text.getBytes(StandardCharsets.UTF_8);
        try {
            this.sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public String sha() {
        return sha;
    }

    public String text() {
        return text;
    }

    /** EVALSHA, or EVAL when {@code withText} (after a NOSCRIPT). */
    public <K, V, T> RedisFuture<T> run(RedisClusterAsyncCommands<K, V> redis, boolean withText, ScriptOutputType type,
                                        K[] keys, V[] args) {
        return withText ? redis.eval(bytes, type, keys, args) : redis.evalsha(sha, type, keys, args);
    }

    /** Whether {@code t} (or its cause) is a NOSCRIPT reply. */
    public static boolean isNoScript(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof RedisNoScriptException || (c.getMessage() != null && c.getMessage().startsWith("NOSCRIPT"))) {
                return true;
            }
        }
        return false;
    }
}
