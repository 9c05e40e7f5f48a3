package dev.danmaku.codec;

/**
 * The frame types of protocol version 1 (the type byte at offset 3 of every frame).
 *
 * <p>0x01-0x07 are sent by clients, 0x10-0x17 by nodes; HEARTBEAT (0x02) travels both ways.
 */
public enum FrameType {
    BULLET(0x01, Direction.CLIENT),
    HEARTBEAT(0x02, Direction.BOTH),
    CREATE_ROOM(0x03, Direction.CLIENT),
    CHECK_ROOM(0x04, Direction.CLIENT),
    JOIN(0x05, Direction.CLIENT),
    LEAVE(0x06, Direction.CLIENT),
    AUTH(0x07, Direction.CLIENT),
    ACK(0x10, Direction.SERVER),
    ERROR(0x11, Direction.SERVER),
    BATCH(0x12, Direction.SERVER),
    REDIRECT(0x13, Direction.SERVER),
    ROOM_INFO(0x14, Direction.SERVER),
    RANKING(0x15, Direction.SERVER),
    JOINED(0x16, Direction.SERVER),
    AUTH_OK(0x17, Direction.SERVER);

    /** Who may send a frame type. */
    public enum Direction { CLIENT, SERVER, BOTH }

    private static final FrameType[] BY_CODE = new FrameType[256];

    static {
        for (FrameType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;
    private final Direction direction;

    FrameType(int code, Direction direction) {
        this.code = code;
        this.direction = direction;
    }

    /** The type byte. */
    public int code() {
        return code;
    }

    /** Who may send this type. */
    public Direction direction() {
        return direction;
    }

    /** True if a client may send this type to a node. */
    public boolean fromClient() {
        return direction != Direction.SERVER;
    }

    /** True if a node may send this type to a client. */
    public boolean fromServer() {
        return direction != Direction.CLIENT;
    }

    /** The type with this code (0-255), or null. Allocation-free. */
    public static FrameType of(int code) {
        return BY_CODE[code & 0xFF];
    }
}
