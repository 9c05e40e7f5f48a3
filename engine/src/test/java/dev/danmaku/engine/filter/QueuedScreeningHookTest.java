package dev.danmaku.engine.filter;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.danmaku.engine.filter.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;

class QueuedScreeningHookTest {
    private static final long BAN_MS = 10 * 60_000L;

    private final KeywordScoreClassifier keywords = new KeywordScoreClassifier(
        Map.of("scam", 5, "click", 2), 2, 5, BAN_MS);

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void shouldPublishABanVerdictForContentTheClassifierScoresAboveTheBanThreshold() throws Exception {
        try (QueuedScreeningHook hook = new QueuedScreeningHook(keywords, 1 << 16, 1 << 12, 512).start()) {
            final UnsafeBuffer scam = utf8("this is a SCAM");
            final UnsafeBuffer click = utf8("click here");
            final UnsafeBuffer fine = utf8("nice stream");
            assertThat(hook.submit(1, 100, 7, scam, 0, scam.capacity())).isTrue();
            assertThat(hook.submit(2, 100, 8, fine, 0, fine.capacity())).isTrue();
            assertThat(hook.submit(3, 100, 9, click, 0, click.capacity())).isTrue();
            final List<long[]> verdicts = new ArrayList<>();
            while (verdicts.size() < 2) {
                hook.pollVerdicts((ref, room, user, action, ms) -> verdicts.add(new long[] {ref, room, user, action, ms}), 10);
                Thread.sleep(1);
            }
            assertThat(verdicts.get(0)).containsExactly(1, 100, 7, ScreeningVerdict.BAN, BAN_MS);
            assertThat(verdicts.get(1)).containsExactly(3, 100, 9, ScreeningVerdict.FLAG, 0);
            while (hook.screenedCount() < 3) {
                Thread.sleep(1);
            }
            assertThat(hook.verdictsPublishedCount()).isEqualTo(2);
            assertThat(hook.passedUnscreenedCount()).isZero();
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.SECONDS)
    void shouldNeverBlockSubmitWhileTheClassifierSleepsTenSeconds() throws Exception {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch returned = new CountDownLatch(1);
        final Classifier sleepy = (room, user, content, off, len, verdict) -> {
            entered.countDown();
            try {
                Thread.sleep(10_000);
            } finally {
                returned.countDown();
            }
        };
        final UnsafeBuffer content = utf8("一条普通的弹幕 a normal bullet");
        try (QueuedScreeningHook hook = new QueuedScreeningHook(sleepy, 1 << 14, 1 << 12, 512).start()) {
            assertThat(hook.submit(0, 1, 1, content, 0, content.capacity())).isTrue();
            assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();
            int queued = 0;
            for (int i = 1; i <= 100_000; i++) {
                if (hook.submit(i, 1, i, content, 0, content.capacity())) {
                    queued++;
                }
            }
            // Every submit returned while the classifier is still inside its first 10 s sleep.
            assertThat(returned.getCount()).isEqualTo(1);
            assertThat(queued).isPositive().isLessThan(100_000);
            assertThat(hook.submittedCount()).isEqualTo(1 + queued);
            assertThat(hook.passedUnscreenedCount()).isEqualTo(100_000 - queued);
        }
        // close() interrupted the sleeping classifier: counted as a failure, and the thread ended.
        assertThat(returned.await(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void shouldCountAClassifierFailureAndKeepScreening() throws Exception {
        final Classifier flaky = (room, user, content, off, len, verdict) -> {
            if (user == 1) {
                throw new IllegalStateException("model unavailable");
            }
            verdict.flag();
        };
        try (QueuedScreeningHook hook = new QueuedScreeningHook(flaky, 1 << 14, 1 << 12, 512).start()) {
            final UnsafeBuffer content = utf8("x");
            hook.submit(1, 1, 1, content, 0, 1);
            hook.submit(2, 1, 2, content, 0, 1);
            final long[] flaggedUser = {0};
            while (flaggedUser[0] == 0) {
                hook.pollVerdicts((ref, room, user, action, ms) -> flaggedUser[0] = user, 10);
                Thread.sleep(1);
            }
            assertThat(flaggedUser[0]).isEqualTo(2);
            assertThat(hook.classifierFailureCount()).isEqualTo(1);
            assertThat(hook.lastClassifierFailure()).hasMessage("model unavailable");
        }
    }

    @Test
    void shouldPassContentLargerThanTheLimitUnscreened() {
        try (QueuedScreeningHook hook = new QueuedScreeningHook(keywords, 1 << 14, 1 << 12, 16)) {
            final UnsafeBuffer big = utf8("this content is longer than sixteen bytes");
            assertThat(hook.submit(1, 1, 1, big, 0, big.capacity())).isFalse();
            assertThat(hook.passedUnscreenedCount()).isEqualTo(1);
        }
    }

    @Test
    void shouldNotAllocateWhenSubmittingOrPollingAnEmptyVerdictQueue() {
        // Not started: nothing drains, so most submits find the queue full; both paths are measured.
        try (QueuedScreeningHook hook = new QueuedScreeningHook(keywords, 1 << 20, 1 << 12, 512)) {
            final UnsafeBuffer content = utf8("一条普通的弹幕 a normal bullet");
            final VerdictHandler ignore = (ref, room, user, action, ms) -> { };
            final long bytes = Allocations.bytesAllocated(10_000, 100_000, () -> {
                hook.submit(1, 2, 3, content, 0, content.capacity());
                hook.pollVerdicts(ignore, 10);
            });
            assertThat(hook.submittedCount()).isPositive();
            assertThat(hook.passedUnscreenedCount()).isPositive();
            assertThat(bytes).as("bytes allocated by 100k submits").isLessThan(100_000);
        }
    }

    @Test
    void shouldScoreKeywordOccurrencesIgnoringAsciiCase() {
        final UnsafeBuffer buf = utf8("Click CLICK scam");
        assertThat(keywords.score(buf, 0, buf.capacity())).isEqualTo(9);
    }
}
