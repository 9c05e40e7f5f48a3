package dev.danmaku.router;

import java.util.Locale;

/**
 * Where a node stands in the shard map. Only {@link #ACTIVE} nodes own rooms by hash; a room can
 * still be pinned to a {@link #JOINING} or {@link #DRAINING} node by an override.
 */
public enum NodeState {
    /** Registered and in the map, owns no rooms by hash yet (an operator's plan makes it active). */
    JOINING,
    /** Owns its rendezvous share of the rooms. */
    ACTIVE,
    /** Owns nothing by hash: its rooms move to the others, then it can be removed. */
    DRAINING,
    /** Dead (its lease expired) or removed: owns nothing; its rooms were taken over. */
    GONE;

    /** The lower-case name used in the map's JSON and in the CLI. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@link #label()} (case-insensitive); throws {@link IllegalArgumentException} for anything else. */
    public static NodeState parse(String s) {
        for (NodeState v : values()) {
            if (v.name().equalsIgnoreCase(s)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown node state '" + s + "' (joining, active, draining, gone)");
    }
}
