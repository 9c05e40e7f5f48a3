package dev.danmaku.router;

/** Room ids are u64 on the wire; here they are Java longs read and printed as unsigned decimals. */
public final class RoomIds {
    private RoomIds() {
    }

    /**
     * Parses an unsigned decimal room id, 1 to 2^64-1.
     *
     * @throws IllegalArgumentException with a one-line reason otherwise
     */
    public static long parse(String s) {
        try {
            long v = Long.parseUnsignedLong(s.trim());
            if (v == 0) {
                throw new IllegalArgumentException("room id must not be 0");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("room id must be an unsigned decimal number, got '" + s + "'");
        }
    }

    public static String format(long room) {
        return Long.toUnsignedString(room);
    }
}
