package dev.danmaku.engine.journal;

/** Why a room started a new epoch; stored as the u8 {@link #code()} of an EPOCH record. */
public enum EpochReason {
    /** A code this build does not know (a newer writer); never written. */
    UNKNOWN(0),
    /** The node restarted and could not prove the room's history complete. */
    RESTART(1),
    /** The room moved to this node from another one. */
    MIGRATION(2),
    /** History needed for exact recovery was lost (retention, corruption). */
    HISTORY_LOST(3),
    /** An operator reset the room. */
    ADMIN(4);

    private static final EpochReason[] BY_CODE = new EpochReason[256];

    static {
        for (final EpochReason reason : values()) {
            BY_CODE[reason.code] = reason;
        }
    }

    private final int code;

    EpochReason(final int code) {
        this.code = code;
    }

    /** The u8 stored in the journal. */
    public int code() {
        return code;
    }

    /** The reason for a stored code; {@link #UNKNOWN} for a code this build does not know. */
    public static EpochReason fromCode(final int code) {
        final EpochReason reason = code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
        return reason == null ? UNKNOWN : reason;
    }
}
