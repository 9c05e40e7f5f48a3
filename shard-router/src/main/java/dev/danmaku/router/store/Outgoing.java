package dev.danmaku.router.store;

import java.util.Set;

/**
 * The rooms one node still holds but no longer owns (it hands them over, spread over the move
 * window), and the map version up to which that set is complete.
 *
 * @param node          the holder
 * @param syncedVersion the set lists every such room for every map up to this version
 * @param rooms         room ids (u64)
 */
public record Outgoing(String node, long syncedVersion, Set<Long> rooms) {
}
