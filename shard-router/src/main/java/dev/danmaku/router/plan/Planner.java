package dev.danmaku.router.plan;

import dev.danmaku.router.Member;
import dev.danmaku.router.NodeState;
import dev.danmaku.router.ShardMap;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns a requested change of the shard map into a {@link Plan}: the target map and the rooms that
 * move. Deterministic: the same map, request and rooms give the same plan. Stateless.
 */
public final class Planner {
    private Planner() {
    }

    /** Adds {@code node} as an active member (or re-activates it with its new address). */
    public static ShardMap add(ShardMap map, Member node) {
        return map.with(node.withState(NodeState.ACTIVE));
    }

    /**
     * Removes {@code id} from the map: it owns nothing afterwards and hands every room it holds to
     * the owners the rest of the map gives them.
     *
     * @throws IllegalArgumentException if there is no such node, or it is the last active one
     */
    public static ShardMap remove(ShardMap map, String id) {
        requireMember(map, id);
        ShardMap next = map.without(id);
        requireActive(next, "removing " + id);
        return next;
    }

    /** Sets {@code id} draining: it stays in the map but owns no room by hash (its rooms move away). */
    public static ShardMap drain(ShardMap map, String id) {
        Member m = requireMember(map, id);
        ShardMap next = map.with(m.withState(NodeState.DRAINING));
        requireActive(next, "draining " + id);
        return next;
    }

    /** Changes {@code id}'s weight. */
    public static ShardMap weight(ShardMap map, String id, double weight) {
        return map.with(requireMember(map, id).withWeight(weight));
    }

    private static Member requireMember(ShardMap map, String id) {
        Member m = map.member(id);
        if (m == null) {
            throw new IllegalArgumentException("no node '" + id + "' in the map (version " + map.version() + ")");
        }
        return m;
    }

    private static void requireActive(ShardMap map, String what) {
        if (map.members(NodeState.ACTIVE).isEmpty()) {
            throw new IllegalArgumentException(what + " would leave no active node");
        }
    }

    /**
     * The plan that takes {@code from} to {@code target} for these rooms.
     *
     * @param rooms every room some node holds now (from the nodes' admin API)
     */
    public static Plan plan(ShardMap from, ShardMap target, String description, Collection<RoomLoad> rooms) {
        ShardMap next = target.atVersion(from.version() + 1);
        List<RoomLoad> sorted = new ArrayList<>(rooms);
        sorted.sort(Comparator.comparing(RoomLoad::room, Long::compareUnsigned));
        List<Move> moves = new ArrayList<>();
        Map<String, Integer> before = new TreeMap<>();
        Map<String, Integer> after = new TreeMap<>();
        for (Member m : next.members()) {
            before.put(m.id(), 0);
            after.put(m.id(), 0);
        }
        for (RoomLoad r : sorted) {
            before.merge(r.node(), 1, Integer::sum);
            String to = next.ownerId(r.room());
            if (to != null) {
                after.merge(to, 1, Integer::sum);
            }
            if (!r.node().equals(to)) {
                moves.add(new Move(r.room(), r.node(), to, r.viewers(), r.bytes()));
            }
        }
        Map<String, Double> share = new TreeMap<>();
        double total = next.members(NodeState.ACTIVE).stream().mapToDouble(Member::weight).sum();
        for (Member m : next.members()) {
            share.put(m.id(), m.state() == NodeState.ACTIVE && total > 0 ? m.weight() / total : 0.0);
        }
        return new Plan(from.version(), next, description, sorted.size(), List.copyOf(moves), share, before, after);
    }
}
