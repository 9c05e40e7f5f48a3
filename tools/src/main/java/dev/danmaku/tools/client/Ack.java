package dev.danmaku.tools.client;

/**
 * An ACK: the bullet sent with {@code timestamp} is journaled as ({@code epoch}, {@code seq}).
 *
 * @param retry true if the node had already journaled this bullet (a resend after a reconnect)
 */
public record Ack(long timestamp, long room, long epoch, long seq, boolean retry) {
}
