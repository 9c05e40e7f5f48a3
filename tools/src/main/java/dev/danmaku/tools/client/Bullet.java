package dev.danmaku.tools.client;

/**
 * One bullet delivered to the application, copied out of a BATCH (the client is not on the node's
 * hot path, so it trades the codec's flyweights for plain values the application may keep).
 *
 * @param room       room id (u64)
 * @param epoch      the room's epoch (u32)
 * @param seq        sequence in the room and epoch
 * @param timestamp  the sender's timestamp, Unix ms
 * @param user       sender id (u64)
 * @param name       sender's display name (may be empty)
 * @param content    the text
 * @param color      colour as sent ({@code red}, {@code #FFCC00}, or empty)
 * @param receivedAt when the BATCH arrived, Unix ms of the client's clock
 */
public record Bullet(long room, long epoch, long seq, long timestamp, long user, String name, String content,
                     String color, long receivedAt) {
    /** Receive time minus the sender's timestamp, ms (negative if the clocks disagree). */
    public long latencyMs() {
        return receivedAt - timestamp;
    }
}
