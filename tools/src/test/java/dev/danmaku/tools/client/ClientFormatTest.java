package dev.danmaku.tools.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Terminal colours and the watch command's line and JSON formats. */
class ClientFormatTest {
    private static final Bullet HELLO = new Bullet(9001, 3, 42, 1_700_000_000_000L, 123456, "test", "Hello", "red",
            1_700_000_000_012L);

    @Test
    void shouldMapNamedAndHexColoursToRgb() {
        assertThat(TerminalColor.rgb("red")).isEqualTo(0xFF0000);
        assertThat(TerminalColor.rgb("White")).isEqualTo(0xFFFFFF);
        assertThat(TerminalColor.rgb("blue")).isEqualTo(0x0000FF);
        assertThat(TerminalColor.rgb("#FFCC00")).isEqualTo(0xFFCC00);
        assertThat(TerminalColor.rgb("#fc0")).isEqualTo(0xFFCC00);
        assertThat(TerminalColor.rgb("")).isEqualTo(-1);
        assertThat(TerminalColor.rgb("#GG0000")).isEqualTo(-1);
        assertThat(TerminalColor.rgb("chartreuse-ish")).isEqualTo(-1);
    }

    @Test
    void shouldPaintWithA24BitForegroundEscapeAndReset() {
        assertThat(TerminalColor.paint("Hello", "#FFCC00")).isEqualTo("\u001b[38;2;255;204;0mHello\u001b[0m");
        assertThat(TerminalColor.paint("Hello", "")).isEqualTo("Hello");
    }

    @Test
    void shouldNeutraliseControlCharactersInStrangersText() {
        String evil = "hi\u001b]0;pwned\u0007\u001b[2J\r\n\u009b";
        String safe = TerminalColor.paint(evil, "red");
        assertThat(safe.chars().filter(c -> c == 0x1b).count()).as("only our own two escapes").isEqualTo(2);
        assertThat(TerminalColor.sanitize(evil)).doesNotContain("\u001b", "\u0007", "\r", "\n", "\u009b")
                .startsWith("hi\uFFFD]0;pwned");
        assertThat(TerminalColor.sanitize("弹幕 🎉 ok")).isEqualTo("弹幕 🎉 ok");
    }

    @Test
    void shouldPrintAPlainLineWithSeqSenderTextAndLatency() {
        assertThat(BulletFormat.line(HELLO, false)).isEqualTo("#42 123456/test: Hello  (12 ms)");
        assertThat(BulletFormat.line(HELLO, true)).isEqualTo("#42 123456/test: \u001b[38;2;255;0;0mHello\u001b[0m  (12 ms)");
        Bullet anonymous = new Bullet(9001, 3, 1, 10, 7, "", "x", "", 9);
        assertThat(BulletFormat.line(anonymous, true)).isEqualTo("#1 7: x  (-1 ms)");
    }

    @Test
    void shouldPrintOneJsonObjectPerLineWithTheDocumentedKeys() throws Exception {
        String line = BulletFormat.json(new Bullet(-1L, 3, 42, 1_700_000_000_000L, -2L, "小明", "a\nb", "#FF0000",
                1_700_000_000_020L));
        assertThat(line).doesNotContain("\n");
        JsonNode o = new ObjectMapper().readTree(line);
        assertThat(o.get("room").asText()).isEqualTo("18446744073709551615");
        assertThat(o.get("user").asText()).isEqualTo("18446744073709551614");
        assertThat(o.get("seq").asLong()).isEqualTo(42);
        assertThat(o.get("epoch").asLong()).isEqualTo(3);
        assertThat(o.get("name").asText()).isEqualTo("小明");
        assertThat(o.get("color").asText()).isEqualTo("#FF0000");
        assertThat(o.get("text").asText()).isEqualTo("a\nb");
        assertThat(o.get("latencyMs").asLong()).isEqualTo(20);
        assertThat(o.get("timestamp").asLong()).isEqualTo(1_700_000_000_000L);
    }
}
