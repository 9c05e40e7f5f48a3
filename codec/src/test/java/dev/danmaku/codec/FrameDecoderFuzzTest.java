package dev.danmaku.codec;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Coverage-guided fuzz target for every decoder (RELIABILITY scenario 21). Under {@code mvn verify}
 * it runs as a short smoke run ({@code JAZZER_FUZZ=1}, bounded by {@code maxDuration}); for a long
 * run see docs/protocol.md, "Fuzzing". Any exception escaping {@link FrameDecoder#decode} is a
 * finding; so is a status that is neither OK nor a codec error.
 */
class FrameDecoderFuzzTest {
    private static final FrameDecoder DECODER = FrameDecoder.forClient();

    @FuzzTest(maxDuration = "10s")
    void decoderShouldOnlyEverReturnItsOwnStatus(byte[] input) {
        int status = DECODER.decode(new UnsafeBuffer(input), 0, input.length);
        if (status != Protocol.OK) {
            ErrorCode code = ErrorCode.of(status);
            if (code == null || code.code() < 100 || code.code() > 199) {
                throw new IllegalStateException("decoder returned " + status);
            }
        } else if (DECODER.type() == FrameType.BATCH) {
            while (DECODER.batch().next()) {
                DECODER.batch().entry().contentLength();
            }
        }
    }
}
