package dev.danmaku.engine.cluster;

import dev.danmaku.codec.BatchLayout;
import dev.danmaku.codec.Protocol;
import dev.danmaku.engine.room.Leaderboard;
import dev.danmaku.engine.room.RoomHistory;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A room's state as its old owner hands it to the new one (through Redis: {@code ClusterStore
 * .putHandoff}): where its sequence stands, its recent history (so viewers resume exactly at the
 * new owner and retries of recent bullets are recognised), and its leaderboard. Written by the old
 * owner's fan-out stage after the room's release is journaled, read by the new owner's cluster
 * thread. Immutable once decoded.
 *
 * <pre>
 *  offset size  field (big-endian)
 *   0     4     magic "DMHO"
 *   4     1     version = 1
 *   5     8     room id          u64
 *  13     4     epoch            u32, at the old owner
 *  17     8     last sequence    u64, the old owner's last
 *  25     8     map version      u64, the map the old owner released it under
 *  33     8     time             i64, old owner's clock, Unix ms
 *  41     2+n   from node id     u16 length + UTF-8
 *   .     2+n   to node id       u16 length + UTF-8
 *   .     8     first sequence   u64, of the history that follows (last + 1 if none)
 *   .     4     history count    u32, entries for first .. last
 *   .     ...   entries          u16 length + one BATCH payload entry (codec BatchLayout), each
 *   .     4     leaderboard size u32
 *   .     16xn  user u64, score i64
 * </pre>
 */
public final class HandoffDocument {
    private static final int MAGIC = 0x444D484F; // "DMHO"
    private static final int VERSION = 1;

    private final long room;
    private final long epoch;
    private final long lastSequence;
    private final long mapVersion;
    private final long timeMs;
    private final String from;
    private final String to;
    private final long firstSequence;
    private final UnsafeBuffer entries;
    private final int[] entryOffsets;
    private final int[] entryLengths;
    private final long[] users;
    private final long[] scores;

    private HandoffDocument(long room, long epoch, long lastSequence, long mapVersion, long timeMs, String from,
                            String to, long firstSequence, UnsafeBuffer entries, int[] entryOffsets,
                            int[] entryLengths, long[] users, long[] scores) {
        this.room = room;
        this.epoch = epoch;
        this.lastSequence = lastSequence;
        this.mapVersion = mapVersion;
        this.timeMs = timeMs;
        this.from = from;
        this.to = to;
        this.firstSequence = firstSequence;
        this.entries = entries;
        this.entryOffsets = entryOffsets;
        this.entryLengths = entryLengths;
        this.users = users;
        this.scores = scores;
    }

    /**
     * Encodes a room's state. Fan-out stage thread (allocates: one document per room handed over).
     *
     * @param history the room's history; entries from its first retained sequence (and at least
     *                {@code fromSequence}) to {@code lastSequence}
     */
    public static byte[] encode(long room, long epoch, long lastSequence, long mapVersion, long timeMs, String from,
                                String to, RoomHistory history, Leaderboard leaderboard, long fromSequence) {
        byte[] f = from.getBytes(StandardCharsets.UTF_8);
        byte[] t = to.getBytes(StandardCharsets.UTF_8);
        long first = Math.min(Math.max(Math.max(history.firstSequence(), 1), fromSequence), lastSequence + 1);
        long bytes = 64L + f.length + t.length;
        for (long s = first; s <= lastSequence; s++) {
            bytes += 2 + history.length(s);
        }
        long[] users = new long[leaderboard.size()];
        long[] scores = new long[users.length];
        int[] n = {0};
        leaderboard.forEach((user, score) -> {
            users[n[0]] = user;
            scores[n[0]++] = score;
        });
        bytes += 4 + 16L * n[0];
        ByteBuffer out = ByteBuffer.allocate((int) bytes).order(ByteOrder.BIG_ENDIAN);
        out.putInt(MAGIC).put((byte) VERSION).putLong(room).putInt((int) epoch).putLong(lastSequence)
                .putLong(mapVersion).putLong(timeMs);
        out.putShort((short) f.length).put(f).putShort((short) t.length).put(t);
        out.putLong(first).putInt((int) (lastSequence - first + 1));
        UnsafeBuffer log = history.buffer();
        for (long s = first; s <= lastSequence; s++) {
            int len = history.length(s);
            out.putShort((short) len);
            log.getBytes(history.offset(s), out, out.position(), len);
            out.position(out.position() + len);
        }
        out.putInt(n[0]);
        for (int i = 0; i < n[0]; i++) {
            out.putLong(users[i]).putLong(scores[i]);
        }
        byte[] result = new byte[out.position()];
        System.arraycopy(out.array(), 0, result, 0, result.length);
        return result;
    }

