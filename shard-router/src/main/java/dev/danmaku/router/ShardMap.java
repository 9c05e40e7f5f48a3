package dev.danmaku.router;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The cluster's versioned shard map: which nodes exist, their addresses, weights and states, and
 * per-room overrides. A room's owner is its override's node if it has one (and that node is not
 * {@link NodeState#GONE}), else the rendezvous winner among the {@link NodeState#ACTIVE} nodes
 * ({@link Rendezvous}). Every change makes a new map with a higher {@link #version()}; the store
 * publishes it by compare-and-set on the version (see {@code store.ClusterStore}).
 *
 * <p>Immutable and thread-safe; lookups allocate nothing (the active nodes' hashing inputs are
 * computed once, at construction).
 */
public final class ShardMap {
    /** Default {@link #moveWindowMs()}: 10 s. */
    public static final long DEFAULT_MOVE_WINDOW_MS = 10_000;
    /** Longest move window, ms (1 hour). */
    public static final long MAX_MOVE_WINDOW_MS = 3_600_000;
    /** Most overrides one map holds. */
    public static final int MAX_OVERRIDES = 100_000;

    /** The map before any node joined. */
    public static final ShardMap EMPTY = new ShardMap(0, List.of(), Map.of(), DEFAULT_MOVE_WINDOW_MS, 0, "");

    private final long version;
    private final List<Member> members;
    private final Map<Long, String> overrides;
    private final long moveWindowMs;
    private final long updatedAtMs;
    private final String note;
    private final Candidates candidates;

    /**
     * @param version      strictly increasing, &gt;= 1 for a stored map (0 = the empty map before any)
     * @param members      every node (sorted by id here)
     * @param overrides    room id (u64) to node id; rooms pinned regardless of the hash
     * @param moveWindowMs how long the nodes spread the room moves of one map change over, ms
     * @param updatedAtMs  when this version was made (Unix ms), for humans
     * @param note         who made it and why, for humans
     * @throws IllegalArgumentException with a one-line reason for an invalid map
     */
    public ShardMap(long version, List<Member> members, Map<Long, String> overrides, long moveWindowMs,
                    long updatedAtMs, String note) {
        if (version < 0) {
            throw new IllegalArgumentException("version must be >= 0, got " + version);
        }
        List<Member> sorted = new ArrayList<>(members);
        sorted.sort(Comparator.comparing(Member::id));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).id().equals(sorted.get(i - 1).id())) {
                throw new IllegalArgumentException("node " + sorted.get(i).id() + " listed twice");
            }
        }
        this.members = List.copyOf(sorted);
        if (overrides.size() > MAX_OVERRIDES) {
            throw new IllegalArgumentException("more than " + MAX_OVERRIDES + " overrides");
        }
        TreeMap<Long, String> o = new TreeMap<>(Long::compareUnsigned);
        for (Map.Entry<Long, String> e : overrides.entrySet()) {
            if (e.getKey() == 0) {
                throw new IllegalArgumentException("override for room 0");
            }
            if (sorted.stream().noneMatch(m -> m.id().equals(e.getValue()))) {
                throw new IllegalArgumentException("override of room " + Long.toUnsignedString(e.getKey())
                        + " names unknown node " + e.getValue());
            }
            o.put(e.getKey(), e.getValue());
        }
        this.overrides = Collections.unmodifiableMap(new LinkedHashMap<>(o));
        if (moveWindowMs < 0 || moveWindowMs > MAX_MOVE_WINDOW_MS) {
            throw new IllegalArgumentException("move window must be 0-" + MAX_MOVE_WINDOW_MS + " ms, got " + moveWindowMs);
        }
        this.version = version;
        this.moveWindowMs = moveWindowMs;
        this.updatedAtMs = updatedAtMs;
        this.note = note == null ? "" : note;
        this.candidates = new Candidates(this.members);
    }

    public long version() {
        return version;
    }

    /** Every node, sorted by id. */
    public List<Member> members() {
        return members;
    }

    /** Room id (u64) to node id, in unsigned room order. */
    public Map<Long, String> overrides() {
        return overrides;
    }

    public long moveWindowMs() {
        return moveWindowMs;
    }

    public long updatedAtMs() {
        return updatedAtMs;
    }

    public String note() {
        return note;
    }

    private Candidates candidates() {
        return candidates;
    }

    /** The node that owns {@code room}, or null if no node can (no active node and no override). */
    public Member owner(long room) {
        Candidates c = candidates();
        if (!overrides.isEmpty()) {
            String pinned = overrides.get(room);
            if (pinned != null) {
                Member m = member(pinned);
                if (m != null && m.state() != NodeState.GONE) {
                    return m;
                }
            }
        }
        int i = Rendezvous.pick(room, c.seeds, c.weights, c.count);
        return i < 0 ? null : c.members[i];
    }

    /** The owner's id, or null. */
    public String ownerId(long room) {
        Member m = owner(room);
        return m == null ? null : m.id();
    }

    /** The member with this id, or null. */
    public Member member(String id) {
        for (Member m : members) {
            if (m.id().equals(id)) {
                return m;
            }
        }
        return null;
    }

    /** Members in {@code state}. */
    public List<Member> members(NodeState state) {
        return members.stream().filter(m -> m.state() == state).toList();
    }

    /** A copy with {@code m} added, or replacing the member with its id; version unchanged. */
    public ShardMap with(Member m) {
        List<Member> next = new ArrayList<>(members.size() + 1);
        for (Member x : members) {
            if (!x.id().equals(m.id())) {
                next.add(x);
            }
        }
        next.add(m);
        return new ShardMap(version, next, overrides, moveWindowMs, updatedAtMs, note);
    }

    /** A copy without the member {@code id} (and its overrides); version unchanged. */
    public ShardMap without(String id) {
        Map<Long, String> o = new LinkedHashMap<>(overrides);
        o.values().removeIf(id::equals);
        return new ShardMap(version, members.stream().filter(m -> !m.id().equals(id)).toList(), o, moveWindowMs,
                updatedAtMs, note);
    }

    /** A copy with the room overrides replaced. */
    public ShardMap withOverrides(Map<Long, String> o) {
        return new ShardMap(version, members, o, moveWindowMs, updatedAtMs, note);
    }

    public ShardMap withMoveWindowMs(long ms) {
        return new ShardMap(version, members, overrides, ms, updatedAtMs, note);
    }

    /** The next version of this map: {@code version + 1}, stamped with a time and a note. */
    public ShardMap next(long nowMs, String why) {
        return new ShardMap(version + 1, members, overrides, moveWindowMs, nowMs, why);
    }

    /** The same map at another version (the store sets the version it writes). */
    public ShardMap atVersion(long v) {
        return new ShardMap(v, members, overrides, moveWindowMs, updatedAtMs, note);
    }

    /** True if both maps give every room the same owner (versions and notes aside). */
    public boolean sameOwnership(ShardMap other) {
        if (!overrides.equals(other.overrides)) {
            return false;
        }
        Candidates a = candidates();
        Candidates b = other.candidates();
        if (a.count != b.count) {
            return false;
        }
        for (int i = 0; i < a.count; i++) {
            if (!a.members[i].id().equals(b.members[i].id()) || a.weights[i] != b.weights[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ShardMap m && m.version == version && m.members.equals(members)
                && m.overrides.equals(overrides) && m.moveWindowMs == moveWindowMs && m.updatedAtMs == updatedAtMs
                && m.note.equals(note);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(version, members, overrides, moveWindowMs, updatedAtMs, note);
    }

    @Override
    public String toString() {
        return "ShardMap{v" + version + ", " + members.size() + " nodes, " + overrides.size() + " overrides}";
    }

    /** The active members' hashing inputs. */
    private static final class Candidates {
        final Member[] members;
        final long[] seeds;
        final double[] weights;
        final int count;

        Candidates(List<Member> all) {
            List<Member> active = all.stream().filter(m -> m.state() == NodeState.ACTIVE).toList();
            count = active.size();
            members = active.toArray(new Member[0]);
            seeds = new long[count];
            weights = new double[count];
            for (int i = 0; i < count; i++) {
                seeds[i] = Rendezvous.seed(members[i].id());
                weights[i] = members[i].weight();
            }
        }
    }
}
