package dev.danmaku.perf.harness;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A fixed pool of bullet contents in a given language mix (Chinese, English, emoji) and size,
 * pre-encoded as UTF-8, so the schedule never builds strings. {@link #write} copies content number
 * {@code i mod pool} and appends " #" + i (in letters, see {@link #putLetters}): every bullet of a user is distinct, so the
 * node's duplicate filter never rejects one. Immutable after construction; any thread may read.
 */
public final class MessageMix {
    private static final int POOL = 1024;
    private static final String[] ZH = {"前方高能", "哈哈哈", "主播加油", "来了来了", "好耶", "泪目", "太强了", "破防了",
        "弹幕护体", "名场面", "这波可以", "芜湖起飞", "冲冲冲", "晚上好", "上车", "关注了", "妙啊", "离谱", "笑死", "打卡"};
    private static final String[] EN = {"lol", "gg", "nice", "lets go", "clip it", "no way", "hello", "omg", "pog",
        "W", "666", "awsl", "yyds", "ez", "gg wp", "so good", "what", "again", "first", "hype"};
    private static final String[] EMOJI = {"😂", "🔥", "👍", "❤️", "🎉", "😭", "🤣", "👏", "😎", "💯"};

    private final byte[][] contents = new byte[POOL][];

    public MessageMix(String weights, int targetBytes, long seed) {
        Map<String, Integer> w = parseWeights(weights);
        int zh = w.getOrDefault("zh", 0);
        int en = w.getOrDefault("en", 0);
        int emoji = w.getOrDefault("emoji", 0);
        int total = zh + en + emoji;
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < POOL; i++) {
            StringBuilder sb = new StringBuilder();
            int kind = r.nextInt(total);
            String[] words = kind < zh ? ZH : kind < zh + en ? EN : EMOJI;
            while (sb.toString().getBytes(StandardCharsets.UTF_8).length < targetBytes) {
                if (sb.length() > 0 && words == EN) {
                    sb.append(' ');
                }
                sb.append(words[r.nextInt(words.length)]);
            }
            byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
            contents[i] = b;
        }
    }

    /** Parses {@code zh=60,en=30,emoji=10}; throws on anything else. */
    public static Map<String, Integer> parseWeights(String s) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (String part : s.split(",")) {
            String[] kv = part.trim().split("=");
            if (kv.length != 2) {
                throw new IllegalArgumentException("--mix: expected zh=N,en=N,emoji=N, got '" + s + "'");
            }
            String k = kv[0].trim().toLowerCase(Locale.ROOT);
            if (!k.equals("zh") && !k.equals("en") && !k.equals("emoji")) {
                throw new IllegalArgumentException("--mix: unknown language '" + k + "' (zh, en, emoji)");
            }
            int v = Integer.parseInt(kv[1].trim());
            if (v < 0) {
                throw new IllegalArgumentException("--mix: negative weight");
            }
            m.put(k, v);
        }
        if (m.values().stream().mapToInt(Integer::intValue).sum() <= 0) {
            throw new IllegalArgumentException("--mix: weights sum to 0");
        }
        return m;
    }

    /**
     * Writes content {@code i} at {@code offset} (content bytes, then " #i"); returns its length.
     * The buffer needs room for the largest pool entry plus 22 bytes.
     */
    public int write(UnsafeBuffer b, int offset, long i) {
        byte[] c = contents[(int) (i & (POOL - 1))];
        b.putBytes(offset, c);
        int p = offset + c.length;
        b.putByte(p++, (byte) ' ');
        b.putByte(p++, (byte) '#');
        p += putLetters(b, p, i);
        return p - offset;
    }

    /**
     * Writes {@code i} in base 26 with the letters a-z (most significant first). Letters, not decimal:
     * the node's link rule reads a run of seven or more digits as a phone/QQ number and refuses it from
     * a low-level user, which decimal indexes reach past bullet 1,000,000.
     */
    static int putLetters(UnsafeBuffer b, int at, long i) {
        int n = 1;
        for (long v = i / 26; v > 0; v /= 26) {
            n++;
        }
        long v = i;
        for (int k = n - 1; k >= 0; k--) {
            b.putByte(at + k, (byte) ('a' + (int) (v % 26)));
            v /= 26;
        }
        return n;
    }

    /** Mean content length over the pool, bytes (before the " #i" suffix). */
    public double meanBytes() {
        long sum = 0;
        for (byte[] c : contents) {
            sum += c.length;
        }
        return (double) sum / POOL;
    }
}
