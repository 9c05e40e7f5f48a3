package dev.danmaku.tools.client;

/**
 * ROOM_INFO, the answer to CREATE_ROOM and CHECK_ROOM.
 *
 * @param owner the owning node's URL, empty when it is the node that answered
 */
public record RoomInfo(long timestamp, long room, boolean exists, boolean created, boolean local, long viewers,
                       long epoch, long lastSeq, String owner) {
}
