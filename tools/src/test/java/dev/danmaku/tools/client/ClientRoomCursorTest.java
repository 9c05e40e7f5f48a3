package dev.danmaku.tools.client;

import dev.danmaku.codec.JoinedDecoder;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The resume/dedup/gap bookkeeping of one joined room. */
class ClientRoomCursorTest {
    private static RoomCursor joinedAt(long epoch, long nextSeq) {
        RoomCursor c = new RoomCursor(9001, 0);
        c.joinSent();
        assertThat(c.onJoined(epoch, JoinedDecoder.STATUS_LIVE, nextSeq)).isNull();
        return c;
    }

    @Test
    void shouldDeliverConsecutiveBatchesAfterAFreshJoin() {
        RoomCursor c = joinedAt(3, 42);
        RoomCursor.Step s = c.onBatch(3, 42, 2);
        assertThat(s.action()).isEqualTo(RoomCursor.Action.DELIVER);
        assertThat(s.skip()).isZero();
        assertThat(s.discontinuity()).isNull();
        assertThat(c.lastSeq()).isEqualTo(43);
        assertThat(c.onBatch(3, 44, 1).action()).isEqualTo(RoomCursor.Action.DELIVER);
        assertThat(c.lastSeq()).isEqualTo(44);
    }

    @Test
    void shouldDiscardBatchesWhileAJoinedIsAwaited() {
        RoomCursor c = new RoomCursor(9001, 10);
        c.joinSent();
        assertThat(c.onBatch(1, 1, 5).action()).isEqualTo(RoomCursor.Action.DROP);
        assertThat(c.discarded()).isEqualTo(5);
        assertThat(c.positioned()).isFalse();
    }

    @Test
    void shouldDropWholeDuplicateBatchesAndTheRepeatedHeadOfAnOverlappingOne() {
        RoomCursor c = joinedAt(3, 1);
        c.onBatch(3, 1, 5);
        assertThat(c.onBatch(3, 2, 3).action()).isEqualTo(RoomCursor.Action.DROP);
        RoomCursor.Step s = c.onBatch(3, 4, 4);
        assertThat(s.action()).isEqualTo(RoomCursor.Action.DELIVER);
        assertThat(s.skip()).isEqualTo(2);
        assertThat(c.lastSeq()).isEqualTo(7);
        assertThat(c.duplicates()).isEqualTo(5);
    }

    @Test
    void shouldAskForAResumeOnAGapInsteadOfDeliveringPastIt() {
        RoomCursor c = joinedAt(3, 1);
        c.onBatch(3, 1, 2);
        RoomCursor.Step s = c.onBatch(3, 5, 1);
        assertThat(s.action()).isEqualTo(RoomCursor.Action.RESUME);
        assertThat(s.discontinuity().kind()).isEqualTo(Discontinuity.Kind.GAP);
        assertThat(s.discontinuity().lastSeq()).isEqualTo(2);
        assertThat(s.discontinuity().nextSeq()).isEqualTo(5);
        assertThat(s.discontinuity().missing()).isEqualTo(2);
        assertThat(c.lastSeq()).isEqualTo(2);
        assertThat(c.awaitingJoined()).isTrue();
        // Live batches still in flight before the resume's JOINED are discarded, then the replay fills the hole.
        assertThat(c.onBatch(3, 6, 1).action()).isEqualTo(RoomCursor.Action.DROP);
        assertThat(c.onJoined(3, JoinedDecoder.STATUS_RECOVERED, 3)).isNull();
        RoomCursor.Step replay = c.onBatch(3, 3, 4);
        assertThat(replay.action()).isEqualTo(RoomCursor.Action.DELIVER);
        assertThat(replay.skip()).isZero();
        assertThat(c.lastSeq()).isEqualTo(6);
    }

