package dev.danmaku.engine.stage;

import dev.danmaku.engine.journal.Journal;
import dev.danmaku.engine.journal.JournalWriter;
import dev.danmaku.engine.ring.RingEvent;

/**
 * The journal stage's appender over the Chronicle journal: records buffered into one document per
 * ring batch. The writer is created lazily on the first append, so on the thread that runs the
 * journal stage (Chronicle appenders belong to one thread).
 */
public final class ChronicleAppender implements JournalHandler.Appender {
    private final Journal journal;
    private JournalWriter writer;

    public ChronicleAppender(Journal journal) {
        this.journal = journal;
    }

    private JournalWriter writer() {
        if (writer == null) {
            writer = journal.writer();
        }
        return writer;
    }

    @Override
    public boolean appendBullet(RingEvent e) {
        return writer().appendBullet(e.roomId, e.epoch, e.sequence, e.timestamp, e.userId, e.acceptedAtMs,
                e.userLevel, e.frame, e.nameOffset, e.nameLength, e.contentOffset, e.contentLength, e.colorOffset,
                e.colorLength);
    }

    @Override
    public boolean appendRoom(long roomId, long epoch, long timeMs) {
        return writer().appendRoom(roomId, epoch, timeMs);
    }

    @Override
    public boolean appendReleased(long roomId, long epoch, long lastSequence, long timeMs) {
        return writer().appendReleased(roomId, epoch, lastSequence, timeMs);
    }

    @Override
    public boolean appendAdopted(long roomId, long epoch, long baseSequence, long previousEpoch, boolean exact,
                                 long timeMs) {
        return writer().appendAdopted(roomId, epoch, baseSequence, previousEpoch,
                exact ? dev.danmaku.engine.journal.EpochReason.MIGRATION : dev.danmaku.engine.journal.EpochReason.HISTORY_LOST,
                timeMs);
    }

    @Override
    public long commit() {
        return writer == null ? -1 : writer.commit();
    }
}
