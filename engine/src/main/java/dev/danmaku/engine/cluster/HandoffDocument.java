package dev.danmaku.engine.cluster;

import dev.danmaku.codec.BatchLayout;
import dev.danmaku.codec.Protocol;
import dev.danmaku.engine.room.EpochChain;
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
 *   4     1     version = 2 (1 is read too: it has no ancestors field)
 *   5     1     flags            bit 0 RESTORED: rebuilt from the sinks after the owner died, so
 *                                the epoch may have gone on past last sequence (no exact resume)
 *   6     8     room id          u64
 *  14     4     epoch            u32, at the old owner
 *  18     8     last sequence    u64, the old owner's last (as far as known)
 *  26     8     map version      u64, the map it was released (or restored) under
 *  34     8     time             i64, writer's clock, Unix ms
 *  42     2+n   from node id     u16 length + UTF-8 ("sinks" when restored)
 *   .     2+n   to node id       u16 length + UTF-8
 *   .     1     ancestors        u8, epochs the room was in before epoch, oldest first (v2)
 *   .     13xn  epoch u32, last sequence u64, exact u8 (1: a handoff; 0: rebuilt from the sinks)
 *   .     8     unknown through  u64, sequences up to this belong to epochs no longer listed (v2)
 *   .     8     first sequence   u64, of the history that follows (last + 1 if none)
 *   .     4     history count    u32, entries for first .. last
 *   .     ...   entries          u16 length + one BATCH payload entry (codec BatchLayout), each
 *   .     4     leaderboard size u32
 *   .     16xn  user u64, score i64
 * </pre>
 */
public final class HandoffDocument {
    private static final int MAGIC = 0x444D484F; // "DMHO"
    private static final int VERSION = 2;
    /** Flag: rebuilt from what the sinks hold after the owner died; the old epoch's end is unknown. */
    public static final int FLAG_RESTORED = 1;

    private final int flags;
    private final long room;
    private final long epoch;
    private final long lastSequence;
    private final long mapVersion;
    private final long timeMs;
    private final String from;
    private final String to;
    private final EpochChain ancestors;
    private final long firstSequence;
    private final UnsafeBuffer entries;
    private final int[] entryOffsets;
    private final int[] entryLengths;
    private final long[] users;
    private final long[] scores;

    private HandoffDocument(int flags, long room, long epoch, long lastSequence, long mapVersion, long timeMs, String from,
                            String to, EpochChain ancestors, long firstSequence, UnsafeBuffer entries,
                            int[] entryOffsets, int[] entryLengths, long[] users, long[] scores) {
        this.flags = flags;
        this.room = room;
        this.epoch = epoch;
        this.lastSequence = lastSequence;
        this.mapVersion = mapVersion;
        this.timeMs = timeMs;
        this.from = from;
        this.to = to;
        this.ancestors = ancestors;
        this.firstSequence = firstSequence;
        this.entries = entries;
        this.entryOffsets = entryOffsets;
        this.entryLengths = entryLengths;
        this.users = users;
        this.scores = scores;
    }

    /** History entries by index, for {@link #encode(int, long, long, long, long, long, String, String, EpochChain, long, int, Entries, long[], long[], int)}. */
    public interface Entries {
        int length(int i);

        /** Copies entry {@code i} into {@code out} at its position (advancing it). */
        void copy(int i, ByteBuffer out);
    }

    /**
     * Encodes a room's state from the fan-out stage's history and leaderboard. Fan-out stage thread
     * (allocates: one document per room handed over).
     *
     * @param ancestors the epochs the room was in before {@code epoch} (its history may hold their bullets)
     * @param history   the room's history; every entry it retains goes, from its first retained
     *                  sequence (past the oldest epoch still known) to {@code lastSequence}
     */
    public static byte[] encode(long room, long epoch, long lastSequence, long mapVersion, long timeMs, String from,
                                String to, EpochChain ancestors, RoomHistory history, Leaderboard leaderboard) {
        long first = Math.min(Math.max(Math.max(history.firstSequence(), 1), ancestors.unknownThrough() + 1),
                lastSequence + 1);
        long[] users = new long[leaderboard.size()];
        long[] scores = new long[users.length];
        int[] n = {0};
        leaderboard.forEach((user, score) -> {
            users[n[0]] = user;
            scores[n[0]++] = score;
        });
        UnsafeBuffer log = history.buffer();
        return encode(0, room, epoch, lastSequence, mapVersion, timeMs, from, to, ancestors, first,
                (int) (lastSequence - first + 1),
                new Entries() {
                    @Override
                    public int length(int i) {
                        return history.length(first + i);
                    }

                    @Override
                    public void copy(int i, ByteBuffer out) {
                        int len = history.length(first + i);
                        log.getBytes(history.offset(first + i), out, out.position(), len);
                        out.position(out.position() + len);
                    }
                }, users, scores, n[0]);
    }

