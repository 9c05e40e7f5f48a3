package dev.danmaku.engine.config;

/** A configuration error; the message is one line naming the source, the key and the rule. */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
