package dev.danmaku.codec;

/**
 * The codec's own error type, for callers off the hot path that prefer an exception to a status
 * code (tools, tests). Carries the {@link ErrorCode} a decoder returned. The hot path uses the
 * status codes directly and never constructs one.
 */
public final class CodecException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient ErrorCode code;

    public CodecException(ErrorCode code) {
        this(code, code.message());
    }

    public CodecException(ErrorCode code, String detail) {
        super(code.code() + " " + code.name() + ": " + detail);
        this.code = code;
    }

    /** Throws a CodecException for a non-OK decoder status; returns normally for {@link Protocol#OK}. */
    public static void check(int status) {
        if (status != Protocol.OK) {
            ErrorCode code = ErrorCode.of(status);
            throw new CodecException(code == null ? ErrorCode.INTERNAL : code);
        }
    }

    public ErrorCode code() {
        return code;
    }
}
