package dev.danmaku.tools.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigInteger;

/**
 * The lines {@code danmaku client watch} prints for a bullet: a human line (optionally coloured) or
 * one JSON object. Stateless; safe from any thread.
 */
public final class BulletFormat {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private BulletFormat() {
    }

    /**
     * {@code #SEQ USER/NAME: TEXT  (LATENCY ms)}, the text in the bullet's colour when {@code color} is true.
     * Name and text are sanitized of control characters either way.
     */
    public static String line(Bullet b, boolean color) {
        String text = color ? TerminalColor.paint(b.content(), b.color()) : TerminalColor.sanitize(b.content());
        String who = Long.toUnsignedString(b.user()) + (b.name().isEmpty() ? "" : "/" + TerminalColor.sanitize(b.name()));
        return "#" + b.seq() + " " + who + ": " + text + "  (" + b.latencyMs() + " ms)";
    }

    /**
     * One JSON object on one line: {@code room, epoch, seq, timestamp, user, name, color, text, latencyMs}
     * (ids as unsigned decimal numbers, as in docs/protocol.md's JSON form).
     */
    public static String json(Bullet b) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("room", unsigned(b.room()));
        o.put("epoch", b.epoch());
        o.put("seq", b.seq());
        o.put("timestamp", b.timestamp());
        o.put("user", unsigned(b.user()));
        o.put("name", b.name());
        o.put("color", b.color());
        o.put("text", b.content());
        o.put("latencyMs", b.latencyMs());
        return o.toString();
    }

    private static BigInteger unsigned(long v) {
        return new BigInteger(Long.toUnsignedString(v));
    }
}
