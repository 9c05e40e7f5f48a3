package dev.danmaku.engine.sink;

/**
 * A record's place in the journal as one long that orders like the journal: the Chronicle document
 * index shifted left by 16, plus the record's ordinal in the document (a document holds at most
 * 65,535 records). Chronicle indexes of the roll cycles used here stay below 2^47, so the shift is safe.
 * Stateless.
 */
public final class Position {
    /** Before the first record. */
    public static final long NONE = -1;

    private Position() {
    }

    public static long of(long document, int ordinal) {
        return (document << 16) | (ordinal & 0xFFFF);
    }

    public static long document(long position) {
        return position >>> 16;
    }

    public static int ordinal(long position) {
        return (int) (position & 0xFFFF);
    }
}
