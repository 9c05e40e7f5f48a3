package dev.danmaku.codec;

/**
 * Every error the protocol can report, with its stable numeric code (the u16 in an ERROR frame),
 * whether a client may retry the same request later, and a short default reason text.
 *
 * <p>Ranges: 100-199 frame/codec errors (the peer sent bytes that are not a valid frame),
 * 200-299 admission rejects (a valid bullet the node would not accept), 300-399 rooms,
 * 400-499 session and connection, 500 internal. Codes are never reused; docs/protocol.md is the
 * normative list and a test keeps the two in step.
 */
public enum ErrorCode {
    BAD_MAGIC(100, false, "bad magic (expected 0xABCD)"),
    BAD_VERSION(101, false, "unsupported protocol version"),
    UNKNOWN_TYPE(102, false, "unknown frame type"),
    TRUNCATED(103, false, "frame shorter than its fixed fields"),
    LENGTH_OUT_OF_BOUNDS(104, false, "length prefix runs past the end of the frame"),
    TRAILING_BYTES(105, false, "bytes after the last field"),
    INVALID_UTF8(106, false, "string is not valid UTF-8"),
    FIELD_TOO_LONG(107, false, "string field longer than its limit"),
    FRAME_TOO_LARGE(108, false, "frame larger than the maximum frame size"),
    INFLATE_LIMIT(109, false, "compressed payload inflates past its limit"),
    BAD_COMPRESSION(110, false, "compressed payload is corrupt"),
    BAD_COUNT(111, false, "entry count out of range or not matching the payload"),
    INVALID_FIELD(112, false, "field value out of range"),
    UNEXPECTED_TYPE(113, false, "frame type not allowed in this direction or state"),

    BUSY(200, true, "node busy, retry later"),
    RATE_LIMITED(201, true, "rate limit exceeded"),
    DUPLICATE(202, false, "duplicate bullet"),
    BANNED(203, false, "user or address is banned"),
    SENSITIVE_WORD(204, false, "content contains a forbidden word"),
    LEVEL_RESTRICTED(205, false, "user level may not post links or contacts"),
    TIMESTAMP_SKEW(207, false, "timestamp too far from server time"),

    ROOM_NOT_FOUND(300, false, "no such room"),
    TOO_MANY_ROOMS(301, true, "room limit reached"),
    ROOM_MOVING(302, true, "room is moving to another node, retry"),
    CLUSTER_UNAVAILABLE(303, true, "cluster map unavailable: this node takes no new rooms"),

    UNAUTHENTICATED(400, false, "authentication required"),
    AUTH_FAILED(401, false, "token rejected"),
    TOKEN_EXPIRED(402, false, "token expired"),
    TOO_MANY_CONNECTIONS(403, true, "too many connections"),
    SLOW_CONSUMER(404, true, "viewer too slow, disconnected"),
    IDLE_TIMEOUT(405, true, "idle timeout"),
    SHUTTING_DOWN(406, true, "node shutting down"),

    INTERNAL(500, true, "internal error");

    private static final ErrorCode[] BY_CODE = new ErrorCode[512];

    static {
        for (ErrorCode e : values()) {
            BY_CODE[e.code] = e;
        }
    }

    private final int code;
    private final boolean retriable;
    private final String message;

    ErrorCode(int code, boolean retriable, String message) {
        this.code = code;
        this.retriable = retriable;
        this.message = message;
    }

    /** The stable numeric code carried on the wire (u16). */
    public int code() {
        return code;
    }

    /** True when the same request may succeed later (back off, honour retry-after). */
    public boolean retriable() {
        return retriable;
    }

    /** The default one-line reason text. */
    public String message() {
        return message;
    }

    /** The error with this code, or null if the code is not defined. Allocation-free. */
    public static ErrorCode of(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
