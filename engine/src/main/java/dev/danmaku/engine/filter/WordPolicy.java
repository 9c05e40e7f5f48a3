package dev.danmaku.engine.filter;

/** What the admit stage does with a bullet that contains a sensitive word. */
public enum WordPolicy {
    /** The bullet is refused (ads, spam: masking would still deliver the message). */
    REJECT,
    /** The word is replaced by one {@code '*'} per code point and the bullet is delivered (insults). */
    MASK
}
