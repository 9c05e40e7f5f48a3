package dev.danmaku.engine.filter;

import org.agrona.DirectBuffer;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A simple built-in {@link Classifier} for tests and as a fallback: sums a score per keyword
 * occurrence (ASCII case-insensitive byte match of UTF-8) and flags or bans above thresholds.
 * Immutable after construction; allocation-free per call.
 */
public final class KeywordScoreClassifier implements Classifier {
    private final byte[][] keywords;
    private final int[] scores;
    private final int flagScore;
    private final int banScore;
    private final long banDurationMs;

    /**
     * @param keywordScores keyword to score per occurrence
     * @param flagScore     total score at which the bullet is flagged
     * @param banScore      total score at which the sender is banned (checked before flagging)
     * @param banDurationMs ban length, ms
     */
    public KeywordScoreClassifier(final Map<String, Integer> keywordScores, final int flagScore, final int banScore,
        final long banDurationMs) {
        keywords = new byte[keywordScores.size()][];
        scores = new int[keywordScores.size()];
        int i = 0;
        for (final Map.Entry<String, Integer> e : keywordScores.entrySet()) {
            keywords[i] = e.getKey().getBytes(StandardCharsets.UTF_8);
            for (int k = 0; k < keywords[i].length; k++) {
                keywords[i][k] = lower(keywords[i][k]);
            }
            scores[i] = e.getValue();
            i++;
        }
        this.flagScore = flagScore;
        this.banScore = banScore;
        this.banDurationMs = banDurationMs;
    }

    @Override
    public void classify(final long roomId, final long userId, final DirectBuffer content, final int off,
        final int len, final ScreeningVerdict verdict) {
        final int score = score(content, off, len);
        if (score >= banScore) {
            verdict.ban(banDurationMs);
        } else if (score >= flagScore) {
            verdict.flag();
        }
    }

    /**
     * @param content UTF-8
     * @param off     first byte
     * @param len     length in bytes
     * @return the summed score
     */
    public int score(final DirectBuffer content, final int off, final int len) {
        int total = 0;
        for (int w = 0; w < keywords.length; w++) {
            final byte[] keyword = keywords[w];
            for (int i = off, last = off + len - keyword.length; i <= last; i++) {
                int k = 0;
                while (k < keyword.length && lower(content.getByte(i + k)) == keyword[k]) {
                    k++;
                }
                if (k == keyword.length) {
                    total += scores[w];
                }
            }
        }
        return total;
    }

    private static byte lower(final byte b) {
        return (b >= 'A' && b <= 'Z') ? (byte)(b + 32) : b;
    }
}
