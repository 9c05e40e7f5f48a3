package dev.danmaku.perf.filter;

import dev.danmaku.codec.Protocol;
import dev.danmaku.codec.Utf8;
import dev.danmaku.engine.filter.LinkRule;
import dev.danmaku.engine.filter.SensitiveWordFilter;
import dev.danmaku.perf.codec.ChatCorpus;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The admit stage's content passes, one bullet's content per operation, cycling through {@link #SIZE}
 * contents of the chat mix ({@link ChatCorpus}, measurement seed) packed in one heap buffer as the
 * ring's slots hold them: {@link #words} ({@code SensitiveWordFilter.scan} with {@code config/words.txt};
 * run from the repository root), {@link #links} ({@code LinkRule.violates} for a level-0 sender, who is
 * checked) and {@link #utf8} (the decode stage's strict validation of the same bytes).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ContentFilterBenchmark {
    static final int SIZE = 1024;

    private final UnsafeBuffer contents = new UnsafeBuffer(new byte[SIZE * Protocol.MAX_CONTENT_LENGTH]);
    private final int[] offsets = new int[SIZE];
    private final int[] lengths = new int[SIZE];
    private SensitiveWordFilter wordFilter;
    private LinkRule linkRule;
    private int index;

    @Setup
    public void setUp() throws IOException {
        Path list = Path.of("config/words.txt");
        if (!Files.isRegularFile(list)) {
            throw new IllegalStateException("run from the repository root: " + list.toAbsolutePath() + " is missing");
        }
        wordFilter = SensitiveWordFilter.load(list);
        linkRule = new LinkRule(3, Protocol.MAX_CONTENT_LENGTH);
        List<ChatCorpus.Message> messages = ChatCorpus.generate(ChatCorpus.MEASUREMENT_SEED, SIZE);
        int p = 0;
        for (int i = 0; i < SIZE; i++) {
            offsets[i] = p;
            lengths[i] = Utf8.encode(messages.get(i).content(), contents, p);
            p += lengths[i];
        }
    }

    private int next() {
        int i = index;
        index = (i + 1) & (SIZE - 1);
        return i;
    }

    /** SensitiveWordFilter.scan: a word index, MASK or CLEAN. */
    @Benchmark
    public int words() {
        int i = next();
        return wordFilter.scan(contents, offsets[i], lengths[i]);
    }

    /** LinkRule.violates for a level-0 sender. */
    @Benchmark
    public boolean links() {
        int i = next();
        return linkRule.violates(0, contents, offsets[i], lengths[i]);
    }

    /** Utf8.isValid over the content. */
    @Benchmark
    public boolean utf8() {
        int i = next();
        return Utf8.isValid(contents, offsets[i], lengths[i]);
    }
}
