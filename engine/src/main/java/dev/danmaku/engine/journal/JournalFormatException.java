package dev.danmaku.engine.journal;

/**
 * A journal document that does not follow {@link JournalLayout}: a bug in a writer or a damaged file.
 * Never thrown for a torn final document (Chronicle never hands an incomplete document to a reader).
 */
public final class JournalFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long documentIndex;
    private final int offset;

    public JournalFormatException(final String message, final long documentIndex, final int offset) {
        super(message + " (document index 0x" + Long.toHexString(documentIndex) + ", offset " + offset + ")");
        this.documentIndex = documentIndex;
        this.offset = offset;
    }

    /** Chronicle index of the bad document. */
    public long documentIndex() {
        return documentIndex;
    }

    /** Byte offset of the bad record inside the document. */
    public int offset() {
        return offset;
    }
}
