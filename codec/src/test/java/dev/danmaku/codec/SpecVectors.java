package dev.danmaku.codec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the test vectors out of docs/protocol.md (section 8), the same text client developers read. */
public final class SpecVectors {
    public record Vector(String name, String json, byte[] frame) { }

    public record Invalid(String name, int code, byte[] frame) { }

    private static final Pattern BLOCK = Pattern.compile("```(vector|vector-error) ([^\\n]*)\\n(.*?)```", Pattern.DOTALL);

    private SpecVectors() {
    }

    public static Path spec() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("docs/protocol.md");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("docs/protocol.md not found above " + Path.of("").toAbsolutePath());
    }

    public static List<Vector> valid() {
        List<Vector> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(read());
        while (m.find()) {
            if (m.group(1).equals("vector")) {
                String[] lines = m.group(3).split("\n", 2);
                out.add(new Vector(attr(m.group(2), "name"), lines[0], hex(lines[1])));
            }
        }
        return out;
    }

    public static List<Invalid> invalid() {
        List<Invalid> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(read());
        while (m.find()) {
            if (m.group(1).equals("vector-error")) {
                out.add(new Invalid(attr(m.group(2), "name"), Integer.parseInt(attr(m.group(2), "code")),
                        hex(m.group(3))));
            }
        }
        return out;
    }

    private static String read() {
        try {
            return Files.readString(spec());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String attr(String attrs, String key) {
        Matcher m = Pattern.compile(key + "=(\\S+)").matcher(attrs);
        if (!m.find()) {
            throw new IllegalStateException("vector without " + key + ": " + attrs);
        }
        return m.group(1);
    }

    private static byte[] hex(String text) {
        return HexFormat.of().parseHex(text.replaceAll("\\s+", ""));
    }
}