    @Test
    void shouldSkipAndReportAGapThatTheResumeDidNotFill() {
        RoomCursor c = joinedAt(3, 1);
        c.onBatch(3, 1, 1);
        assertThat(c.onBatch(3, 3, 1).action()).isEqualTo(RoomCursor.Action.RESUME);
        c.onJoined(3, JoinedDecoder.STATUS_RECOVERED, 2);
        RoomCursor.Step s = c.onBatch(3, 3, 1);
        assertThat(s.action()).isEqualTo(RoomCursor.Action.DELIVER);
        assertThat(s.discontinuity().kind()).isEqualTo(Discontinuity.Kind.GAP_SKIPPED);
        assertThat(s.discontinuity().describe()).contains("seqs 2..2").contains("lost");
        assertThat(c.lastSeq()).isEqualTo(3);
        // Progress re-arms the resume for the next gap.
        assertThat(c.onBatch(3, 6, 1).action()).isEqualTo(RoomCursor.Action.RESUME);
    }

    @Test
    void shouldReportNotRecoveredWithTheLostRange() {
        RoomCursor c = RoomCursor.resumingFrom(9001, 3, 41);
        c.joinSent();
        Discontinuity d = c.onJoined(3, JoinedDecoder.STATUS_NOT_RECOVERED, 50);
        assertThat(d.kind()).isEqualTo(Discontinuity.Kind.NOT_RECOVERED);
        assertThat(d.missing()).isEqualTo(8);
        assertThat(d.describe()).contains("NOT_RECOVERED").contains("seqs 42..49").contains("continuing at seq 50");
        assertThat(c.lastSeq()).isEqualTo(49);
        assertThat(c.onBatch(3, 50, 1).action()).isEqualTo(RoomCursor.Action.DELIVER);
    }

    @Test
    void shouldTreatARecoveredResumeAsExactEvenIfTheNodeResendsHeldBullets() {
        RoomCursor c = RoomCursor.resumingFrom(9001, 3, 41);
        c.joinSent();
        assertThat(c.onJoined(3, JoinedDecoder.STATUS_RECOVERED, 42)).isNull();
        RoomCursor.Step s = c.onBatch(3, 40, 4);
        assertThat(s.skip()).isEqualTo(2);
        assertThat(c.lastSeq()).isEqualTo(43);
    }

    @Test
    void shouldReportAnEpochChangeOnJoinedAndStartOverInTheNewEpoch() {
        RoomCursor c = RoomCursor.resumingFrom(9001, 3, 41);
        c.joinSent();
        Discontinuity d = c.onJoined(4, JoinedDecoder.STATUS_NOT_RECOVERED, 1);
        assertThat(d.kind()).isEqualTo(Discontinuity.Kind.EPOCH_CHANGED);
        assertThat(d.describe()).contains("epoch changed 3 -> 4");
        assertThat(c.epoch()).isEqualTo(4);
        assertThat(c.lastSeq()).isZero();
        assertThat(c.onBatch(4, 1, 2).action()).isEqualTo(RoomCursor.Action.DELIVER);
    }

    @Test
    void shouldReportAnEpochChangeSeenFirstInABatch() {
        RoomCursor c = joinedAt(3, 10);
        RoomCursor.Step s = c.onBatch(4, 1, 3);
        assertThat(s.action()).isEqualTo(RoomCursor.Action.DELIVER);
        assertThat(s.discontinuity().kind()).isEqualTo(Discontinuity.Kind.EPOCH_CHANGED);
        assertThat(c.epoch()).isEqualTo(4);
        assertThat(c.lastSeq()).isEqualTo(3);
    }

    @Test
    void shouldResumeFromTheCursorPositionAfterAFreshJoin() {
        RoomCursor c = new RoomCursor(9001, 50);
        assertThat(c.positioned()).isFalse();
        c.joinSent();
        c.onJoined(2, JoinedDecoder.STATUS_LIVE, 7);
        c.onBatch(2, 7, 3);
        assertThat(c.positioned()).isTrue();
        assertThat(c.epoch()).isEqualTo(2);
        assertThat(c.lastSeq()).isEqualTo(9);
    }

