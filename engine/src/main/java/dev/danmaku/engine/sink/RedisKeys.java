package dev.danmaku.engine.sink;

import dev.danmaku.engine.journal.JournalLayout;
import dev.danmaku.engine.journal.JournalRecord;

import java.nio.charset.StandardCharsets;

/**
 * The Redis key space of the node (docs/operations.md lists it for operators). A room's keys share
 * the hash tag {@code {room:ID}}, so they live in one Redis Cluster slot and one Lua script can
 * update them atomically; the global keys share the tag {@code {global}} for the same reason.
 *
 * <pre>
 * key                                 type    contents
 * danmaku:{room:ID}:bullets           list    the room's recent-bullet pool (the design document's
 *                                             LiveBulletKey): values below, oldest first, capped at
 *                                             redis.pool-size (LTRIM keeps the newest)
 * danmaku:{room:ID}:ranking           zset    member = user id (unsigned decimal), score = the
 *                                             node's leaderboard score (bullet + byte weights)
 * danmaku:{room:ID}:applied           string  "EPOCH:SEQ" of the last bullet applied to the room's keys
 * danmaku:{global}:ranking            zset    member = user id, score summed over every room
 * danmaku:{global}:rooms:active       zset    member = room id (decimal), score = accept time (ms) of its
 *                                             newest bullet (ActiveLiveRoomsKey)
 * danmaku:{global}:applied            hash    room id -> "EPOCH:SEQ" last applied to the global keys
 * danmaku:bans:users                  hash    user id -> expiresAtMs (-1 = permanent)
 * danmaku:bans:ips                    hash    IPv4 a.b.c.d -> expiresAtMs (-1 = permanent)
 * (channel) danmaku:bans              pub/sub "ban user ID UNTIL", "unban user ID", "ban ip A.B.C.D UNTIL", ...
 * danmaku:quota:{user:ID}             string  bullets counted in the user's current quota window (PTTL = rest of it)
 * </pre>
 *
 * <b>Pool value</b>, big-endian, 23 + n1 + n2 + n3 bytes:
 * <pre>
 *  0  1   format      u8 = 1
 *  1  4   epoch       u32
 *  5  8   sequence    u64 (within the epoch)
 * 13  8   accept time i64, node clock, Unix ms
 * 21  1   user level  u8
 * 22  --  batch entry, exactly a codec BATCH payload entry:
 *         timestamp i64 | user id u64 | name u16+UTF-8 | content u16+UTF-8 | colour u16+UTF-8
 * </pre>
 * Binary rather than JSON because it is the journal's BULLET record from its epoch field on, copied
 * with one {@code putBytes} and no re-encoding, about half the size of the JSON, and its tail is the
 * codec's own batch entry, so any consumer with the codec (or docs/protocol.md) decodes it; the
 * leading (epoch, sequence) makes values sort in room order. {@code danmaku client replay --from redis}
 * prints them.
 */
public final class RedisKeys {
    /** Format byte of pool values. */
    public static final int VALUE_FORMAT = 1;
    /** Offset of the batch entry in a pool value. */
    public static final int VALUE_ENTRY_OFFSET = 22;

    public static final String GLOBAL_RANKING = "danmaku:{global}:ranking";
    public static final String ACTIVE_ROOMS = "danmaku:{global}:rooms:active";
    public static final String GLOBAL_APPLIED = "danmaku:{global}:applied";
    public static final String BANNED_USERS = "danmaku:bans:users";
    public static final String BANNED_IPS = "danmaku:bans:ips";
    public static final String BANS_CHANNEL = "danmaku:bans";

    private RedisKeys() {
    }

    public static String pool(long roomId) {
        return "danmaku:{room:" + Long.toUnsignedString(roomId) + "}:bullets";
    }

    public static String ranking(long roomId) {
        return "danmaku:{room:" + Long.toUnsignedString(roomId) + "}:ranking";
    }

    public static String applied(long roomId) {
        return "danmaku:{room:" + Long.toUnsignedString(roomId) + "}:applied";
    }

    /** An applied marker's value: the (epoch, seq) of the last bullet applied. */
    public record Applied(long epoch, long sequence) {
        /**
         * Parses "EPOCH:SEQ".
         *
         * @throws IllegalArgumentException if it is not two decimal numbers around a colon
         */
        public static Applied parse(String marker) {
            int colon = marker.indexOf(':');
            try {
                if (colon > 0) {
                    return new Applied(Long.parseLong(marker.substring(0, colon)), Long.parseLong(marker.substring(colon + 1)));
                }
            } catch (NumberFormatException e) {
                // below
            }
            throw new IllegalArgumentException("bad applied marker '" + marker + "' (want EPOCH:SEQ)");
        }

        /** True if this marker is at or past (epoch, seq): epochs only grow as a room moves. */
        public boolean reaches(long epoch, long sequence) {
            return this.epoch > epoch || (this.epoch == epoch && this.sequence >= sequence);
        }
    }

    public static String quota(long userId) {
        return "danmaku:quota:{user:" + Long.toUnsignedString(userId) + "}";
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The pool value of a BULLET record (see the class comment). */
    public static byte[] poolValue(JournalRecord bullet) {
        int from = bullet.offset() + JournalLayout.EPOCH_OFFSET;
        int n = bullet.length() - JournalLayout.EPOCH_OFFSET;
        byte[] v = new byte[1 + n];
        v[0] = VALUE_FORMAT;
        bullet.buffer().getBytes(from, v, 1, n);
        return v;
    }
}
