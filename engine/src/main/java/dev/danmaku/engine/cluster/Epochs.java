package dev.danmaku.engine.cluster;

/**
 * Epochs in a cluster. A room's epoch must grow whenever its owner changes, even when the old owner
 * died without telling anyone its last epoch, so that (room, epoch, seq) stays unique in the sinks
 * (Kafka headers, Redis's idempotency keys) across owners. The epoch a node uses when it creates or
 * adopts a room under map version v is at least {@code term(v) = (v mod 2^24) * 256 + 1}: every map
 * change that moves a room raises the version, so a later owner's epochs are above an earlier
 * owner's, with 255 restarts' worth of room in between. A handed-over room continues at
 * {@code max(previous + 1, term(v))}. Wraps after 16.7 million map versions.
 */
public final class Epochs {
    private Epochs() {
    }

    /** The first epoch of an ownership that starts under map {@code version}. */
    public static long term(long version) {
        return ((version & 0xFF_FFFFL) << 8) | 1;
    }

    /** The epoch a room adopted under map {@code version} continues with after {@code previous}. */
    public static long adopted(long previous, long version) {
        return Math.min(0xFFFF_FFFFL, Math.max(previous + 1, term(version)));
    }
}
