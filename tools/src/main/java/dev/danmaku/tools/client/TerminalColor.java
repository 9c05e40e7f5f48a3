package dev.danmaku.tools.client;

import java.util.Locale;
import java.util.Map;

/**
 * Renders a bullet's colour as an ANSI 24-bit foreground escape ({@code ESC[38;2;R;G;Bm}). Accepts
 * the named colours of the original design ({@code red}, {@code white}, {@code blue}, ...) and
 * {@code #RRGGBB} / {@code #RGB}; anything else, or an empty colour, renders plain.
 *
 * <p>Bullet text comes from strangers: {@link #sanitize} replaces control characters (ESC among
 * them) so a bullet cannot move the cursor, retitle the terminal or hide text. Stateless.
 */
public final class TerminalColor {
    /** Resets every attribute. */
    public static final String RESET = "\u001b[0m";

    private static final Map<String, Integer> NAMED = Map.ofEntries(
            Map.entry("white", 0xFFFFFF), Map.entry("black", 0x000000), Map.entry("red", 0xFF0000),
            Map.entry("green", 0x00FF00), Map.entry("blue", 0x0000FF), Map.entry("yellow", 0xFFFF00),
            Map.entry("cyan", 0x00FFFF), Map.entry("magenta", 0xFF00FF), Map.entry("orange", 0xFFA500),
            Map.entry("pink", 0xFFC0CB), Map.entry("purple", 0x800080), Map.entry("gray", 0x808080),
            Map.entry("grey", 0x808080));

    private TerminalColor() {
    }

    /** The colour as 0xRRGGBB, or -1 if it is empty or not understood. */
    public static int rgb(String color) {
        String c = color.strip().toLowerCase(Locale.ROOT);
        if (c.startsWith("#")) {
            String hex = c.substring(1);
            if (hex.length() == 3 && isHex(hex)) {
                int r = Character.digit(hex.charAt(0), 16);
                int g = Character.digit(hex.charAt(1), 16);
                int b = Character.digit(hex.charAt(2), 16);
                return (r * 17) << 16 | (g * 17) << 8 | b * 17;
            }
            return hex.length() == 6 && isHex(hex) ? Integer.parseInt(hex, 16) : -1;
        }
        return NAMED.getOrDefault(c, -1);
    }

    /** {@code text} (sanitized) wrapped in the colour's escape and a reset, or plain if the colour is unknown. */
    public static String paint(String text, String color) {
        int rgb = rgb(color);
        String safe = sanitize(text);
        if (rgb < 0) {
            return safe;
        }
        return "\u001b[38;2;" + (rgb >> 16 & 0xFF) + ";" + (rgb >> 8 & 0xFF) + ";" + (rgb & 0xFF) + "m" + safe + RESET;
    }

    /** Replaces C0/C1 control characters (and DEL) with U+FFFD; keeps everything printable. */
    public static String sanitize(String text) {
        StringBuilder sb = null;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch < 0x20 || (ch >= 0x7F && ch < 0xA0)) {
                if (sb == null) {
                    sb = new StringBuilder(text.length()).append(text, 0, i);
                }
                sb.append('\uFFFD');
            } else if (sb != null) {
                sb.append(ch);
            }
        }
        return sb == null ? text : sb.toString();
    }

    private static boolean isHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }
}
