package dev.danmaku.engine.journal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scans the whole journal once at startup and hands every record to a {@link Visitor}, so the node
 * can rebuild each room's epoch and sequence, recent history and leaderboard; optionally rebuilds a
 * {@link RoomJournalIndex} on the way. Runs on the startup thread before the ring starts (nothing
 * appends meanwhile).
 *
 * <p>A torn final document (kill -9 during an append) is not seen: Chronicle leaves its header
 * marked incomplete, readers stop before it, and the next append overwrites it (or, after a roll,
 * Chronicle ends that file at the torn header). No ACK was sent for it, since ACKs follow
 * {@link JournalWriter#commit()}. A malformed complete document throws {@link JournalFormatException}:
 * recovery fails loudly rather than rebuilding a silently wrong state.
 */
public final class JournalRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(JournalRecovery.class);
    private static final int BATCH = 4096;

    private JournalRecovery() {
    }

    /** Receives the journal's records in order. Every method has an empty default. */
    public interface Visitor {
        /** A ROOM record: the room was created with {@code epoch}. */
        default void onRoomCreated(long roomId, long epoch, long createTimeMs, long documentIndex) {
        }

        /** An EPOCH record: the room's next bullet has sequence 1 of {@code epoch}. */
        default void onEpoch(long roomId, long epoch, EpochReason reason, long timeMs, long documentIndex) {
        }

        /** A RELEASED record: the room left this node; forget it. */
        default void onReleased(long roomId, long epoch, long lastSequence, long documentIndex) {
        }

        /**
         * An ADOPTED record: the room came from another node and continues under {@code epoch} after
         * {@code base}; {@code exact} if the previous epoch is known to end at base (a handoff).
         */
        default void onAdopted(long roomId, long epoch, long base, long previousEpoch, boolean exact, long documentIndex) {
        }

        /** A BULLET record; {@code bullet} is valid only during the call. */
        default void onBullet(JournalRecord bullet, long documentIndex) {
        }
    }

    /**
     * What a recovery scan saw.
     *
     * @param firstIndex   index of the first document read, -1 if none
     * @param lastIndex    index of the last document read, -1 if none
     * @param elapsedNanos wall time of the scan
     */
    public record Result(long documents, long records, long bullets, long rooms, long epochs, long unknown,
                         long firstIndex, long lastIndex, long elapsedNanos) {
        /** Records per second of the scan. */
        public double recordsPerSecond() {
            return elapsedNanos == 0 ? 0 : records * 1e9 / elapsedNanos;
        }
    }

    /**
     * Reads every document from the first retained one to the last complete one.
     *
     * @param roomIndex cleared and rebuilt from the bullets, or null
     */
    public static Result recover(final Journal journal, final Visitor visitor, final RoomJournalIndex roomIndex) {
        final long start = System.nanoTime();
        if (roomIndex != null) {
            roomIndex.clear();
        }
        final Dispatcher dispatcher = new Dispatcher(visitor, roomIndex);
        try (JournalReader reader = journal.reader()) {
            while (reader.read(dispatcher, BATCH) > 0) {
                // keep reading until caught up
            }
        }
        final long elapsed = System.nanoTime() - start;
        final Result result = new Result(dispatcher.documents, dispatcher.records, dispatcher.bullets,
                dispatcher.rooms, dispatcher.epochs, dispatcher.unknown, dispatcher.firstIndex, dispatcher.lastIndex, elapsed);
        LOG.info("journal recovery: {} records ({} bullets, {} rooms, {} epochs, {} unknown) in {} documents,"
                        + " index 0x{}..0x{}, {} ms, {} records/s",
                result.records(), result.bullets(), result.rooms(), result.epochs(), result.unknown(), result.documents(),
                Long.toHexString(result.firstIndex()), Long.toHexString(result.lastIndex()),
                elapsed / 1_000_000, (long) result.recordsPerSecond());
        return result;
    }

    private static final class Dispatcher implements RecordHandler {
        private final Visitor visitor;
        private final RoomJournalIndex roomIndex;
        long documents;
        long records;
        long bullets;
        long rooms;
        long epochs;
        long unknown;
        long firstIndex = Journal.NO_INDEX;
        long lastIndex = Journal.NO_INDEX;

        Dispatcher(final Visitor visitor, final RoomJournalIndex roomIndex) {
            this.visitor = visitor;
            this.roomIndex = roomIndex;
        }

        @Override
        public void onRecord(final JournalRecord record, final long documentIndex) {
            if (documentIndex != lastIndex) {
                documents++;
                if (firstIndex == Journal.NO_INDEX) {
                    firstIndex = documentIndex;
                }
                lastIndex = documentIndex;
            }
            records++;
            switch (record.kind()) {
                case JournalLayout.KIND_BULLET:
                    bullets++;
                    if (roomIndex != null) {
                        roomIndex.record(record.roomId(), record.epoch(), record.sequence(), documentIndex);
                    }
                    visitor.onBullet(record, documentIndex);
                    break;
                case JournalLayout.KIND_ROOM:
                    rooms++;
                    visitor.onRoomCreated(record.roomId(), record.epoch(), record.createTimeMs(), documentIndex);
                    break;
                case JournalLayout.KIND_EPOCH:
                    epochs++;
                    visitor.onEpoch(record.roomId(), record.epoch(), EpochReason.fromCode(record.epochReasonCode()),
                            record.epochTimeMs(), documentIndex);
                    break;
                case JournalLayout.KIND_RELEASED:
                    rooms++;
                    visitor.onReleased(record.roomId(), record.epoch(), record.releasedLastSequence(), documentIndex);
                    break;
                case JournalLayout.KIND_ADOPTED:
                    rooms++;
                    visitor.onAdopted(record.roomId(), record.epoch(), record.adoptedBaseSequence(),
                            record.adoptedPreviousEpoch(), record.adoptedReason() == EpochReason.MIGRATION,
                            documentIndex);
                    break;
                default:
                    unknown++;
                    break;
            }
        }
    }
}
