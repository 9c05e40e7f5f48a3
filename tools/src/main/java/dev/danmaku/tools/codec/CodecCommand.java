package dev.danmaku.tools.codec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.danmaku.codec.CodecException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code danmaku codec decode|encode}: converts frames between hex (or raw bytes) and the JSON form
 * of docs/protocol.md, so client developers can check their implementations against the spec.
 * Exit codes: 0 ok, 1 invalid frame or input (one line on stderr), 2 usage error.
 */
@Command(name = "codec", mixinStandardHelpOptions = true,
        description = "Decode frames to JSON and encode JSON to frames (docs/protocol.md).",
        subcommands = {CodecCommand.Decode.class, CodecCommand.Encode.class})
public final class CodecCommand implements Runnable {
    static final ObjectMapper MAPPER = new ObjectMapper();

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    @Command(name = "decode", mixinStandardHelpOptions = true,
            description = {"Decode a frame and print it as JSON.",
                    "Hex comes from the arguments (spaces allowed) or, without arguments, from stdin: one frame per line.",
                    "On an invalid frame prints 'error CODE NAME: reason' on stderr and exits 1."})
    static final class Decode implements Callable<Integer> {
        @Parameters(arity = "0..*", paramLabel = "HEX", description = "the frame as hex digits")
        List<String> hex = new ArrayList<>();

        @Option(names = "--binary", description = "read one raw frame (bytes, not hex) from stdin")
        boolean binary;

        @Option(names = "--pretty", description = "indent the JSON")
        boolean pretty;

        InputStream in = System.in;
        PrintStream out = System.out;
        PrintStream err = System.err;

        @Override
        public Integer call() throws IOException {
            List<byte[]> frames = new ArrayList<>();
            if (binary) {
                frames.add(in.readAllBytes());
            } else if (!hex.isEmpty()) {
                byte[] frame = parseHex(String.join("", hex));
                if (frame == null) {
                    return 1;
                }
                frames.add(frame);
            } else {
                for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
                    if (line.isBlank()) {
                        continue;
                    }
                    byte[] frame = parseHex(line);
                    if (frame == null) {
                        return 1;
                    }
                    frames.add(frame);
                }
            }
            if (frames.isEmpty()) {
                err.println("error: no frame given (pass hex digits, or pipe them on stdin)");
                return 1;
            }
            for (byte[] frame : frames) {
                try {
                    JsonNode json = FrameJson.decode(frame);
                    out.println(pretty
                            ? MAPPER.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json)
                            : MAPPER.writeValueAsString(json));
                } catch (CodecException e) {
                    err.println("error " + e.code().code() + " " + e.code().name() + ": " + e.code().message());
                    return 1;
                }
            }
            return 0;
        }

        private byte[] parseHex(String text) {
            String digits = text.replaceAll("\\s+|0x|0X|:", "");
            try {
                return HexFormat.of().parseHex(digits);
            } catch (IllegalArgumentException e) {
                err.println("error: not hex (" + (digits.length() % 2 == 1 ? "odd number of digits" : "non-hex character") + ")");
                return null;
            }
        }
    }

    @Command(name = "encode", mixinStandardHelpOptions = true,
            description = {"Encode JSON (the form 'decode' prints) into a frame and print it as hex.",
                    "JSON comes from the argument or, without one, from stdin: one or more objects.",
                    "On bad JSON prints 'error: reason' on stderr and exits 1."})
    static final class Encode implements Callable<Integer> {
        @Parameters(arity = "0..1", paramLabel = "JSON", description = "the frame as a JSON object")
        String json;

        @Option(names = "--binary", description = "write raw bytes to stdout instead of hex")
        boolean binary;

        InputStream in = System.in;
        PrintStream out = System.out;
        PrintStream err = System.err;

        @Override
        public Integer call() throws IOException {
            String text = json != null ? json : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int written = 0;
            try (MappingIterator<JsonNode> it = MAPPER.readerFor(JsonNode.class).readValues(text)) {
                while (it.hasNextValue()) {
                    byte[] frame = FrameJson.encode(it.nextValue());
                    if (binary) {
                        out.write(frame);
                    } else {
                        out.println(HexFormat.of().formatHex(frame));
                    }
                    written++;
                }
            } catch (JsonProcessingException e) {
                err.println("error: invalid JSON: " + e.getOriginalMessage());
                return 1;
            } catch (RuntimeException e) {
                Throwable cause = e.getCause() instanceof JsonProcessingException j ? j : e;
                err.println("error: " + (cause instanceof JsonProcessingException j ? "invalid JSON: " + j.getOriginalMessage()
                        : cause.getMessage()));
                return 1;
            }
            out.flush();
            if (written == 0) {
                err.println("error: no JSON object given");
                return 1;
            }
            return 0;
        }
    }

}
