package dev.danmaku.perf.harness;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The end-of-run loss check: per room and epoch, the last ACKed seq against the slowest viewer. */
class DeliveryCheckTest {
    private static void viewer(DeliveryCheck c, int room, long... epochSeqPairs) {
        long[] e = new long[ViewerCursor.EPOCH_SLOTS];
        long[] s = new long[ViewerCursor.EPOCH_SLOTS];
        int n = epochSeqPairs.length / 2;
        for (int i = 0; i < n; i++) {
            e[i] = epochSeqPairs[2 * i];
            s[i] = epochSeqPairs[2 * i + 1];
        }
        c.addViewer(room, e, s, n);
    }

    @Test
    void shouldPassWhenEveryViewerReachedTheLastAckOfEveryEpoch() {
        DeliveryCheck c = new DeliveryCheck(2);
        c.addAcked(0, 3, 100);
        c.addAcked(0, 1027, 180);
        viewer(c, 0, 3, 100, 1027, 180);
        viewer(c, 0, 3, 100, 1027, 190); // a later bullet, not ACKed to this process: fine
        assertThat(c.roomsBehind()).isZero();
        assertThat(c.bulletsBehind()).isZero();
    }

    @Test
    void shouldCatchABulletTheMoveDroppedEvenThoughTheViewerWentOn() {
        DeliveryCheck c = new DeliveryCheck(1);
        c.addAcked(0, 3, 100); // the old owner ACKed 100 ...
        c.addAcked(0, 1027, 150);
        viewer(c, 0, 3, 99, 1027, 150); // ... but the new epoch continued after 99
        assertThat(c.roomsBehind()).isEqualTo(1);
        assertThat(c.bulletsBehind()).isEqualTo(1);
    }

    @Test
    void shouldCountAViewerThatDeliveredNothingInAnAckedEpoch() {
        DeliveryCheck c = new DeliveryCheck(1);
        c.addAcked(0, 5, 10);
        viewer(c, 0, 5, 10);
        viewer(c, 0); // never got a bullet
        assertThat(c.roomsBehind()).isEqualTo(1);
        assertThat(c.bulletsBehind()).isEqualTo(10);
    }

    @Test
    void shouldIgnoreRoomsWithoutViewersOrAcks() {
        DeliveryCheck c = new DeliveryCheck(3);
        c.addAcked(0, 1, 10); // no viewer here
        viewer(c, 1, 1, 10); // no ACK here
        assertThat(c.roomsBehind()).isZero();
    }

    @Test
    void shouldMergeProcessesSoThatOneProcesssAcksMeetAnothersViewers() throws Exception {
        DeliveryCheck senders = new DeliveryCheck(1);
        senders.addAcked(0, 1, 50);
        senders.addAcked(0, 2, 80);
        DeliveryCheck viewersA = new DeliveryCheck(1);
        viewer(viewersA, 0, 1, 50, 2, 80);
        DeliveryCheck viewersB = new DeliveryCheck(1);
        viewer(viewersB, 0, 1, 50); // this process's viewer never got epoch 2
        DeliveryCheck merged = new DeliveryCheck(1);
        merged.merge(senders);
        merged.merge(viewersA);
        assertThat(merged.roomsBehind()).isZero();
        // the other process's table, through the JSON a child hands to the coordinator
        merged.merge(DeliveryCheck.fromJson(PartResult.JSON.readTree(viewersB.toJson().toString()), 1));
        assertThat(merged.roomsBehind()).isEqualTo(1);
        assertThat(merged.bulletsBehind()).isEqualTo(80);
    }

    @Test
    void shouldTakeTheAckTableOfStats() {
        Stats stats = new Stats(2);
        stats.recordAck(1, 7, 3);
        stats.recordAck(1, 7, 9);
        stats.recordAck(1, 7, 5);
        stats.recordAck(1, 9, 2);
        DeliveryCheck c = new DeliveryCheck(2);
        c.addAcks(stats);
        viewer(c, 1, 7, 9, 9, 1);
        assertThat(c.bulletsBehind()).as("epoch 9 acked to 2, viewer at 1").isEqualTo(1);
        DeliveryCheck again = new DeliveryCheck(2);
        again.addAcks(stats);
        viewer(again, 1, 7, 9, 9, 2);
        assertThat(again.roomsBehind()).isZero();
    }

    @Test
    void shouldKeepTheNewestEpochsOfARoomInStats() {
        Stats stats = new Stats(1);
        for (long e = 1; e <= Stats.ACK_EPOCHS + 2; e++) {
            stats.recordAck(0, e, e * 10);
        }
        DeliveryCheck c = new DeliveryCheck(1);
        c.addAcks(stats);
        viewer(c, 0, Stats.ACK_EPOCHS + 2, (Stats.ACK_EPOCHS + 2) * 10L, Stats.ACK_EPOCHS + 1,
                (Stats.ACK_EPOCHS + 1) * 10L, Stats.ACK_EPOCHS, Stats.ACK_EPOCHS * 10L, Stats.ACK_EPOCHS - 1,
                (Stats.ACK_EPOCHS - 1) * 10L, Stats.ACK_EPOCHS - 2, (Stats.ACK_EPOCHS - 2) * 10L, 5, 50, 4, 40, 3, 30);
        assertThat(c.roomsBehind()).as("epochs 1 and 2 were replaced, the rest delivered").isZero();
    }
}
