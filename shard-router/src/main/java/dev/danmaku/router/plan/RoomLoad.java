package dev.danmaku.router.plan;

/**
 * One room as a node reports it, for planning: who holds it and what moving it costs.
 *
 * @param room    room id (u64)
 * @param node    the node that holds it now
 * @param viewers joined viewers (each reconnects once when the room moves)
 * @param bytes   state to hand over: recent history plus leaderboard, bytes (estimate)
 */
public record RoomLoad(long room, String node, int viewers, long bytes) {
}
