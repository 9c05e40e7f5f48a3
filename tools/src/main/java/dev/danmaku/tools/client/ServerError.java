package dev.danmaku.tools.client;

import dev.danmaku.codec.ErrorCode;
import dev.danmaku.codec.FrameType;

/**
 * An ERROR frame from the node.
 *
 * @param code         numeric code (section 6 of docs/protocol.md)
 * @param refType      type code of the frame it answers (0 = none)
 * @param refTimestamp that frame's timestamp (0 = none)
 * @param room         room id (0 = none)
 * @param retryAfterMs wait before retrying, ms (0 = no hint)
 * @param reason       the node's text
 */
public record ServerError(int code, int refType, long refTimestamp, long room, long retryAfterMs, String reason) {
    /** The known code, or null for a code this build does not know. */
    public ErrorCode errorCode() {
        return ErrorCode.of(code);
    }

    /** The code's name, or {@code ERROR_<code>} for an unknown one. */
    public String name() {
        ErrorCode c = errorCode();
        return c != null ? c.name() : "ERROR_" + code;
    }

    /** True if the same request may succeed later. */
    public boolean retriable() {
        ErrorCode c = errorCode();
        return c != null && c.retriable();
    }

    /** The referenced frame type, or null. */
    public FrameType refFrameType() {
        return refType == 0 ? null : FrameType.of(refType);
    }

    /** {@code NAME: reason}, the form the CLI prints. */
    public String describe() {
        return name() + ": " + (reason.isEmpty() && errorCode() != null ? errorCode().message() : reason);
    }
}
