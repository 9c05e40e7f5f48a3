package dev.danmaku.router.plan;

import dev.danmaku.router.ShardMap;

import java.util.List;
import java.util.Map;

/**
 * What a map change does: the target map, made from the map at {@link #fromVersion}, and the rooms
 * that move. Applying it is one compare-and-set from {@code fromVersion}; a plan made from an older
 * map is refused (stale), so two operators cannot overwrite each other.
 *
 * @param fromVersion   the version the plan was made from
 * @param target        the map to install (its version is {@code fromVersion + 1})
 * @param description   what the operator asked for, e.g. {@code add n4}
 * @param rooms         rooms known to the planner (held by some node)
 * @param moves         the rooms whose owner changes, in room order
 * @param share         expected fraction of rooms per node under the target map (by weight)
 * @param roomsBefore   rooms per node now
 * @param roomsAfter    rooms per node under the target map
 */
public record Plan(long fromVersion, ShardMap target, String description, int rooms, List<Move> moves,
                   Map<String, Double> share, Map<String, Integer> roomsBefore, Map<String, Integer> roomsAfter) {
    /** Viewers that will reconnect. */
    public long viewersMoved() {
        return moves.stream().mapToLong(Move::viewers).sum();
    }

    /** State handed over, bytes. */
    public long bytesMoved() {
        return moves.stream().mapToLong(Move::bytes).sum();
    }
}
