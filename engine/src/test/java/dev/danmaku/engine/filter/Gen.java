package dev.danmaku.engine.filter;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Value generators for the seeded property tests. Like a property-testing library, each bounded
 * generator mixes in edge cases (the bounds, their neighbours, zero) with a small probability, so
 * boundaries are exercised on every run rather than only by luck. There is no shrinking: a failure
 * reports the base seed and trial index, and {@code -Ddanmaku.seed=<seed>} replays it exactly.
 */
final class Gen {
    /** One value in {@code EDGE_ODDS} is an edge case. */
    private static final int EDGE_ODDS = 16;

    private Gen() {
    }

    /** Uniform in {@code [min, max]} (both inclusive), with edge cases mixed in. */
    static int intBetween(final SplittableRandom r, final int min, final int max) {
        return (int)longBetween(r, min, max);
    }

    /** Uniform in {@code [min, max]} (both inclusive, {@code max < Long.MAX_VALUE}), with edge cases mixed in. */
    static long longBetween(final SplittableRandom r, final long min, final long max) {
        if (r.nextInt(EDGE_ODDS) == 0) {
            final long[] edges = {min, max, min + 1, max - 1, 0, 1, -1};
            final long e = edges[r.nextInt(edges.length)];
            if (e >= min && e <= max) {
                return e;
            }
            return min;
        }
        return r.nextLong(min, max + 1);
    }

    /** Any long, with edge cases mixed in. */
    static long anyLong(final SplittableRandom r) {
        if (r.nextInt(EDGE_ODDS) == 0) {
            final long[] edges = {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE + 1, Long.MAX_VALUE - 1};
            return edges[r.nextInt(edges.length)];
        }
        return r.nextLong();
    }

    static <T> T oneOf(final SplittableRandom r, final List<T> values) {
        return values.get(r.nextInt(values.size()));
    }

    /** A string of {@code [minLength, maxLength]} chars drawn from {@code chars}. */
    static String string(final SplittableRandom r, final char[] chars, final int minLength, final int maxLength) {
        final int length = intBetween(r, minLength, maxLength);
        final StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(chars[r.nextInt(chars.length)]);
        }
        return sb.toString();
    }

    /** A list of {@code [minSize, maxSize]} elements, each from {@code element}. */
    static <T> List<T> list(final SplittableRandom r, final int minSize, final int maxSize,
                            final Function<SplittableRandom, T> element) {
        final int size = intBetween(r, minSize, maxSize);
        final List<T> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            out.add(element.apply(r));
        }
        return out;
    }
}
