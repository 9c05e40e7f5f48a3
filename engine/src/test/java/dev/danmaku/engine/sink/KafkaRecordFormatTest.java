package dev.danmaku.engine.sink;

import dev.danmaku.codec.BulletDecoder;
import dev.danmaku.codec.Protocol;
import dev.danmaku.engine.journal.JournalRecord;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

import static dev.danmaku.engine.journal.JournalLayout.*;
import static org.assertj.core.api.Assertions.assertThat;

class KafkaRecordFormatTest {
    @Test
    void partitionShouldBeKafkasDefaultPartitionerForTheRoomKey() {
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < 10_000; i++) {
            long room = random.nextLong();
            int partitions = 1 + random.nextInt(64);
            assertThat(KafkaRecordFormat.partition(room, partitions))
                    .as("room %d, %d partitions (seed 42)", room, partitions)
                    .isEqualTo(BuiltInPartitioner.partitionForKey(KafkaRecordFormat.key(room), partitions));
        }
    }

    @Test
    void shouldCarryTheBulletAsAWireFrameAndItsSequencingInHeaders() {
        JournalRecord r = bullet(77L, 3, 41, 1_700_000_000_123L, 9L, 1_700_000_000_200L, 2, "ann", "hello", "red");
        KafkaRecordFormat format = new KafkaRecordFormat();
        byte[] value = format.value(r);
        BulletDecoder d = new BulletDecoder();
        assertThat(d.wrap(new UnsafeBuffer(value), 0, value.length)).isEqualTo(Protocol.OK);
        assertThat(d.roomId()).isEqualTo(77L);
        assertThat(d.userId()).isEqualTo(9L);
        assertThat(d.timestamp()).isEqualTo(1_700_000_000_123L);
        assertThat(d.name()).isEqualTo("ann");
        assertThat(d.content()).isEqualTo("hello");
        assertThat(d.color()).isEqualTo("red");

        RecordHeaders h = new RecordHeaders();
        long document = net.openhft.chronicle.queue.RollCycles.FAST_HOURLY.toIndex(500_000, 0x1234);
        long position = Position.of(document, 7);
        KafkaRecordFormat.headers(h, r, "node-a".getBytes(StandardCharsets.UTF_8), position);
        assertThat(KafkaRecordFormat.longHeader(h, KafkaRecordFormat.SEQ, -1)).isEqualTo(41);
        assertThat(KafkaRecordFormat.epoch(h)).isEqualTo(3);
        assertThat(KafkaRecordFormat.longHeader(h, KafkaRecordFormat.POSITION, -1)).isEqualTo(position);
        assertThat(KafkaRecordFormat.longHeader(h, KafkaRecordFormat.ACCEPT_MS, -1)).isEqualTo(1_700_000_000_200L);
        assertThat(h.lastHeader(KafkaRecordFormat.LEVEL).value()).containsExactly(2);
        assertThat(KafkaRecordFormat.fromNode(h, "node-a".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(KafkaRecordFormat.fromNode(h, "node-b".getBytes(StandardCharsets.UTF_8))).isFalse();
        String traceparent = new String(h.lastHeader(KafkaRecordFormat.TRACEPARENT).value(), StandardCharsets.US_ASCII);
        assertThat(traceparent).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-00")
                .isEqualTo("00-000000000000004d0000000300000029-" + String.format("%016x", position) + "-00");
    }

    /** A BULLET record laid out as JournalLayout says (big-endian). */
    static JournalRecord bullet(long room, long epoch, long seq, long ts, long user, long acceptMs, int level,
                                String name, String content, String color) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] c = content.getBytes(StandardCharsets.UTF_8);
        byte[] k = color.getBytes(StandardCharsets.UTF_8);
        int length = bulletLength(n.length, c.length, k.length);
        ExpandableArrayBuffer b = new ExpandableArrayBuffer(length);
        b.putByte(KIND_OFFSET, (byte) KIND_BULLET);
        b.putShort(LENGTH_OFFSET, (short) length, ORDER);
        b.putLong(ROOM_OFFSET, room, ORDER);
        b.putInt(EPOCH_OFFSET, (int) epoch, ORDER);
        b.putLong(BULLET_SEQUENCE_OFFSET, seq, ORDER);
        b.putLong(BULLET_ACCEPT_TIME_OFFSET, acceptMs, ORDER);
        b.putByte(BULLET_LEVEL_OFFSET, (byte) level);
        b.putLong(BULLET_TIMESTAMP_OFFSET, ts, ORDER);
        b.putLong(BULLET_USER_OFFSET, user, ORDER);
        int p = BULLET_NAME_OFFSET;
        for (byte[] s : new byte[][] {n, c, k}) {
            b.putShort(p, (short) s.length, ORDER);
            b.putBytes(p + 2, s);
            p += 2 + s.length;
        }
        JournalRecord r = new JournalRecord();
        r.wrap(b, 0, length, 1);
        return r;
    }
}
