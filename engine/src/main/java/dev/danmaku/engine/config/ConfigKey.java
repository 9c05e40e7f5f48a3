package dev.danmaku.engine.config;

import java.util.Locale;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One configuration key: its dotted name (as in config/node.yaml), default, parser, the rule a
 * value must satisfy, and a one-line description (printed by {@code danmaku node --help-config}).
 *
 * @param <T> the value type
 */
public record ConfigKey<T>(String name, T defaultValue, Function<String, T> parser, Predicate<T> valid,
                           String rule, String description) {

    /** Parses and checks a textual value; the message of the exception is one line for the user. */
    public T parse(String text, String source) {
        T value;
        try {
            value = parser.apply(text.trim());
        } catch (RuntimeException e) {
            throw new ConfigException(source + ": " + name + ": cannot parse '" + text + "' (" + rule + ")");
        }
        if (!valid.test(value)) {
            throw new ConfigException(source + ": " + name + ": '" + text + "' is out of range (" + rule + ")");
        }
        return value;
    }

    static ConfigKey<Integer> intKey(String name, int def, int min, int max, String description) {
        return new ConfigKey<>(name, def, Integer::parseInt, v -> v >= min && v <= max,
                "an integer in [" + min + ", " + max + "]", description);
    }

    static ConfigKey<Long> longKey(String name, long def, long min, long max, String description) {
        return new ConfigKey<>(name, def, ConfigKey::parseLong, v -> v >= min && v <= max,
                "an integer in [" + min + ", " + max + "]", description);
    }

    static ConfigKey<Boolean> boolKey(String name, boolean def, String description) {
        return new ConfigKey<>(name, def, ConfigKey::parseBool, v -> true, "true or false", description);
    }

    static ConfigKey<String> stringKey(String name, String def, String description) {
        return new ConfigKey<>(name, def, s -> s, v -> true, "a string", description);
    }

    static <E extends Enum<E>> ConfigKey<E> enumKey(String name, E def, Class<E> type, String description) {
        StringBuilder names = new StringBuilder("one of");
        for (E e : type.getEnumConstants()) {
            names.append(' ').append(e.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        }
        return new ConfigKey<>(name, def, s -> Enum.valueOf(type, s.toUpperCase(Locale.ROOT).replace('-', '_')),
                v -> true, names.toString(), description);
    }

    private static long parseLong(String s) {
        return Long.parseLong(s.replace("_", ""));
    }

    private static boolean parseBool(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new IllegalArgumentException(s);
        };
    }
}
