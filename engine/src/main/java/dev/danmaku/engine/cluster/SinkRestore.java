package dev.danmaku.engine.cluster;

import dev.danmaku.engine.room.EpochChain;
import dev.danmaku.engine.sink.RedisKeys;
import io.lettuce.core.ScoredValue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Builds a restored {@link HandoffDocument} from what the Redis sink holds of a room (docs/redis.md:
 * the applied marker, the recent-bullet pool, the ranking). Only the pool's newest run of
 * consecutive sequences of the applied epoch, ending at the applied sequence, becomes history: what
 * is older or from another epoch cannot be placed exactly. Stateless.
 */
final class SinkRestore {
    private SinkRestore() {
    }

    /**
     * @param applied "EPOCH:SEQ" of the last bullet the sink applied to the room
     * @param pool    pool values, oldest first
     * @param ranking member = user id (decimal), score
     * @throws IllegalArgumentException if the marker is unreadable
     */
    static byte[] document(long room, String applied, List<byte[]> pool, List<ScoredValue<byte[]>> ranking,
                           long mapVersion, long nowMs, String self) {
        RedisKeys.Applied marker;
        try {
            marker = RedisKeys.Applied.parse(applied);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("room " + Long.toUnsignedString(room) + ": " + e.getMessage());
        }
        long epoch = marker.epoch();
        long last = marker.sequence();
        // Newest first: walk back while the sequence counts down by one in the same epoch.
        int end = pool.size();
        int start = end;
        long expect = last;
        for (int i = end - 1; i >= 0; i--) {
            byte[] v = pool.get(i);
            if (v.length < RedisKeys.VALUE_ENTRY_OFFSET + 22 || v[0] != RedisKeys.VALUE_FORMAT) {
                break;
            }
            ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.BIG_ENDIAN);
            long e = b.getInt(1) & 0xFFFF_FFFFL;
            long s = b.getLong(5);
            if (e != epoch || s != expect) {
                break;
            }
            start = i;
            expect--;
        }
        int count = end - start;
        long first = last - count + 1;
        int from = start;
        long[] users = new long[ranking.size()];
        long[] scores = new long[users.length];
        int n = 0;
        for (ScoredValue<byte[]> r : ranking) {
            try {
                users[n] = Long.parseUnsignedLong(new String(r.getValue(), StandardCharsets.UTF_8));
                scores[n++] = (long) r.getScore();
            } catch (NumberFormatException ignored) {
                // not a user id: skip
            }
        }
        return HandoffDocument.encode(HandoffDocument.FLAG_RESTORED, room, epoch, last, mapVersion, nowMs, "sinks", self,
                EpochChain.NONE, first, count, new HandoffDocument.Entries() {
                    @Override
                    public int length(int i) {
                        return pool.get(from + i).length - RedisKeys.VALUE_ENTRY_OFFSET;
                    }

                    @Override
                    public void copy(int i, ByteBuffer out) {
                        byte[] v = pool.get(from + i);
                        out.put(v, RedisKeys.VALUE_ENTRY_OFFSET, v.length - RedisKeys.VALUE_ENTRY_OFFSET);
                    }
                }, users, scores, n);
    }
}
