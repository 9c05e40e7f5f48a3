package dev.danmaku.router.plan;

/**
 * One room that changes owner.
 *
 * @param room    room id (u64)
 * @param from    the node that holds it now
 * @param to      its owner under the target map, or null if no node can own it
 * @param viewers viewers who will be sent MOVED
 * @param bytes   state to hand over, bytes
 */
public record Move(long room, String from, String to, int viewers, long bytes) {
}
