package dev.danmaku.tools.codec;

import dev.danmaku.tools.CliRun;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.danmaku.codec.SpecVectors;
import dev.danmaku.tools.Main;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code danmaku codec} against the spec's vectors, and its error behaviour. */
class CodecCommandTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();



    @TestFactory
    Stream<DynamicTest> decodeShouldPrintEachVectorsJson() {
        return SpecVectors.valid().stream().map(v -> DynamicTest.dynamicTest(v.name(), () -> {
            CliRun r = CliRun.run("", "codec", "decode", HexFormat.of().formatHex(v.frame()));
            assertThat(r.exit()).as(r.err()).isZero();
            JsonNode actual = MAPPER.readTree(r.out());
            assertThat(actual).isEqualTo(MAPPER.readTree(v.json()));
        }));
    }

    @TestFactory
    Stream<DynamicTest> encodeShouldPrintEachVectorsHex() {
        return SpecVectors.valid().stream().map(v -> DynamicTest.dynamicTest(v.name(), () -> {
            CliRun r = CliRun.run(v.json(), "codec", "encode");
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out().trim()).isEqualTo(HexFormat.of().formatHex(v.frame()));
        }));
    }

    @TestFactory
    Stream<DynamicTest> decodeShouldPrintTheCodeOfEachInvalidVectorAndExitOne() {
        return SpecVectors.invalid().stream().map(v -> DynamicTest.dynamicTest(v.name(), () -> {
            CliRun r = CliRun.run(HexFormat.of().formatHex(v.frame()) + "\n", "codec", "decode");
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).startsWith("error " + v.code() + " ").doesNotContain("\tat ");
            assertThat(r.err().strip().lines().count()).isEqualTo(1);
        }));
    }

    @Test
    void decodeShouldReadRawBytesWithBinary() {
        byte[] frame = SpecVectors.valid().get(0).frame();
        InputStream oldIn = System.in;
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setIn(new ByteArrayInputStream(frame));
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            assertThat(Main.commandLine().execute("codec", "decode", "--binary")).isZero();
        } finally {
            System.setIn(oldIn);
            System.setOut(oldOut);
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("\"content\":\"Hello\"");
    }

    @Test
    void badInputShouldGiveOneLineAndExitOne() {
        assertThat(CliRun.run("", "codec", "decode", "abc")).satisfies(r -> {
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err()).isEqualTo("error: not hex (odd number of digits)\n");
        });
        assertThat(CliRun.run("", "codec", "decode")).satisfies(r -> assertThat(r.exit()).isEqualTo(1));
        assertThat(CliRun.run("{\"type\":\"BULLET\"}", "codec", "encode")).satisfies(r -> {
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err()).isEqualTo("error: missing key \"timestamp\"\n");
        });
        assertThat(CliRun.run("{nope", "codec", "encode")).satisfies(r -> {
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err()).startsWith("error: invalid JSON");
        });
        assertThat(CliRun.run("", "codec", "encode",
                "{\"type\":\"BULLET\",\"timestamp\":1,\"user\":1,\"room\":1,\"name\":\"\",\"content\":\"x\",\"color\":\"\",\"extra\":1}"))
                .satisfies(r -> assertThat(r.err()).isEqualTo("error: unknown key \"extra\"\n"));
        assertThat(CliRun.run("", "codec", "encode",
                "{\"type\":\"ACK\",\"timestamp\":1,\"room\":18446744073709551616,\"epoch\":1,\"seq\":1}"))
                .satisfies(r -> assertThat(r.err()).startsWith("error: \"room\" out of range for u64"));
    }

    @Test
    void unknownOptionShouldBeAUsageErrorWithExitTwo() {
        CliRun r = CliRun.run("", "codec", "decode", "--bogus");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("Unknown option");
    }

    @Test
    void u64IdsAboveLongMaxShouldRoundTripAsUnsignedDecimal() throws Exception {
        String json = "{\"type\":\"HEARTBEAT\",\"timestamp\":1,\"user\":18446744073709551615,\"room\":0}";
        CliRun enc = CliRun.run(json, "codec", "encode");
        CliRun dec = CliRun.run("", "codec", "decode", enc.out().trim());
        assertThat(MAPPER.readTree(dec.out())).isEqualTo(MAPPER.readTree(json));
    }
}
