package dev.danmaku.engine.room;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class LeaderboardTest {
    @Test
    void shouldRankByScoreThenByLowerUserId() {
        Leaderboard board = new Leaderboard(10);
        board.add(5, 3);
        board.add(2, 1);
        board.add(9, 3);
        board.add(2, 1);
        long[] users = new long[3];
        long[] scores = new long[3];
        assertThat(board.top(3, users, scores)).isEqualTo(3);
        assertThat(users).containsExactly(5, 9, 2);
        assertThat(scores).containsExactly(3, 3, 2);
        assertThat(board.score(2)).isEqualTo(2);
        assertThat(board.size()).isEqualTo(3);
    }

    @Test
    void shouldCountSendersPastTheCapAsUntrackedAndKeepServingTrackedOnes() {
        Leaderboard board = new Leaderboard(2);
        board.add(1, 1);
        board.add(2, 1);
        board.add(3, 1);
        board.add(1, 1);
        assertThat(board.size()).isEqualTo(2);
        assertThat(board.untracked()).isEqualTo(1);
        assertThat(board.score(3)).isZero();
        assertThat(board.score(1)).isEqualTo(2);
    }

    @Test
    void shouldAgreeWithAnImmediateModelWhateverTheMixOfAddsAndReads() {
        long seed = 0x1EAD_B0A2DL;
        SplittableRandom random = new SplittableRandom(seed);
        int maxUsers = 50;
        Leaderboard board = new Leaderboard(maxUsers);
        Map<Long, Long> model = new HashMap<>();
        long untracked = 0;
        for (int step = 0; step < 200_000; step++) {
            int op = random.nextInt(1000);
            if (op < 990) {
                long user = random.nextInt(120);
                long weight = 1 + random.nextInt(5);
                if (!model.containsKey(user) && model.size() >= maxUsers) {
                    untracked++;
                } else {
                    model.merge(user, weight, Long::sum);
                }
                board.add(user, weight);
            } else if (op < 995) {
                long user = random.nextInt(120);
                assertThat(board.score(user)).as("seed=%d step=%d", seed, step).isEqualTo(model.getOrDefault(user, 0L));
            } else if (op < 998) {
                assertThat(board.size()).as("seed=%d step=%d", seed, step).isEqualTo(model.size());
                assertThat(board.untracked()).as("seed=%d step=%d", seed, step).isEqualTo(untracked);
            } else {
                long[] users = new long[5];
                long[] scores = new long[5];
                int n = board.top(5, users, scores);
                assertThat(n).isEqualTo(Math.min(5, model.size()));
                for (int i = 0; i < n; i++) {
                    assertThat(scores[i]).as("seed=%d step=%d", seed, step).isEqualTo(model.get(users[i]));
                    long expected = model.entrySet().stream()
                            .sorted((a, b) -> a.getValue().equals(b.getValue())
                                    ? Long.compareUnsigned(a.getKey(), b.getKey()) : Long.compare(b.getValue(), a.getValue()))
                            .skip(i).findFirst().orElseThrow().getKey();
                    assertThat(users[i]).as("seed=%d step=%d rank=%d", seed, step, i).isEqualTo(expected);
                }
            }
        }
    }
}
