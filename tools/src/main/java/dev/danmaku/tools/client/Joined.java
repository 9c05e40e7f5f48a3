package dev.danmaku.tools.client;

/**
 * JOINED: what a JOIN will deliver.
 *
 * @param status   {@code LIVE}, {@code RECOVERED} or {@code NOT_RECOVERED}
 * @param lastSeq  the room's last assigned sequence
 * @param nextSeq  first sequence the node will send
 * @param resumed  true if this answers a JOIN with RESUME (sent by the client after a reconnect or a gap)
 */
public record Joined(long room, long epoch, Status status, long lastSeq, long nextSeq, boolean resumed) {
    /** JOINED status values, in wire order. */
    public enum Status { LIVE, RECOVERED, NOT_RECOVERED }
}
