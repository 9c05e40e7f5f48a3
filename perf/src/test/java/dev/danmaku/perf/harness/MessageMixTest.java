package dev.danmaku.perf.harness;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class MessageMixTest {
    @Test
    void indexSuffixesShouldBeDistinctAndNeverADigitRun() {
        UnsafeBuffer b = new UnsafeBuffer(new byte[32]);
        Set<String> seen = new HashSet<>();
        long[] samples = {0, 1, 25, 26, 27, 675, 676, 999_999, 1_000_002, 123_456_789_012L, Long.MAX_VALUE};
        for (long i : samples) {
            int n = MessageMix.putLetters(b, 0, i);
            String s = b.getStringWithoutLengthAscii(0, n);
            assertThat(s).matches("[a-z]+");
            assertThat(seen.add(s)).as("distinct for %d", i).isTrue();
        }
        for (long i = 0; i < 100_000; i++) {
            int n = MessageMix.putLetters(b, 0, i);
            assertThat(seen.add(b.getStringWithoutLengthAscii(0, n)) || i == 0 || i == 1 || i == 25 || i == 26
                    || i == 27 || i == 675 || i == 676).isTrue();
        }
    }
}
