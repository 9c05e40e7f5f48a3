package dev.danmaku.tools.client;

/**
 * A break in a room's sequence that the client reports instead of hiding: bullets the viewer will
 * not receive, or a restart of the numbering.
 *
 * @param room      room id (u64)
 * @param kind      what happened
 * @param oldEpoch  the epoch the viewer was in
 * @param lastSeq   the last sequence delivered to the application in {@code oldEpoch} (0 = none)
 * @param newEpoch  the epoch delivery continues in (equal to {@code oldEpoch} unless {@link Kind#EPOCH_CHANGED})
 * @param nextSeq   the first sequence that will be delivered next, in {@code newEpoch}
 * @param resuming  true if the client is re-joining with RESUME to fill the hole (only for {@link Kind#GAP})
 */
public record Discontinuity(long room, Kind kind, long oldEpoch, long lastSeq, long newEpoch, long nextSeq,
                            boolean resuming) {
    /** The kinds of break. */
    public enum Kind {
        /** A BATCH started past lastSeq + 1: the client resumes to fetch the missing bullets. */
        GAP,
        /** A gap the node could not fill after a resume: {@code lastSeq + 1 .. nextSeq - 1} are skipped. */
        GAP_SKIPPED,
        /** JOINED NOT_RECOVERED: the node no longer holds {@code lastSeq + 1 .. nextSeq - 1}. */
        NOT_RECOVERED,
        /**
         * The room's epoch changed without continuing the sequence (a node restart without history, a move
         * whose new owner could not prove the old epoch complete, a batch in an epoch no JOINED announced):
         * numbering restarts. A move that continues the sequence is not a discontinuity (docs/protocol.md 5.8).
         */
        EPOCH_CHANGED
    }

    /** Bullets known to be lost (or, for GAP, missing until the resume fills them); 0 if unknown. */
    public long missing() {
        return kind == Kind.EPOCH_CHANGED ? 0 : Math.max(0, nextSeq - lastSeq - 1);
    }

    /** One line for people, e.g. {@code room 9001: gap in epoch 3 after seq 41 (next seen 45); resuming}. */
    public String describe() {
        String room = Long.toUnsignedString(this.room);
        return switch (kind) {
            case GAP -> "room " + room + ": gap in epoch " + oldEpoch + " after seq " + lastSeq + " (received seq "
                    + nextSeq + ")" + (resuming ? "; resuming" : "");
            case GAP_SKIPPED -> "room " + room + ": seqs " + (lastSeq + 1) + ".." + (nextSeq - 1) + " of epoch "
                    + oldEpoch + " are lost (" + missing() + " bullets; the node could not resend them)";
            case NOT_RECOVERED -> "room " + room + ": NOT_RECOVERED, " + (missing() == 0 ? "no bullets" : "seqs "
                    + (lastSeq + 1) + ".." + (nextSeq - 1)) + " of epoch " + oldEpoch + " lost; continuing at seq "
                    + nextSeq;
            case EPOCH_CHANGED -> "room " + room + ": epoch changed " + oldEpoch + " -> " + newEpoch
                    + " (last seq seen " + lastSeq + "); bullets after it in epoch " + oldEpoch
                    + " may be lost; continuing at seq " + nextSeq;
        };
    }
}
