package dev.danmaku.engine.journal;

import dev.danmaku.codec.BatchEncoder;
import dev.danmaku.codec.BatchLayout;
import net.openhft.chronicle.bytes.MappedBytesStore;
import net.openhft.chronicle.bytes.SyncMode;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class JournalRoundTripTest {
    private static final long T0 = 1_764_000_000_000L;

    @TempDir
    Path dir;

    private JournalConfig config() {
        final CachedEpochClock clock = new CachedEpochClock();
        clock.update(T0);
        return JournalConfig.defaults(dir).withClock(clock);
    }

    /** Everything a handler saw, as strings (copies, since the record is a reusable view). */
    private static final class Collector implements RecordHandler {
        final List<String> records = new ArrayList<>();
        final List<Long> indexes = new ArrayList<>();

        @Override
        public void onRecord(final JournalRecord record, final long documentIndex) {
            assertThat(record.documentIndex()).isEqualTo(documentIndex);
            records.add(record.toString());
            indexes.add(documentIndex);
        }
    }

    @Test
    void shouldRoundTripEveryRecordKindWithCjkAndEmojiStrings() {
        final JournalTesting.Strings s = new JournalTesting.Strings();
        final long index;
        try (Journal journal = Journal.open(config())) {
            final JournalWriter writer = journal.writer();
            assertThat(writer.appendRoom(-2L, 7, T0)).isTrue();
            assertThat(writer.appendEpoch(-2L, 8, EpochReason.HISTORY_LOST, T0 + 1)).isTrue();
            assertThat(s.set("弹幕君😀", "前方高能！🎉🎉 ｗｗｗ", "#FFCC00")
                    .append(writer, -2L, 0xFFFF_FFFFL, Long.MAX_VALUE, T0 - 5, -1L, T0 + 2, 255)).isTrue();
            assertThat(s.set("", "x", "").append(writer, 1, 1, 1, 0, 1, 0, 0)).isTrue();
            assertThat(writer.recordCount()).isEqualTo(4);
            index = writer.commit();
            assertThat(index).isGreaterThanOrEqualTo(0);
            assertThat(writer.commit()).as("nothing appended since").isEqualTo(-1);
            assertThat(journal.lastIndex()).isEqualTo(index);
        }
        try (Journal journal = Journal.open(config()); JournalReader reader = journal.reader()) {
            final Collector c = new Collector();
            assertThat(reader.read(c, 100)).isEqualTo(4);
            assertThat(reader.read(c, 100)).isZero();
            assertThat(c.indexes).containsOnly(index);
            assertThat(c.records).containsExactly(
                    "ROOM{room=18446744073709551614, epoch=7, created=" + T0 + "}",
                    "EPOCH{room=18446744073709551614, epoch=8, reason=HISTORY_LOST, at=" + (T0 + 1) + "}",
                    "BULLET{room=18446744073709551614, epoch=4294967295, seq=" + Long.MAX_VALUE + ", ts=" + (T0 - 5)
                            + ", user=18446744073709551615, accept=" + (T0 + 2) + ", level=255, name=弹幕君😀,"
                            + " content=前方高能！🎉🎉 ｗｗｗ, color=#FFCC00}",
                    "BULLET{room=1, epoch=1, seq=1, ts=0, user=1, accept=0, level=0, name=, content=x, color=}");
        }
    }

    @Test
    void shouldExposeTheBatchEntryByteForByteAsTheCodecEncodesIt() {
        final JournalTesting.Strings s = new JournalTesting.Strings().set("观众", "这波操作666 🐮🍺", "red");
        try (Journal journal = Journal.open(config()); BatchEncoder viaAddTo = new BatchEncoder(Integer.MAX_VALUE, 3, null, 1 << 16, 16);
             BatchEncoder direct = new BatchEncoder(Integer.MAX_VALUE, 3, null, 1 << 16, 16)) {
            final JournalWriter writer = journal.writer();
            s.append(writer, 42, 3, 17, T0, 99, T0 + 10, 5);
            writer.commit();
            direct.reset(42, 3, 17).add(T0, 99, s.buffer, 0, s.nameLength, s.nameLength, s.contentLength,
                    s.nameLength + s.contentLength, s.colorLength);
            final UnsafeBuffer expected = new UnsafeBuffer(new byte[4096]);
            final int expectedLength = direct.encode(expected, 0);

            final UnsafeBuffer copied = new UnsafeBuffer(new byte[4096]);
            final int[] copiedLength = new int[1];
            viaAddTo.reset(42, 3, 17);
            try (JournalReader reader = journal.reader()) {
                reader.read((record, index) -> {
                    copiedLength[0] = record.copyEntry(copied, 0);
                    assertThat(record.addTo(viaAddTo)).isTrue();
                }, 1);
            }
            // copyEntry gives exactly the BATCH payload entry
            assertThat(copiedLength[0]).isEqualTo(expectedLength - BatchLayout.HEADER_LENGTH);
            assertThat(bytes(copied, 0, copiedLength[0])).isEqualTo(bytes(expected, BatchLayout.HEADER_LENGTH, copiedLength[0]));
            // addTo builds the same frame, which the codec decodes back
            final UnsafeBuffer frame = new UnsafeBuffer(new byte[4096]);
            final int frameLength = viaAddTo.encode(frame, 0);
            assertThat(bytes(frame, 0, frameLength)).isEqualTo(bytes(expected, 0, expectedLength));
        }
    }

    private static byte[] bytes(final UnsafeBuffer b, final int offset, final int length) {
        final byte[] out = new byte[length];
        b.getBytes(offset, out);
        return out;
    }

    @Test
    void shouldRefuseARecordThatDoesNotFitAndKeepTheDocumentIntact() {
        final JournalTesting.Strings s = new JournalTesting.Strings().set("n", "c".repeat(512), "");
        try (Journal journal = Journal.open(config().withMaxDocumentLength(JournalConfig.MIN_MAX_DOCUMENT_LENGTH))) {
            final JournalWriter writer = journal.writer();
            assertThat(s.append(writer, 1, 1, 1, 0, 1, 0, 0)).isTrue();
            final int length = writer.documentLength();
            assertThat(s.append(writer, 1, 1, 2, 0, 1, 0, 0)).as("second large bullet does not fit").isFalse();
            assertThat(writer.documentLength()).isEqualTo(length);
            assertThat(writer.recordCount()).isEqualTo(1);
            final long first = writer.commit();
            assertThat(s.append(writer, 1, 1, 2, 0, 1, 0, 0)).isTrue();
            final long second = writer.commit();
            assertThat(second).isGreaterThan(first);
            final List<Long> seqs = new ArrayList<>();
            try (JournalReader reader = journal.reader()) {
                reader.read((r, i) -> seqs.add(r.sequence()), 10);
            }
            assertThat(seqs).containsExactly(1L, 2L);
        }
    }

    @Test
    void shouldReadManyDocumentsFromTheMiddleAndResumeInsideADocument() {
        final JournalTesting.Strings s = new JournalTesting.Strings().set("u", "hello", "");
        final List<Long> indexes = new ArrayList<>();
        try (Journal journal = Journal.open(config())) {
            final JournalWriter writer = journal.writer();
            long seq = 0;
            for (int d = 0; d < 1000; d++) {
                for (int r = 0; r < 10; r++) {
                    s.append(writer, 5, 1, ++seq, seq, 1, 0, 0);
                }
                indexes.add(writer.commit());
            }
            assertThat(journal.lastIndex()).isEqualTo(indexes.get(999));
            assertThat(journal.firstIndex()).isLessThanOrEqualTo(indexes.get(0));

            try (JournalReader reader = journal.reader(indexes.get(500))) {
                final List<Long> seqs = new ArrayList<>();
                final List<Long> docs = new ArrayList<>();
                int n;
                // 7 does not divide 10: most calls stop inside a document and resume there
                while ((n = reader.read((r, i) -> {
                    seqs.add(r.sequence());
                    docs.add(i);
                }, 7)) > 0) {
                    assertThat(n).isLessThanOrEqualTo(7);
                }
                assertThat(seqs).hasSize(5000);
                for (int i = 0; i < seqs.size(); i++) {
                    assertThat(seqs.get(i)).isEqualTo(5001L + i);
                    assertThat(docs.get(i)).isEqualTo(indexes.get(500 + i / 10));
                }
                assertThat(reader.insideDocument()).isFalse();
                assertThat(reader.lastDocumentIndex()).isEqualTo(indexes.get(999));
            }
            try (JournalReader reader = journal.reader(RoomJournalIndex.START)) {
                final long[] first = {-1};
                reader.read((r, i) -> first[0] = r.sequence(), 1);
                assertThat(first[0]).isEqualTo(1);
            }
        }
    }

    @Test
    void shouldRedeliverTheRecordWhoseHandlerThrew() {
        final JournalTesting.Strings s = new JournalTesting.Strings().set("u", "hello", "");
        try (Journal journal = Journal.open(config())) {
            final JournalWriter writer = journal.writer();
            for (long seq = 1; seq <= 5; seq++) {
                s.append(writer, 5, 1, seq, 0, 1, 0, 0);
            }
            writer.commit();
            final List<Long> seen = new ArrayList<>();
            try (JournalReader reader = journal.reader()) {
                final RecordHandler failOnThree = (r, i) -> {
                    if (r.sequence() == 3 && !seen.contains(-3L)) {
                        seen.add(-3L);
                        throw new IllegalStateException("boom");
                    }
                    seen.add(r.sequence());
                };
                assertThatThrownBy(() -> reader.read(failOnThree, 10))
                        .hasMessage("boom");
                assertThat(reader.read(failOnThree, 10)).isEqualTo(3);
            }
            assertThat(seen).containsExactly(1L, 2L, -3L, 3L, 4L, 5L);
        }
    }

    @Test
    void shouldRecoverRoomsEpochsBulletsAndTheRoomIndexAfterACleanClose() {
        final JournalTesting.Strings s = new JournalTesting.Strings().set("u", "弹幕", "");
        final RoomJournalIndex live = new RoomJournalIndex(8, 64);
        final List<String> expected = new ArrayList<>();
        try (Journal journal = Journal.open(config())) {
            final JournalWriter writer = journal.writer(live);
            for (long room = 1; room <= 3; room++) {
                writer.appendRoom(room, 1, T0);
                expected.add("room " + room + " 1");
            }
            writer.commit();
            for (int d = 0; d < 50; d++) {
                for (long room = 1; room <= 3; room++) {
                    for (int k = 0; k < 3; k++) {
                        final long seq = d * 3L + k + 1;
                        s.append(writer, room, 1, seq, 0, 1, 0, 0);
                        expected.add("bullet " + room + " 1 " + seq);
                    }
                }
                writer.commit();
            }
            writer.appendEpoch(2, 2, EpochReason.ADMIN, T0 + 5);
            expected.add("epoch 2 2 ADMIN");
            s.append(writer, 2, 2, 1, 0, 1, 0, 0);
            expected.add("bullet 2 2 1");
            writer.commit();
        }
        final RoomJournalIndex rebuilt = new RoomJournalIndex(8, 64);
        final List<String> seen = new ArrayList<>();
        final JournalRecovery.Result result;
        try (Journal journal = Journal.open(config())) {
            result = JournalRecovery.recover(journal, new JournalRecovery.Visitor() {
                @Override
                public void onRoomCreated(final long roomId, final long epoch, final long createTimeMs, final long index) {
                    seen.add("room " + roomId + " " + epoch);
                }

                @Override
                public void onEpoch(final long roomId, final long epoch, final EpochReason reason, final long timeMs, final long index) {
                    seen.add("epoch " + roomId + " " + epoch + " " + reason);
                }

                @Override
                public void onBullet(final JournalRecord bullet, final long index) {
                    seen.add("bullet " + bullet.roomId() + " " + bullet.epoch() + " " + bullet.sequence());
                }
            }, rebuilt);
        }
        assertThat(seen).isEqualTo(expected);
        assertThat(result.records()).isEqualTo(expected.size());
        assertThat(result.documents()).isEqualTo(52);
        assertThat(result.rooms()).isEqualTo(3);
        assertThat(result.epochs()).isEqualTo(1);
        assertThat(result.bullets()).isEqualTo(451);
        for (long room = 1; room <= 3; room++) {
            for (long seq = 1; seq <= 150; seq++) {
                assertThat(rebuilt.seekIndex(room, 1, seq)).as("room %d seq %d", room, seq)
                        .isEqualTo(live.seekIndex(room, 1, seq));
            }
            assertThat(rebuilt.checkpoints(room)).isEqualTo(live.checkpoints(room));
        }
        assertThat(rebuilt.seekIndex(2, 2, 1)).isEqualTo(live.seekIndex(2, 2, 1)).isNotEqualTo(RoomJournalIndex.START);
    }

    @Test
    void shouldForceEachCommitToDiskInFsyncMode() {
        final JournalTesting.Strings s = new JournalTesting.Strings().set("u", "sync", "");
        try (Journal journal = Journal.open(config().withSyncPolicy(SyncPolicy.FSYNC))) {
            final JournalWriter writer = journal.writer();
            for (int i = 1; i <= 50; i++) {
                s.append(writer, 1, 1, i, 0, 1, 0, 0);
                final long index = writer.commit();
                // sync() ran to completion for this very document
                assertThat(journal.queue().lastIndexMSynced()).isEqualTo(index);
            }
            // and the mapped store it synced really is in SYNC mode (ASYNC/NONE would not wait for the disk)
            final Object store = writer.appender().wire().bytes().bytesStore();
            assertThat(store).isInstanceOf(MappedBytesStore.class);
            assertThat(((MappedBytesStore) store).syncMode()).isEqualTo(SyncMode.SYNC);
        }
        try (Journal journal = Journal.open(config()); JournalReader reader = journal.reader()) {
            int total = 0;
            int n;
            while ((n = reader.read((r, i) -> { }, 100)) > 0) {
                total += n;
            }
            assertThat(total).isEqualTo(50);
        }
    }

    @Test
    void shouldBeEmptyBeforeTheFirstCommit() {
        try (Journal journal = Journal.open(config()); JournalReader reader = journal.reader()) {
            assertThat(journal.firstIndex()).isEqualTo(Journal.NO_INDEX);
            assertThat(journal.lastIndex()).isEqualTo(Journal.NO_INDEX);
            assertThat(reader.read((r, i) -> { }, 10)).isZero();
            assertThat(journal.writer()).isNotNull();
            assertThatThrownBy(journal::writer).isInstanceOf(IllegalStateException.class);
        }
    }
}
