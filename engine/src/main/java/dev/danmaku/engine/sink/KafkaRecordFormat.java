package dev.danmaku.engine.sink;

import dev.danmaku.codec.FrameEncoder;
import dev.danmaku.engine.journal.JournalRecord;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.utils.Utils;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * How a journal BULLET becomes a Kafka record. One record per bullet; ROOM and EPOCH journal
 * records are not sent (the epoch of every bullet is in its headers, and an epoch change is visible
 * downstream as a new epoch value with the sequence restarting at 1).
 *
 * <pre>
 * partition  murmur2(key) mod partitions, the same as Kafka's default partitioner for this key,
 *            computed here so the sink knows each record's partition (recovery is per partition)
 * key        room id, 8 bytes, big-endian (u64)
 * value      the bullet in the wire format: a codec BULLET frame (docs/protocol.md), 28-byte header
 *            (magic, version, type, timestamp, user, room) + username, content, colour
 * headers    (integers big-endian)
 *   danmaku.seq        8 bytes   room sequence within the epoch (u64, &gt;= 1)
 *   danmaku.epoch      4 bytes   room epoch (u32)
 *   danmaku.node       UTF-8     id of the node that sequenced it (node.id)
 *   danmaku.accept-ms  8 bytes   when the node accepted it, node clock, Unix ms
 *   danmaku.level      1 byte    the sender's level (u8)
 *   danmaku.position   8 bytes   the record's journal position on that node ({@link Position}); the
 *                                sink's recovery point, meaningful only with danmaku.node
 *   traceparent        ASCII     W3C trace context, 00-TRACE-SPAN-00: trace id = room id (16 hex)
 *                                + epoch (8 hex) + sequence (low 32 bits, 8 hex), span id = journal
 *                                position; deterministic, so a rewrite carries the same context.
 *                                Flags 00: not sampled (the node records no spans of its own yet).
 * </pre>
 *
 * Stateless apart from the scratch buffer of an instance, which belongs to the sink thread.
 */
public final class KafkaRecordFormat {
    public static final String SEQ = "danmaku.seq";
    public static final String EPOCH = "danmaku.epoch";
    public static final String NODE = "danmaku.node";
    public static final String ACCEPT_MS = "danmaku.accept-ms";
    public static final String LEVEL = "danmaku.level";
    public static final String POSITION = "danmaku.position";
    public static final String TRACEPARENT = "traceparent";

    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[4096]);

    /** The partition of a room's records: Kafka's default partitioner applied to the 8-byte key. */
    public static int partition(long roomId, int partitions) {
        return Utils.toPositive(Utils.murmur2(key(roomId))) % partitions;
    }

    public static byte[] key(long roomId) {
        return ByteBuffer.allocate(8).putLong(roomId).array();
    }

    /** The BULLET frame of a journal BULLET record. */
    public byte[] value(JournalRecord r) {
        int n = FrameEncoder.bullet(scratch, 0, r.clientTimestamp(), r.userId(), r.roomId(), r.buffer(),
                r.nameOffset(), r.nameLength(), r.contentOffset(), r.contentLength(), r.colorOffset(), r.colorLength());
        byte[] out = new byte[n];
        scratch.getBytes(0, out);
        return out;
    }

    /** Adds the headers of this bullet. */
    public static void headers(Headers h, JournalRecord r, byte[] node, long position) {
        h.add(SEQ, ByteBuffer.allocate(8).putLong(r.sequence()).array());
        h.add(EPOCH, ByteBuffer.allocate(4).putInt((int) r.epoch()).array());
        h.add(NODE, node);
        h.add(ACCEPT_MS, ByteBuffer.allocate(8).putLong(r.acceptTimeMs()).array());
        h.add(LEVEL, new byte[] {(byte) r.userLevel()});
        h.add(POSITION, ByteBuffer.allocate(8).putLong(position).array());
        h.add(TRACEPARENT, traceparent(r.roomId(), r.epoch(), r.sequence(), position).getBytes(StandardCharsets.US_ASCII));
    }

    static String traceparent(long room, long epoch, long seq, long position) {
        return "00-" + hex(room, 16) + hex(epoch, 8) + hex(seq & 0xFFFF_FFFFL, 8) + "-" + hex(position, 16) + "-00";
    }

    private static String hex(long v, int digits) {
        String s = Long.toHexString(v);
        return "0".repeat(Math.max(0, digits - s.length())) + s;
    }

    /** A long header (8 bytes), or {@code missing}. */
    public static long longHeader(Headers h, String name, long missing) {
        Header x = h.lastHeader(name);
        return x == null || x.value() == null || x.value().length != 8 ? missing : ByteBuffer.wrap(x.value()).getLong();
    }

    /** The u32 epoch header, or -1. */
    public static long epoch(Headers h) {
        Header x = h.lastHeader(EPOCH);
        return x == null || x.value() == null || x.value().length != 4 ? -1 : ByteBuffer.wrap(x.value()).getInt() & 0xFFFF_FFFFL;
    }

    /** True if the record's node header is {@code node}. */
    public static boolean fromNode(Headers h, byte[] node) {
        Header x = h.lastHeader(NODE);
        return x != null && java.util.Arrays.equals(x.value(), node);
    }
}
