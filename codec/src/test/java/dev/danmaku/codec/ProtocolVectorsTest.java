package dev.danmaku.codec;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The vectors in docs/protocol.md: every valid one decodes and re-encodes to the same bytes,
 * every invalid one is rejected with its code, and the spec's error table matches {@link ErrorCode}.
 */
class ProtocolVectorsTest {

    @Test
    void specShouldHaveAVectorForEveryFrameType() {
        Set<String> types = SpecVectors.valid().stream()
                .map(v -> v.json().replaceAll("^\\{\"type\":\"(\\w+)\".*", "$1"))
                .collect(Collectors.toSet());
        assertThat(types).containsExactlyInAnyOrderElementsOf(
                Arrays.stream(FrameType.values()).map(Enum::name).toList());
    }

    @TestFactory
    Stream<DynamicTest> validVectorsShouldDecodeAndReencodeToTheSameBytes() {
        return SpecVectors.valid().stream().map(v -> DynamicTest.dynamicTest(v.name(), () -> {
            UnsafeBuffer in = new UnsafeBuffer(v.frame());
            try (FrameDecoder d = FrameDecoder.forClient()) {
                assertThat(d.decode(in, 0, v.frame().length)).as("status").isEqualTo(Protocol.OK);
                byte[] again = Reencode.frame(d);
                assertThat(again).as("re-encoded").isEqualTo(v.frame());
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> invalidVectorsShouldBeRejectedWithTheirCode() {
        List<SpecVectors.Invalid> invalid = SpecVectors.invalid();
        assertThat(invalid).hasSizeGreaterThanOrEqualTo(12);
        return invalid.stream().map(v -> DynamicTest.dynamicTest(v.name(), () -> {
            try (FrameDecoder d = FrameDecoder.forClient()) {
                assertThat(d.decode(new UnsafeBuffer(v.frame()), 0, v.frame().length)).isEqualTo(v.code());
                assertThat(d.type()).isNull();
            }
        }));
    }

    @Test
    void specErrorTableShouldListEveryErrorCodeExactly() throws Exception {
        String spec = java.nio.file.Files.readString(SpecVectors.spec());
        Matcher m = Pattern.compile("\\| (\\d+) \\| `(\\w+)` \\| (yes|no) \\|").matcher(spec);
        StringBuilder fromSpec = new StringBuilder();
        while (m.find()) {
            fromSpec.append(m.group(1)).append(' ').append(m.group(2)).append(' ').append(m.group(3)).append('\n');
        }
        StringBuilder fromCode = new StringBuilder();
        for (ErrorCode e : ErrorCode.values()) {
            fromCode.append(e.code()).append(' ').append(e.name()).append(' ').append(e.retriable() ? "yes" : "no")
                    .append('\n');
        }
        assertThat(fromSpec.toString()).isEqualTo(fromCode.toString());
    }
}
