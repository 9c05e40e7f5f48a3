package dev.danmaku.tools.client;

/**
 * REDIRECT (the room is owned by another node) or MOVED (the room migrated there).
 *
 * @param moved   true for MOVED
 * @param epoch   the room's epoch at the new owner (0 = unknown)
 * @param address the owner's WebSocket URL
 */
public record Redirect(long room, boolean moved, long epoch, String address) {
}