    // ---------------------------------------------------------------- epochs across a move (protocol 5.8)

    @Test
    void shouldContinueIntoTheNextEpochWhenTheSequenceContinuesAndAJoinedAnnouncedIt() {
        RoomCursor c = RoomCursor.resumingFrom(9001, 3, 41);
        c.joinSent();
        assertThat(c.onJoined(4, JoinedDecoder.STATUS_RECOVERED, 42)).as("a resume from the old epoch").isNull();
        assertThat(c.epoch()).as("the position stays in the old epoch").isEqualTo(3);
        assertThat(c.lastSeq()).isEqualTo(41);
        assertThat(c.joinedEpoch()).isEqualTo(4);
        RoomCursor.Step old = c.onBatch(3, 42, 3);
        assertThat(old.action()).isEqualTo(RoomCursor.Action.DELIVER);
        assertThat(old.discontinuity()).isNull();
        RoomCursor.Step crossing = c.onBatch(4, 45, 2);
        assertThat(crossing.action()).isEqualTo(RoomCursor.Action.DELIVER);
        assertThat(crossing.skip()).isZero();
        assertThat(crossing.discontinuity()).as("seq 45 follows 44: continuous").isNull();
        assertThat(c.epoch()).isEqualTo(4);
        assertThat(c.lastSeq()).isEqualTo(46);
    }

    @Test
    void shouldContinueWhenTheReplayStartsDirectlyInTheNewEpoch() {
        RoomCursor c = RoomCursor.resumingFrom(9001, 3, 41);
        c.joinSent();
        assertThat(c.onJoined(7, JoinedDecoder.STATUS_RECOVERED, 42)).isNull();
        RoomCursor.Step s = c.onBatch(7, 42, 1);
        assertThat(s.discontinuity()).isNull();
        assertThat(c.epoch()).isEqualTo(7);
        assertThat(c.lastSeq()).isEqualTo(42);
    }

    @Test
    void shouldReportAnEpochChangeThatDoesNotContinueTheSequence() {
        RoomCursor c = RoomCursor.resumingFrom(9001, 3, 41);
        c.joinSent();
        c.onJoined(4, JoinedDecoder.STATUS_RECOVERED, 42);
        RoomCursor.Step jump = c.onBatch(4, 44, 1);
        assertThat(jump.discontinuity()).isNotNull();
        assertThat(jump.discontinuity().kind()).isEqualTo(Discontinuity.Kind.EPOCH_CHANGED);
        assertThat(jump.discontinuity().lastSeq()).isEqualTo(41);
        assertThat(c.epoch()).isEqualTo(4);
        assertThat(c.lastSeq()).isEqualTo(44);
    }

    @Test
    void shouldReportABatchInAnEpochAboveTheLatestJoinedEvenIfTheSequenceContinues() {
        RoomCursor c = joinedAt(3, 10);
        c.onBatch(3, 10, 2);
        RoomCursor.Step s = c.onBatch(4, 12, 1);
        assertThat(s.discontinuity()).as("no JOINED announced epoch 4").isNotNull();
        assertThat(s.discontinuity().kind()).isEqualTo(Discontinuity.Kind.EPOCH_CHANGED);
    }

    @Test
    void shouldReportARestartOfTheNumberingAfterAMove() {
        RoomCursor c = RoomCursor.resumingFrom(9001, 3, 41);
        c.joinSent();
        c.onJoined(4, JoinedDecoder.STATUS_RECOVERED, 42);
        RoomCursor.Step s = c.onBatch(4, 1, 5);
        assertThat(s.discontinuity().kind()).isEqualTo(Discontinuity.Kind.EPOCH_CHANGED);
        assertThat(c.lastSeq()).isEqualTo(5);
    }

