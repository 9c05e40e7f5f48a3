package dev.danmaku.engine.cluster;

import dev.danmaku.codec.BatchLayout;
import dev.danmaku.codec.Protocol;
import dev.danmaku.engine.room.EpochChain;
import dev.danmaku.engine.room.Leaderboard;
import dev.danmaku.engine.room.RoomHistory;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HandoffDocumentTest {
    private static final long SEED = Long.getLong("danmaku.seed", System.nanoTime());

    /** One BATCH payload entry: timestamp, user, name, content, colour. */
    private static int entry(UnsafeBuffer b, long ts, long user, String name, String content) {
        b.putLong(0, ts, Protocol.ORDER);
        b.putLong(8, user, Protocol.ORDER);
        int p = 16;
        for (String s : new String[]{name, content, ""}) {
            byte[] x = s.getBytes(StandardCharsets.UTF_8);
            b.putShort(p, (short) x.length, Protocol.ORDER);
            b.putBytes(p + 2, x);
            p += 2 + x.length;
        }
        return p;
    }

    private static byte[] sample(int bullets, int users) {
        return sample(bullets, users, EpochChain.NONE);
    }

    private static byte[] sample(int bullets, int users, EpochChain ancestors) {
        RoomHistory h = new RoomHistory(64, 64 * 1024);
        h.resetAfter(100);
        UnsafeBuffer e = new UnsafeBuffer(new byte[BatchLayout.MAX_ENTRY_LENGTH]);
        for (int i = 1; i <= bullets; i++) {
            h.append(100 + i, e, 0, entry(e, 1_700_000_000_000L + i, 40 + i % 3, "用户" + i, "弹幕 " + i));
        }
        Leaderboard l = new Leaderboard(1000);
        for (int u = 0; u < users; u++) {
            l.add(7 + u, 3 + u);
        }
        return HandoffDocument.encode(9001, 3, 100 + bullets, 12, 55, "n1", "n2", ancestors, h, l);
    }

    @Test
    void shouldCarryEpochSequenceHistoryAndLeaderboard() {
        HandoffDocument d = HandoffDocument.decode(sample(80, 5));
        assertThat(d.room()).isEqualTo(9001);
        assertThat(d.epoch()).isEqualTo(3);
        assertThat(d.lastSequence()).isEqualTo(180);
        assertThat(d.restored()).isFalse();
        assertThat(d.from()).isEqualTo("n1");
        assertThat(d.to()).isEqualTo("n2");
        assertThat(d.mapVersion()).isEqualTo(12);
        // The history keeps its newest 64 entries: 117..180.
        assertThat(d.firstSequence()).isEqualTo(117);
        assertThat(d.historyCount()).isEqualTo(64);
        assertThat(d.entryTimestamp(63)).isEqualTo(1_700_000_000_080L);
        assertThat(d.entryUser(63)).isEqualTo(40 + 80 % 3);
        byte[] content = new byte[d.entryContentLength(63)];
        d.entries().getBytes(d.entryContentOffset(63), content);
        assertThat(new String(content, StandardCharsets.UTF_8)).isEqualTo("弹幕 80");
        Map<Long, Long> board = new HashMap<>();
        for (int i = 0; i < d.leaderboardSize(); i++) {
            board.put(d.leaderboardUser(i), d.leaderboardScore(i));
        }
        assertThat(board).containsEntry(7L, 3L).containsEntry(11L, 7L).hasSize(5);
    }

    @Test
    void shouldCarryTheEpochsBeforeItsOwnSoEveryHistoryEntryKeepsItsEpoch() {
        // Moved twice: epoch 1 up to 130, epoch 257 (up to 150), now epoch 3 at the releasing owner.
        EpochChain before = EpochChain.NONE.then(1, 130, true).then(257, 150, true);
        HandoffDocument d = HandoffDocument.decode(sample(80, 1, before));
        assertThat(d.ancestors()).isEqualTo(before);
        assertThat(d.entryEpoch(0)).as("seq 117").isEqualTo(1);
        assertThat(d.entryEpoch(130 - 117)).isEqualTo(1);
        assertThat(d.entryEpoch(131 - 117)).isEqualTo(257);
        assertThat(d.entryEpoch(151 - 117)).isEqualTo(3);
        EpochChain lineage = d.lineage();
        assertThat(lineage.size()).isEqualTo(3);
        assertThat(lineage.epoch(2)).isEqualTo(3);
        assertThat(lineage.end(2)).isEqualTo(180);
        assertThat(lineage.exactFrom(0)).isTrue();
        // Ends out of order or past the document's last sequence are rejected.
        assertThatThrownBy(() -> HandoffDocument.decode(sample(10, 0, EpochChain.NONE.then(1, 200, true))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ancestor epoch 1 ending at 200");
    }

    @Test
    void shouldLeaveOutHistoryOfEpochsNoLongerKept() {
        EpochChain chain = EpochChain.NONE;
        for (int i = 1; i <= EpochChain.MAX + 2; i++) {
            chain = chain.then(i, 110 + 7L * i, true);
        }
        // Two epochs dropped: sequences up to 124 have no known epoch, so they are not handed on
        // (the history holds 117..180).
        assertThat(chain.unknownThrough()).isEqualTo(124);
        HandoffDocument d = HandoffDocument.decode(sample(80, 0, chain));
        assertThat(d.firstSequence()).isEqualTo(125);
        assertThat(d.ancestors()).isEqualTo(chain);
        assertThat(d.entryEpoch(0)).isEqualTo(3);
    }

    @Test
    void shouldReadVersionOneDocumentsWithoutAncestors() {
        byte[] v2 = sample(3, 0);
        // Version 1 is version 2 without the ancestors count and unknown-through (9 bytes after "to").
        int afterTo = 42 + 2 + 2 + 2 + 2;
        byte[] v1 = new byte[v2.length - 9];
        System.arraycopy(v2, 0, v1, 0, afterTo);
        System.arraycopy(v2, afterTo + 9, v1, afterTo, v2.length - afterTo - 9);
        v1[4] = 1;
        HandoffDocument d = HandoffDocument.decode(v1);
        assertThat(d.ancestors()).isEqualTo(EpochChain.NONE);
        assertThat(d.lastSequence()).isEqualTo(103);
        assertThat(d.historyCount()).isEqualTo(3);
        assertThat(d.entryEpoch(2)).isEqualTo(3);
    }

    @Test
    void shouldEncodeAnEmptyRoom() {
        HandoffDocument d = HandoffDocument.decode(sample(0, 0));
        assertThat(d.lastSequence()).isEqualTo(100);
        assertThat(d.firstSequence()).isEqualTo(101);
        assertThat(d.historyCount()).isZero();
        assertThat(d.leaderboardSize()).isZero();
    }

    @Test
    void shouldRejectTruncatedCorruptOrTrailingDocumentsWithItsOwnErrorOnly() {
        byte[] good = sample(20, 3);
        for (int n = 0; n < good.length; n++) {
            byte[] cut = java.util.Arrays.copyOf(good, n);
            assertThatThrownBy(() -> HandoffDocument.decode(cut)).as("%d of %d bytes", n, good.length)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        byte[] longer = java.util.Arrays.copyOf(good, good.length + 1);
        assertThatThrownBy(() -> HandoffDocument.decode(longer)).hasMessageContaining("trailing");
        byte[] magic = good.clone();
        magic[0] ^= 1;
        assertThatThrownBy(() -> HandoffDocument.decode(magic)).hasMessageContaining("not a handoff document");
        byte[] version = good.clone();
        version[4] = 3;
        assertThatThrownBy(() -> HandoffDocument.decode(version)).hasMessageContaining("version 3");
        // Seeded mutations: any outcome but a decoded document or IllegalArgumentException is a bug.
        System.out.println("HandoffDocumentTest seed " + SEED + " (-Ddanmaku.seed=" + SEED + ")");
        SplittableRandom r = new SplittableRandom(SEED);
        for (int i = 0; i < 20_000; i++) {
            byte[] m = good.clone();
            for (int k = 1 + r.nextInt(4); k > 0; k--) {
                m[r.nextInt(m.length)] = (byte) r.nextInt(256);
            }
            try {
                HandoffDocument d = HandoffDocument.decode(m);
                assertThat(d.historyCount()).isLessThanOrEqualTo(m.length);
            } catch (IllegalArgumentException expected) {
                // the decoder's own error
            } catch (RuntimeException e) {
                throw new AssertionError("seed " + SEED + ", mutation " + i + ": " + e, e);
            }
        }
    }
}
