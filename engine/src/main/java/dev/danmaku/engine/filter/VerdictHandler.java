package dev.danmaku.engine.filter;

/** Receives screening verdicts on the admit stage thread, from {@link QueuedScreeningHook#pollVerdicts}. */
@FunctionalInterface
public interface VerdictHandler {
    /**
     * @param ref           the reference given to {@link ScreeningHook#submit}
     * @param roomId        room
     * @param userId        sender
     * @param action        {@link ScreeningVerdict#FLAG} or {@link ScreeningVerdict#BAN}
     * @param banDurationMs ban length, ms, for BAN; else 0
     */
    void onVerdict(long ref, long roomId, long userId, int action, long banDurationMs);
}
