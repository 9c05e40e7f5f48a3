package dev.danmaku.engine.filter;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counts of admission outcomes by reason. Written by the admit stage thread only (single writer:
 * a release store of the plain value plus one, no read-modify-write instruction), read by the
 * metrics thread. Allocation-free.
 */
public final class AdmitCounters {
    /** Why a bullet was not admitted as sent. */
    public enum Reason {
        /** The sender is banned. */
        BANNED_USER,
        /** The sender's address is banned. */
        BANNED_IP,
        /** Rate limited (retry-after sent). */
        RATE_LIMITED,
        /** The rate limiter had no room to track a new sender. */
        RATE_LIMITER_FULL,
        /** Same user and content within the dedup window. */
        DUPLICATE,
        /** A client retry of an accepted bullet (its ACK was re-sent). */
        RETRY,
        /** A REJECT sensitive word. */
        SENSITIVE_WORD,
        /** Admitted with MASK words masked. */
        MASKED,
        /** A link or contact from a user below the level for it. */
        LINK_RULE,
        /** Admitted without async screening because its queue was full. */
        SCREENING_SKIPPED;

        private static final Reason[] VALUES = values();
    }

    private final AtomicLongArray counts = new AtomicLongArray(Reason.VALUES.length);

    /**
     * Admit stage thread.
     *
     * @param reason the outcome
     */
    public void increment(final Reason reason) {
        final int i = reason.ordinal();
        counts.setRelease(i, counts.getPlain(i) + 1);
    }

    /**
     * Any thread.
     *
     * @param reason the outcome
     * @return its count
     */
    public long get(final Reason reason) {
        return counts.get(reason.ordinal());
    }
}