    /** Encodes a document: {@code count} entries for sequences {@code first ..}, and {@code n} leaderboard entries. */
    public static byte[] encode(int flags, long room, long epoch, long lastSequence, long mapVersion, long timeMs,
                                String from, String to, EpochChain ancestors, long first, int count,
                                Entries entries, long[] users, long[] scores, int n) {
        byte[] f = from.getBytes(StandardCharsets.UTF_8);
        byte[] t = to.getBytes(StandardCharsets.UTF_8);
        long bytes = 64L + f.length + t.length + 9 + 13L * ancestors.size() + 4 + 16L * n;
        for (int i = 0; i < count; i++) {
            bytes += 2 + entries.length(i);
        }
        ByteBuffer out = ByteBuffer.allocate((int) bytes).order(ByteOrder.BIG_ENDIAN);
        out.putInt(MAGIC).put((byte) VERSION).put((byte) flags).putLong(room).putInt((int) epoch).putLong(lastSequence)
                .putLong(mapVersion).putLong(timeMs);
        out.putShort((short) f.length).put(f).putShort((short) t.length).put(t);
        out.put((byte) ancestors.size());
        for (int i = 0; i < ancestors.size(); i++) {
            out.putInt((int) ancestors.epoch(i)).putLong(ancestors.end(i)).put((byte) (ancestors.exact(i) ? 1 : 0));
        }
        out.putLong(ancestors.unknownThrough());
        out.putLong(first).putInt(count);
        for (int i = 0; i < count; i++) {
            out.putShort((short) entries.length(i));
            entries.copy(i, out);
        }
        out.putInt(n);
        for (int i = 0; i < n; i++) {
            out.putLong(users[i]).putLong(scores[i]);
        }
        byte[] result = new byte[out.position()];
        System.arraycopy(out.array(), 0, result, 0, result.length);
        return result;
    }

    /**
     * Decodes a document. Any thread.
     *
     * @throws IllegalArgumentException if it is not a well-formed version-1 or version-2 document
     */
    public static HandoffDocument decode(byte[] bytes) {
        try {
            ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
            if (in.getInt() != MAGIC) {
                throw new IllegalArgumentException("not a handoff document");
            }
            int version = in.get();
            if (version != 1 && version != VERSION) {
                throw new IllegalArgumentException("handoff document version " + version + " (this node reads 1 and 2)");
            }
            int flags = in.get() & 0xFF;
            if ((flags & ~FLAG_RESTORED) != 0) {
                throw new IllegalArgumentException("unknown handoff flags " + flags);
            }
            long room = in.getLong();
            long epoch = in.getInt() & 0xFFFF_FFFFL;
            long last = in.getLong();
            long mapVersion = in.getLong();
            long time = in.getLong();
            String from = string(in);
            String to = string(in);
            EpochChain ancestors = EpochChain.NONE;
            if (version >= 2) {
                int a = in.get() & 0xFF;
                if (a > EpochChain.MAX) {
                    throw new IllegalArgumentException(a + " ancestor epochs (at most " + EpochChain.MAX + ")");
                }
                for (int i = 0; i < a; i++) {
                    long ae = in.getInt() & 0xFFFF_FFFFL;
                    long end = in.getLong();
                    int exact = in.get();
                    boolean ordered = ancestors.size() == 0 || end >= ancestors.end(ancestors.size() - 1);
                    if (ae == 0 || end > last || !ordered || (exact & ~1) != 0) {
                        throw new IllegalArgumentException("ancestor epoch " + ae + " ending at " + end + " (last " + last
                                + ", exact " + exact + ")");
                    }
                    ancestors = ancestors.then(ae, end, exact == 1);
                }
                long unknown = in.getLong();
                if (unknown < 0 || unknown > last) {
                    throw new IllegalArgumentException("unknown-through " + unknown + " past last " + last);
                }
                ancestors = ancestors.unknownThrough(unknown);
            }
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
            if (first <= ancestors.unknownThrough() && count > 0) {
                throw new IllegalArgumentException("history from " + first + " holds sequences of unknown epochs (through "
                        + ancestors.unknownThrough() + ")");
            }
            return new HandoffDocument(flags, room, epoch, last, mapVersion, time, from, to, ancestors, first,
                    new UnsafeBuffer(bytes),
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

    /** True if rebuilt from the sinks after the owner died: resumes from its epoch cannot be exact. */
    public boolean restored() {
        return (flags & FLAG_RESTORED) != 0;
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

    /** The epochs the room was in before {@link #epoch()} at the old owner. */
    public EpochChain ancestors() {
        return ancestors;
    }

    /**
     * The epochs the room was in before the new owner's: the ancestors, then this document's epoch
     * ending at its last sequence (exact unless {@link #restored()}).
     */
    public EpochChain lineage() {
        return ancestors.then(epoch, lastSequence, !restored());
    }

    /** The epoch history entry {@code i} was sequenced in (0 if no longer known). */
    public long entryEpoch(int i) {
        return ancestors.epochOf(firstSequence + i, epoch);
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
