package dev.danmaku.perf.codec;

import dev.danmaku.codec.Protocol;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class ChatCorpusTest {
    private static final int N = 5_000;

    @Test
    void shouldYieldTheSameMessagesForTheSameSeed() {
        assertThat(ChatCorpus.generate(42, N)).isEqualTo(ChatCorpus.generate(42, N));
    }

    @Test
    void shouldYieldDifferentMessagesAndUsersForAnotherSeed() {
        List<ChatCorpus.Message> a = ChatCorpus.generate(ChatCorpus.MEASUREMENT_SEED, N);
        List<ChatCorpus.Message> b = ChatCorpus.generate(ChatCorpus.TRAINING_SEED, N);
        assertThat(a).isNotEqualTo(b);
        Set<Long> usersA = new HashSet<>();
        a.forEach(m -> usersA.add(m.userId()));
        long shared = b.stream().map(ChatCorpus.Message::userId).distinct().filter(usersA::contains).count();
        assertThat(shared).as("training and measured rooms have different user populations")
                .isLessThan(usersA.size() / 100);
    }

    @Test
    void shouldMixCjkEmojiAndAsciiWithinProtocolLimits() {
        List<ChatCorpus.Message> messages = ChatCorpus.generate(ChatCorpus.MEASUREMENT_SEED, N);
        int cjk = 0;
        int emoji = 0;
        int ascii = 0;
        int longer = 0;
        int shortOnes = 0;
        long previous = Long.MIN_VALUE;
        Set<Long> users = new HashSet<>();
        for (ChatCorpus.Message m : messages) {
            String c = m.content();
            if (c.codePoints().anyMatch(cp -> Character.UnicodeScript.of(cp) == Character.UnicodeScript.HAN)) {
                cjk++;
            }
            if (c.codePoints().anyMatch(cp -> cp >= 0x1F300)) {
                emoji++;
            }
            if (c.chars().allMatch(ch -> ch < 0x80)) {
                ascii++;
            }
            int chars = c.codePointCount(0, c.length());
            assertThat(chars).isBetween(1, 110);
            if (chars <= 30) {
                shortOnes++;
            }
            if (chars >= 40) {
                longer++;
            }
            assertThat(c.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(Protocol.MAX_CONTENT_LENGTH);
            assertThat(m.name().getBytes(StandardCharsets.UTF_8).length).isBetween(1, Protocol.MAX_NAME_LENGTH);
            assertThat(m.timestamp()).isGreaterThanOrEqualTo(previous);
            previous = m.timestamp();
            users.add(m.userId());
        }
        assertThat(cjk).isGreaterThan(N / 4);
        assertThat(emoji).isGreaterThan(N / 20);
        assertThat(ascii).isGreaterThan(N / 5);
        assertThat(shortOnes).as("mostly short").isGreaterThan(N * 8 / 10);
        assertThat(longer).as("a long tail").isPositive();
        assertThat(users).hasSizeBetween(2_000, ChatCorpus.USERS);
        assertThat(messages).extracting(ChatCorpus.Message::content).contains("666", "awsl");
        assertThat(messages).filteredOn(m -> m.color().equals("#FFFFFF")).hasSizeGreaterThan(N * 7 / 10);
    }
}
