package dev.danmaku.perf.codec;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A deterministic, seeded generator of live-stream chat for one room: what benchmarks, the wire-size
 * report and dictionary training feed to the codec. Not a model of any real platform; a plausible
 * mix with the properties that matter for size and speed:
 *
 * <ul>
 *   <li>content mostly 2-30 characters with a long tail to ~100, mixed CJK / ASCII, emoji
 *       (supplementary code points), bracket emotes such as {@code [doge]};</li>
 *   <li>the repetition typical of danmaku: a small vocabulary of stock phrases ("666", "哈哈哈",
 *       "awsl"), repeated characters of varying length, and "copy waves" where viewers repeat a
 *       recent message verbatim;</li>
 *   <li>~10k users (Chinese and ASCII names, fixed per user) with a skewed activity (a few
 *       regulars write a lot);</li>
 *   <li>colours mostly {@code #FFFFFF} / {@code white}, a handful of others;</li>
 *   <li>timestamps (Unix ms) non-decreasing, Poisson arrivals at {@code ratePerSecond}.</li>
 * </ul>
 *
 * <p>The same seed always yields the same sequence (on any JVM: only {@link SplittableRandom} and
 * integer arithmetic). Use different seeds for training a dictionary and for measuring it
 * ({@link #TRAINING_SEED}, {@link #MEASUREMENT_SEED}). Not thread-safe: one thread owns an instance.
 */
public final class ChatCorpus {
    /** Seed of the corpus a dictionary is trained on. */
    public static final long TRAINING_SEED = 0x7EA1_2026L;
    /** Seed of the corpus sizes and speeds are measured on (never the training seed). */
    public static final long MEASUREMENT_SEED = 20_261_126L;
    /** Distinct users in the room's population. */
    public static final int USERS = 10_000;
    /** Default room id (a typical 8-digit live room id). */
    public static final long DEFAULT_ROOM_ID = 21_452_505L;
    /** Default start of the timestamps: 2026-11-26T12:00:00Z, Unix ms. */
    public static final long DEFAULT_START_MS = 1_795_694_400_000L;
    /** Default arrival rate, messages per second. */
    public static final int DEFAULT_RATE_PER_SECOND = 1_000;

    /** One chat message, as a client would send it. */
    public record Message(long timestamp, long userId, long roomId, String name, String content, String color) {
    }

    // ---- vocabulary -------------------------------------------------------------------------

    /** Stock phrases, most frequent first (the sampler favours the head). */
    private static final String[] STOCK = {
        "666", "哈哈哈哈", "awsl", "前方高能", "gg", "yyds", "主播加油", "？？？", "草", "2333",
        "哈哈哈哈哈哈", "来了来了", "好耶", "泪目", "xswl", "牛", "nb", "太强了", "破防了", "绷不住了",
        "典", "哈哈哈", "8888", "好家伙", "妙啊", "离谱", "啊这", "笑死", "kksk", "打卡",
        "第一", "前排", "上热门", "爷青回", "DNA动了", "名场面", "高能预警", "弹幕护体", "完美", "稳住",
        "lol", "LOL", "GG", "gg wp", "W", "pog", "KEKW", "nice", "lets go", "clip it",
        "no way", "hi", "hello", "ez", "ggwp", "??", "!!!", "xD", "omg", "F",
        "主播好帅", "主播好可爱", "这波可以", "这操作绝了", "我哭死", "有被笑到", "下饭", "芜湖起飞", "冲冲冲", "晚上好",
        "主播晚上好", "刚来", "什么情况", "发生了什么", "好听", "求bgm", "bgm是什么", "这是什么游戏", "上车", "关注了",
    };

    /** Emotes in bracket form (rendered as images by clients). */
    private static final String[] EMOTES = {
        "[doge]", "[笑哭]", "[妙啊]", "[吃瓜]", "[OK]", "[tv_doge]", "[星星眼]", "[辣眼睛]", "[热词系列_知识增加]",
        "[给心心]", "[脱单doge]", "[大哭]", "[喜欢]", "[呲牙]",
    };

    /** Emoji, several outside the BMP (4 UTF-8 bytes, surrogate pairs in Java). */
    private static final String[] EMOJI = {
        "😂", "🤣", "👍", "❤️", "🔥", "🎉", "😭", "🙏", "👏", "💯", "🐶", "😅", "🥰", "😱", "🤔", "💪", "✨", "🌹",
    };

    /** Characters that get repeated ("6666666", "哈哈哈哈哈"). */
    private static final String[] REPEATABLE = {"6", "哈", "h", "2333", "啊", "?", "！", "草", "8", "w", "a"};

    private static final String[] CN_SUBJECTS = {
        "主播", "这个", "刚才那个", "这波", "up主", "对面", "队友", "你们", "弹幕", "这首歌", "这个操作", "老板", "房管", "这把",
    };
    private static final String[] CN_PREDICATES = {
        "太强了", "好厉害", "是真的秀", "绝了", "有点东西", "好可爱", "唱得真好", "在干嘛", "怎么又死了", "是不是开了",
        "心态崩了", "笑死我了", "也太离谱了吧", "我直接好家伙", "下次一定", "能不能带带我", "稳如老狗", "走位风骚", "今天状态不错", "好帅啊",
    };
    private static final String[] CN_QUESTIONS = {
        "主播用的什么键盘啊", "这是第几关了", "bgm叫什么名字", "主播几点下播", "明天还播吗", "这个皮肤多少钱",
        "有没有人一起开黑", "主播是哪里人", "这个游戏在哪下载", "刚来的能说一下发生了什么吗", "主播今年多大了", "这个配置能跑吗",
    };
    private static final String[] EN_SENTENCES = {
        "that was insane", "first time here, love the stream", "hello from Brazil", "what game is this",
        "how long have you been playing", "this is so good", "can you play the song again", "you got this",
        "no shot that just happened", "chat is wild today", "greetings from Germany", "lets gooo",
        "that boss fight was crazy", "who else is watching at 3am", "take my money", "best streamer ever",
    };
    private static final String[] COPYPASTA = {
        "我宣布这是今年最好看的一场直播，谁赞成谁反对，反对无效，主播冲啊，我们永远支持你",
        "从第一期就开始看了，一路看着主播从几十个人的小直播间到现在几万人，真的很感动，希望能一直播下去",
        "前方高能预警，非战斗人员请迅速撤离，重复一遍，非战斗人员请迅速撤离，这不是演习",
        "家人们谁懂啊，下班回家第一件事就是打开直播间，今天的饭都吃得特别香，感谢主播带来的快乐",
        "I have been watching this channel since the very first stream and honestly it keeps getting better every week",
        "弹幕护体弹幕护体弹幕护体，前方高能请注意，前方高能请注意，awsl awsl awsl",
    };

    // ---- names --------------------------------------------------------------------------------

    private static final String[] CN_NAME_ADJ = {
        "快乐的", "孤独的", "努力的", "迷路的", "摸鱼的", "熬夜的", "社恐", "暴躁", "咸鱼", "佛系", "可爱的", "无敌",
        "", "", "",
    };
    private static final String[] CN_NAME_NOUN = {
        "小猫咪", "咸鱼", "路人甲", "打工人", "夜猫子", "干饭人", "小透明", "程序员", "学生党", "柠檬精", "吃瓜群众",
        "大魔王", "小仙女", "老司机", "菜鸟", "萌新", "橘子", "奶茶", "月亮", "星星",
    };
    private static final String[] ASCII_NAME_WORDS = {
        "shadow", "fox", "kitty", "gamer", "night", "pixel", "dragon", "moon", "ninja", "lucky", "panda", "noob",
        "alpha", "sky", "wolf", "cat", "pro", "tofu", "mochi", "zero",
    };

    // ---- colours ------------------------------------------------------------------------------

    private static final String[] OTHER_COLORS = {
        "#FE0302", "#FFFF00", "#00CD00", "#4266BE", "#CC0273", "#89D5FF", "#FFAA02", "red", "yellow",
    };

    private final SplittableRandom random;
    private final long roomId;
    private final double meanGapMs;
    private final long nameSalt;
    /** Recent contents, for copy waves (a ring; never grows). */
    private final String[] recent = new String[64];
    private int recentCount;
    private int recentNext;
    /** Sub-millisecond part of the clock, so that high rates still spread over milliseconds. */
    private double clockMs;

    /** A corpus with the default room, start time and rate. */
    public ChatCorpus(long seed) {
        this(seed, DEFAULT_ROOM_ID, DEFAULT_START_MS, DEFAULT_RATE_PER_SECOND);
    }

    /**
     * @param seed          any value; the same seed yields the same messages
     * @param roomId        room of every message (!= 0)
     * @param startMs       timestamp of the first message, Unix ms
     * @param ratePerSecond mean arrival rate (> 0), messages per second
     */
    public ChatCorpus(long seed, long roomId, long startMs, int ratePerSecond) {
        if (roomId == 0 || ratePerSecond <= 0) {
            throw new IllegalArgumentException("roomId must be != 0 and ratePerSecond > 0");
        }
        this.random = new SplittableRandom(seed);
        this.roomId = roomId;
        this.meanGapMs = 1000.0 / ratePerSecond;
        this.clockMs = startMs;
        // Names depend on the seed too: a training corpus must not know the measured room's users.
        this.nameSalt = mix(seed ^ 0x5DEECE66DL);
    }

    /** The first {@code count} messages of the corpus with this seed (default room, start, rate). */
    public static List<Message> generate(long seed, int count) {
        ChatCorpus corpus = new ChatCorpus(seed);
        List<Message> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(corpus.next());
        }
        return out;
    }

    /** The next message. */
    public Message next() {
        // Exponential inter-arrival times: a Poisson stream at the configured rate.
        clockMs += -StrictMath.log(1.0 - random.nextDouble()) * meanGapMs;
        long timestamp = (long) clockMs;
        int user = pickUser();
        long userId = userId(user);
        String content = content();
        return new Message(timestamp, userId, roomId, name(user), content, color());
    }

    // ---- users --------------------------------------------------------------------------------

    /** Skewed activity: 30 % of messages come from the 200 most active users, the rest uniformly. */
    private int pickUser() {
        if (random.nextInt(100) < 30) {
            return random.nextInt(200);
        }
        return random.nextInt(USERS);
    }

    /** Ids look like a platform's: scattered over 5 to 10 digits, fixed per user index. */
    private long userId(int user) {
        long h = mix(nameSalt + user) >>> 1;
        int digits = 5 + (int) (h % 6); // 5..10 digits
        long low = pow10(digits - 1);
        return low + (h >>> 8) % (9 * low);
    }

    private String name(int user) {
        SplittableRandom r = new SplittableRandom(mix(nameSalt ^ (user * 0x9E3779B97F4A7C15L)));
        int kind = r.nextInt(100);
        if (kind < 55) {
            String s = CN_NAME_ADJ[r.nextInt(CN_NAME_ADJ.length)] + CN_NAME_NOUN[r.nextInt(CN_NAME_NOUN.length)];
            int suffix = r.nextInt(4);
            if (suffix == 0) {
                return s + r.nextInt(10_000);
            }
            if (suffix == 1) {
                return s + "_" + (char) ('a' + r.nextInt(26)) + (char) ('a' + r.nextInt(26));
            }
            return s;
        }
        if (kind < 90) {
            String a = ASCII_NAME_WORDS[r.nextInt(ASCII_NAME_WORDS.length)];
            String b = ASCII_NAME_WORDS[r.nextInt(ASCII_NAME_WORDS.length)];
            switch (r.nextInt(4)) {
                case 0:
                    return a + "_" + b + r.nextInt(100);
                case 1:
                    return Character.toUpperCase(a.charAt(0)) + a.substring(1) + Character.toUpperCase(b.charAt(0))
                            + b.substring(1);
                case 2:
                    return "xX" + a + "Xx";
                default:
                    return a + (1990 + r.nextInt(20));
            }
        }
        // Platform default names: "bili_" + digits, or a mixed name.
        if (r.nextBoolean()) {
            return "bili_" + (10_000_000 + r.nextInt(90_000_000));
        }
        return CN_NAME_NOUN[r.nextInt(CN_NAME_NOUN.length)] + ASCII_NAME_WORDS[r.nextInt(ASCII_NAME_WORDS.length)];
    }

    // ---- content ------------------------------------------------------------------------------

    private String content() {
        String s;
        if (recentCount > 0 && random.nextInt(100) < 15) {
            // Copy wave: repeat one of the last few messages verbatim.
            int back = 1 + Math.min(recentCount - 1, (int) (-StrictMath.log(1.0 - random.nextDouble()) * 4));
            s = recent[(recentNext - back + recent.length * 2) % recent.length];
        } else {
            s = fresh();
        }
        recent[recentNext] = s;
        recentNext = (recentNext + 1) % recent.length;
        recentCount = Math.min(recentCount + 1, recent.length);
        return s;
    }

    private String fresh() {
        int k = random.nextInt(1000);
        if (k < 380) {
            return stock();
        }
        if (k < 480) {
            return repeated();
        }
        if (k < 560) {
            return stock() + decoration();
        }
        if (k < 640) {
            return emotes();
        }
        if (k < 790) {
            return cnSentence();
        }
        if (k < 860) {
            return EN_SENTENCES[random.nextInt(EN_SENTENCES.length)] + maybe(decoration(), 40);
        }
        if (k < 920) {
            return CN_QUESTIONS[random.nextInt(CN_QUESTIONS.length)] + maybe("？", 50);
        }
        if (k < 975) {
            return mixed();
        }
        return longTail();
    }

    /** Zipf-like pick from the stock phrases: the head is much more frequent than the tail. */
    private String stock() {
        double u = random.nextDouble();
        int i = (int) (STOCK.length * u * u * u);
        return STOCK[i];
    }

    private String repeated() {
        String unit = REPEATABLE[random.nextInt(REPEATABLE.length)];
        int n = 2 + (int) (-StrictMath.log(1.0 - random.nextDouble()) * 5);
        // Cap the run at ~60 characters: the tail of the length distribution ends near 100.
        return unit.repeat(Math.min(Math.min(n, 40), Math.max(2, 60 / unit.length())));
    }

    private String decoration() {
        int k = random.nextInt(3);
        if (k == 0) {
            return EMOJI[random.nextInt(EMOJI.length)].repeat(1 + random.nextInt(3));
        }
        if (k == 1) {
            return EMOTES[random.nextInt(EMOTES.length)];
        }
        return random.nextBoolean() ? "!!!" : "~";
    }

    private String emotes() {
        StringBuilder sb = new StringBuilder();
        int n = 1 + random.nextInt(3);
        for (int i = 0; i < n; i++) {
            sb.append(random.nextBoolean() ? EMOTES[random.nextInt(EMOTES.length)] : EMOJI[random.nextInt(EMOJI.length)]);
        }
        return sb.toString();
    }

    private String cnSentence() {
        return CN_SUBJECTS[random.nextInt(CN_SUBJECTS.length)] + CN_PREDICATES[random.nextInt(CN_PREDICATES.length)]
                + maybe(decoration(), 30);
    }

    private String mixed() {
        switch (random.nextInt(4)) {
            case 0:
                return "主播" + STOCK[random.nextInt(10)];
            case 1:
                return STOCK[40 + random.nextInt(20)] + " " + CN_PREDICATES[random.nextInt(CN_PREDICATES.length)];
            case 2:
                return "第" + (1 + random.nextInt(50)) + "次看了" + maybe("[doge]", 50);
            default:
                return (1 + random.nextInt(99)) + "楼 " + STOCK[random.nextInt(20)];
        }
    }

    /** The long tail: pasted paragraphs ("小作文"), possibly cut, 40-100 characters. */
    private String longTail() {
        if (random.nextInt(3) == 0) {
            StringBuilder sb = new StringBuilder();
            while (sb.length() < 40) {
                sb.append(cnSentence()).append('，');
            }
            sb.setLength(sb.length() - 1);
            return sb.toString();
        }
        String s = COPYPASTA[random.nextInt(COPYPASTA.length)];
        int cut = 30 + random.nextInt(Math.max(1, s.length() - 29));
        cut = Math.min(cut, s.length());
        if (Character.isHighSurrogate(s.charAt(cut - 1))) {
            cut--;
        }
        return s.substring(0, cut);
    }

    private String maybe(String s, int percent) {
        return random.nextInt(100) < percent ? s : "";
    }

    // ---- colours ------------------------------------------------------------------------------

    private String color() {
        int k = random.nextInt(100);
        if (k < 80) {
            return "#FFFFFF";
        }
        if (k < 88) {
            return "white";
        }
        return OTHER_COLORS[random.nextInt(OTHER_COLORS.length)];
    }

    // ---- arithmetic ---------------------------------------------------------------------------

    private static long pow10(int n) {
        long p = 1;
        for (int i = 0; i < n; i++) {
            p *= 10;
        }
        return p;
    }

    /** SplitMix64 finaliser: a fixed, platform-independent hash. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