    /**
     * Decodes a document. Any thread.
     *
     * @throws IllegalArgumentException if it is not a well-formed version-1 document
     */
    public static HandoffDocument decode(byte[] bytes) {
        try {
            ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
            if (in.getInt() != MAGIC || in.get() != VERSION) {
                throw new IllegalArgumentException("not a version-1 handoff document");
            }
            long room = in.getLong();
            long epoch = in.getInt() & 0xFFFF_FFFFL;
            long last = in.getLong();
            long mapVersion = in.getLong();
            long time = in.getLong();
            String from = string(in);
            String to = string(in);
            long first = in.getLong();
            long count = in.getInt() & 0xFFFF_FFFFL;
            if (room == 0 || epoch == 0 || last < 0 || first < 1 || first - 1 + count != last || count > bytes.length) {
                throw new IllegalArgumentException("inconsistent handoff header (room " + Long.toUnsignedString(room)
                        + ", epoch " + epoch + ", history " + first + "+" + count + ", last " + last + ")");
            }
            int[] offsets = new int[(int) count];
            int[] lengths = new int[(int) count];
            for (int i = 0; i < count; i++) {
                int len = in.getShort() & 0xFFFF;
                if (len < BatchLayout.ENTRY_FIXED_LENGTH || len > BatchLayout.MAX_ENTRY_LENGTH) {
                    throw new IllegalArgumentException("history entry of " + len + " bytes");
                }
                offsets[i] = in.position();
                lengths[i] = len;
                in.position(in.position() + len);
            }
            int n = in.getInt();
            if (n < 0 || n > (in.remaining() / 16)) {
                throw new IllegalArgumentException("leaderboard of " + n + " entries does not fit");
            }
            long[] users = new long[n];
            long[] scores = new long[n];
            for (int i = 0; i < n; i++) {
                users[i] = in.getLong();
                scores[i] = in.getLong();
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException(in.remaining() + " trailing bytes");
            }
            return new HandoffDocument(room, epoch, last, mapVersion, time, from, to, first, new UnsafeBuffer(bytes),
                    offsets, lengths, users, scores);
        } catch (java.nio.BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("truncated handoff document");
        }
    }

    private static String string(ByteBuffer in) {
        int n = in.getShort() & 0xFFFF;
        byte[] b = new byte[n];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    public long room() {
        return room;
    }

    /** The room's epoch at the old owner. */
    public long epoch() {
        return epoch;
    }

    /** The old owner's last sequence: the new owner continues after it. */
    public long lastSequence() {
        return lastSequence;
    }

    public long mapVersion() {
        return mapVersion;
    }

    public long timeMs() {
        return timeMs;
    }

    public String from() {
        return from;
    }

    public String to() {
        return to;
    }

    /** Sequence of the first history entry ({@code lastSequence + 1} when there is none). */
    public long firstSequence() {
        return firstSequence;
    }

    public int historyCount() {
        return entryOffsets.length;
    }

    /** The buffer history entries are in. */
    public UnsafeBuffer entries() {
        return entries;
    }

    /** Offset of the entry for {@code firstSequence() + i} in {@link #entries()}. */
    public int entryOffset(int i) {
        return entryOffsets[i];
    }

    public int entryLength(int i) {
        return entryLengths[i];
    }

    /** The entry's sender timestamp (its idempotency key). */
    public long entryTimestamp(int i) {
        return entries.getLong(entryOffsets[i], Protocol.ORDER);
    }

    public long entryUser(int i) {
        return entries.getLong(entryOffsets[i] + 8, Protocol.ORDER);
    }

    /** Offset of the entry's content bytes (after its u16 length) in {@link #entries()}. */
    public int entryContentOffset(int i) {
        int name = entryOffsets[i] + 16; // after timestamp and user id: the username's u16 length
        int nameLength = entries.getShort(name, Protocol.ORDER) & 0xFFFF;
        return name + 2 + nameLength + 2;
    }

    public int entryContentLength(int i) {
        return entries.getShort(entryContentOffset(i) - 2, Protocol.ORDER) & 0xFFFF;
    }

    public int leaderboardSize() {
        return users.length;
    }

    public long leaderboardUser(int i) {
        return users[i];
    }

    public long leaderboardScore(int i) {
        return scores[i];
    }
}
