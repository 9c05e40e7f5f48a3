package dev.danmaku.router.cli;

import dev.danmaku.router.Member;
import dev.danmaku.router.ShardMap;
import dev.danmaku.router.store.ClusterStore;
import dev.danmaku.router.store.Outgoing;
import dev.danmaku.router.store.Registration;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The cluster's state in Redis read at one moment: the map, the registrations, the leases (with
 * Redis's clock) and the outgoing sets, of the cluster {@code clusterName}. Immutable.
 */
record ClusterView(String clusterName, ShardMap map, Map<String, Registration> registrations, ClusterStore.Leases leases,
                   Map<String, Outgoing> outgoing) {

    /** Reads everything (a few Redis round trips; not one atomic snapshot). */
    static ClusterView read(ClusterStore store) {
        return new ClusterView(store.cluster(), store.readMap(), store.registrations(), store.leases(), store.outgoing());
    }

    /** Map members (by id), then registered nodes that are not in the map (by id). */
    List<String> nodeIds() {
        List<String> ids = new ArrayList<>();
        for (Member m : map.members()) {
            ids.add(m.id());
        }
        for (String id : registrations.keySet()) {
            if (map.member(id) == null) {
                ids.add(id);
            }
        }
        return ids;
    }

    boolean live(String id) {
        return registrations.containsKey(id) && leases.live(id);
    }

    /** The node's admin base URL: what it registered, else what the map says; null if neither. */
    String admin(String id) {
        Registration r = registrations.get(id);
        if (r != null) {
            return r.admin();
        }
        Member m = map.member(id);
        return m == null ? null : m.admin();
    }

    /** The node's WebSocket address: what the map says, else what it registered. */
    String address(String id) {
        Member m = map.member(id);
        if (m != null) {
            return m.address();
        }
        Registration r = registrations.get(id);
        return r == null ? null : r.address();
    }

    /** {@code live}, {@code expired N s ago} or {@code none}. */
    String leaseText(String id) {
        Long e = leases.expiry().get(id);
        if (e == null) {
            return "none";
        }
        long left = e - leases.nowMs();
        return left > 0 ? "live" : "expired " + (-left / 1000) + " s ago";
    }
}
