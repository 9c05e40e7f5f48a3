package dev.danmaku.engine.sink;

/**
 * A record's place in the journal as one long that orders like the journal: the Chronicle document
 * index, rebased, shifted left by 16, plus the record's ordinal in the document (a document holds
 * at most 65,535 records). Stateless.
 *
 * <p>Why rebased: a Chronicle index is {@code cycle << 32 | sequence in cycle}, with cycles counted
 * from 1970, so an hourly index is about 2^51 and a plain {@code index << 16} overflows (it came
 * out negative, and the tailer collected nothing). Here the sequence keeps 30 bits (2^30 documents
 * per cycle; one document is one ring batch) and the cycle 17 bits, in a window per roll cycle (the
 * cycle numbers of the three roll cycles lie in disjoint ranges, which tells them apart):
 * <pre>
 *   roll cycle      cycle unit   window           covers
 *   daily           day          [0, 8192)        2024-10-04 + 22 years (to 2047-03-10)
 *   hourly          hour         [8192, 65536)    2025-11-24 + 6.5 years (to 2032-06-10)
 *   five-minutely   5 minutes    [65536, 131072)  2026-11-24 + 227 days (to 2027-07-09; tests of rolling)
 * </pre>
 * Outside its window, or past 2^30 documents in a cycle, {@link #of} throws rather than mis-order;
 * a sink's tailer warns at start when its journal's window ends within a year ({@link #validUntilMillis}).
 * The lasting fix is a Chronicle epoch for the journal (small cycle numbers) or a two-part
 * position; the engine.journal owner decides.
 */
public final class Position {
    /** Before the first record. */
    public static final long NONE = -1;

    // cycle numbers below which an index is daily, resp. hourly
    private static final long DAILY_BELOW = 100_000;
    private static final long HOURLY_BELOW = 1_000_000;
    // per roll cycle: first cycle number, and where its window starts
    private static final long DAILY_ORIGIN = 20_000;
    private static final long HOURLY_ORIGIN = 490_000;
    private static final long FIVE_MINUTELY_ORIGIN = 5_985_000;
    private static final long DAILY_WINDOW = 0;
    private static final long HOURLY_WINDOW = 8_192;
    private static final long FIVE_MINUTELY_WINDOW = 65_536;
    private static final long WINDOWS_END = 131_072;
    private static final long SEQUENCE_MASK = (1L << 30) - 1;

    private Position() {
    }

    public static long of(long document, int ordinal) {
        long cycle = document >>> 32;
        long sequence = document & 0xFFFF_FFFFL;
        long origin;
        long window;
        long end;
        if (cycle < DAILY_BELOW) {
            origin = DAILY_ORIGIN;
            window = DAILY_WINDOW;
            end = HOURLY_WINDOW;
        } else if (cycle < HOURLY_BELOW) {
            origin = HOURLY_ORIGIN;
            window = HOURLY_WINDOW;
            end = FIVE_MINUTELY_WINDOW;
        } else {
            origin = FIVE_MINUTELY_ORIGIN;
            window = FIVE_MINUTELY_WINDOW;
            end = WINDOWS_END;
        }
        long packed = window + cycle - origin;
        if (cycle < origin || packed >= end || sequence > SEQUENCE_MASK) {
            throw new IllegalStateException("journal index 0x" + Long.toHexString(document)
                    + " is outside the range Position can order (see Position's Javadoc)");
        }
        return (((packed << 30) | sequence) << 16) | (ordinal & 0xFFFF);
    }

    public static long document(long position) {
        long packed = position >>> 46;
        long cycle = packed < HOURLY_WINDOW ? packed - DAILY_WINDOW + DAILY_ORIGIN
                : packed < FIVE_MINUTELY_WINDOW ? packed - HOURLY_WINDOW + HOURLY_ORIGIN
                : packed - FIVE_MINUTELY_WINDOW + FIVE_MINUTELY_ORIGIN;
        return (cycle << 32) | ((position >>> 16) & SEQUENCE_MASK);
    }

    public static int ordinal(long position) {
        return (int) (position & 0xFFFF);
    }

    /**
     * When positions of a journal with cycles of {@code cycleLengthMillis} stop: the start of the first
     * cycle outside its window (table above), ms since the epoch. Chronicle counts cycles from 1970.
     *
     * @param cycleLengthMillis one day, one hour or five minutes
     * @return the first instant {@link #of} throws for, in ms since the epoch
     * @throws IllegalArgumentException for another cycle length
     */
    public static long validUntilMillis(long cycleLengthMillis) {
        long origin;
        long cycles;
        if (cycleLengthMillis == 86_400_000L) {
            origin = DAILY_ORIGIN;
            cycles = HOURLY_WINDOW - DAILY_WINDOW;
        } else if (cycleLengthMillis == 3_600_000L) {
            origin = HOURLY_ORIGIN;
            cycles = FIVE_MINUTELY_WINDOW - HOURLY_WINDOW;
        } else if (cycleLengthMillis == 300_000L) {
            origin = FIVE_MINUTELY_ORIGIN;
            cycles = WINDOWS_END - FIVE_MINUTELY_WINDOW;
        } else {
            throw new IllegalArgumentException("no Position window for cycles of " + cycleLengthMillis + " ms");
        }
        return (origin + cycles) * cycleLengthMillis;
    }
}