    @Test
    void shouldReportANotRecoveredResumeInANewEpochAsAnEpochChange() {
        RoomCursor c = RoomCursor.resumingFrom(9001, 3, 41);
        c.joinSent();
        Discontinuity d = c.onJoined(4, JoinedDecoder.STATUS_NOT_RECOVERED, 60);
        assertThat(d.kind()).isEqualTo(Discontinuity.Kind.EPOCH_CHANGED);
        assertThat(d.oldEpoch()).isEqualTo(3);
        assertThat(d.newEpoch()).isEqualTo(4);
        assertThat(c.epoch()).isEqualTo(4);
        assertThat(c.lastSeq()).isEqualTo(59);
    }

    @Test
    void shouldReportARecoveredJoinedInALowerEpoch() {
        RoomCursor c = RoomCursor.resumingFrom(9001, 5, 41);
        c.joinSent();
        Discontinuity d = c.onJoined(4, JoinedDecoder.STATUS_RECOVERED, 42);
        assertThat(d).as("epochs never go back: the node cannot hold our position").isNotNull();
        assertThat(d.kind()).isEqualTo(Discontinuity.Kind.EPOCH_CHANGED);
    }

    @Test
    void shouldLetTheFirstBatchAfterAFreshJoinFixAnOlderEpochOfItsHistory() {
        RoomCursor c = new RoomCursor(9001, 5);
        c.joinSent();
        assertThat(c.onJoined(4, JoinedDecoder.STATUS_LIVE, 38)).isNull();
        assertThat(c.epoch()).isEqualTo(4);
        RoomCursor.Step history = c.onBatch(3, 38, 4); // the last bullets before the move
        assertThat(history.action()).isEqualTo(RoomCursor.Action.DELIVER);
        assertThat(history.discontinuity()).isNull();
        assertThat(c.epoch()).isEqualTo(3);
        assertThat(c.onBatch(4, 42, 2).discontinuity()).isNull();
        assertThat(c.epoch()).isEqualTo(4);
        assertThat(c.lastSeq()).isEqualTo(43);
    }

    @Test
    void shouldReportAFreshJoinsFirstBatchInAnEpochAboveTheJoined() {
        RoomCursor c = new RoomCursor(9001, 5);
        c.joinSent();
        c.onJoined(4, JoinedDecoder.STATUS_LIVE, 38);
        assertThat(c.onBatch(5, 38, 1).discontinuity().kind()).isEqualTo(Discontinuity.Kind.EPOCH_CHANGED);
    }

    @Test
    void shouldStillDropDuplicatesAndAskForGapsInTheNewEpochAfterCrossing() {
        RoomCursor c = RoomCursor.resumingFrom(9001, 3, 41);
        c.joinSent();
        c.onJoined(4, JoinedDecoder.STATUS_RECOVERED, 42);
        c.onBatch(3, 42, 1);
        c.onBatch(4, 43, 2);
        assertThat(c.onBatch(4, 43, 2).action()).isEqualTo(RoomCursor.Action.DROP);
        assertThat(c.duplicates()).isEqualTo(2);
        RoomCursor.Step gap = c.onBatch(4, 47, 1);
        assertThat(gap.action()).isEqualTo(RoomCursor.Action.RESUME);
        assertThat(gap.discontinuity().kind()).isEqualTo(Discontinuity.Kind.GAP);
        assertThat(gap.discontinuity().oldEpoch()).isEqualTo(4);
    }

    @Test
    void shouldResumeFromTheOldEpochAfterAFreshJoinInANewOneWithoutBatches() {
        RoomCursor c = new RoomCursor(9001, 0);
        c.joinSent();
        c.onJoined(4, JoinedDecoder.STATUS_LIVE, 42);
        // the connection drops before any batch: the resume names the JOINED's epoch and nextSeq - 1
        assertThat(c.positioned()).isTrue();
        assertThat(c.epoch()).isEqualTo(4);
        assertThat(c.lastSeq()).isEqualTo(41);
        c.joinSent();
        assertThat(c.onJoined(4, JoinedDecoder.STATUS_RECOVERED, 42)).isNull();
        assertThat(c.onBatch(4, 42, 1).discontinuity()).isNull();
    }
}
