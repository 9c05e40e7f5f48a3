package dev.danmaku.tools.client;

/** AUTH_OK: the token was accepted; bullets on this connection are sent as {@code user}. */
public record AuthOk(long user, int level, long expiresAt) {
}
