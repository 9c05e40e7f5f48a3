package dev.danmaku.router.cli;

import dev.danmaku.router.Member;
import dev.danmaku.router.NodeState;
import dev.danmaku.router.ShardMap;
import dev.danmaku.router.plan.Plan;
import dev.danmaku.router.plan.Planner;
import dev.danmaku.router.plan.RoomLoad;
import dev.danmaku.router.store.Registration;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * Makes a plan from the cluster as it is now: the one requested change applied to the map (through
 * {@link Planner}), and the rooms every live node reports on its admin API. Used by
 * {@code router plan} and {@code router drain}. Single-threaded (one command run).
 */
final class PlanMaker {
    /** What the operator asked for. Exactly one of the kinds. */
    enum Kind { ADD, REMOVE, WEIGHT, DRAIN }

    /**
     * One change of the map.
     *
     * @param kind   what
     * @param node   a node id, or for {@link Kind#ADD} a node id or WebSocket address
     * @param weight the new weight ({@link Kind#WEIGHT})
     */
    record Change(Kind kind, String node, double weight) {
    }

    /** The plan, the map it was made from, and the ideal fraction of rooms such a change moves. */
    record Result(Plan plan, ShardMap from, double idealFraction, List<String> warnings) {
    }

    private final ClusterView view;
    private final NodeAdmin admin;

    PlanMaker(ClusterView view, NodeAdmin admin) {
        this.view = view;
        this.admin = admin;
    }

    /**
     * @param windowMs the target map's move window, or null to keep the current one
     * @throws CommandFailure for a change the map does not allow, or a node whose rooms are unknown
     */
    Result make(Change change, Long windowMs, boolean ignoreUnreachable, long nowMs)
            throws CommandFailure, InterruptedException {
        ShardMap map = view.map();
        ShardMap target;
        String description;
        try {
            switch (change.kind()) {
                case ADD -> {
                    Member node = registeredMember(change.node());
                    target = Planner.add(map, node);
                    description = "add " + node.id() + " (" + node.address() + ")";
                }
                case REMOVE -> {
                    target = Planner.remove(map, change.node());
                    description = "remove " + change.node();
                }
                case WEIGHT -> {
                    target = Planner.weight(map, change.node(), change.weight());
                    description = "weight " + change.node() + "=" + TextTable.weight(change.weight());
                }
                case DRAIN -> {
                    target = Planner.drain(map, change.node());
                    description = "drain " + change.node();
                }
                default -> throw new IllegalStateException();
            }
        } catch (IllegalArgumentException e) {
            throw new CommandFailure(e.getMessage());
        }
        if (windowMs != null) {
            target = target.withMoveWindowMs(windowMs);
            description += ", move window " + windowMs + " ms";
        }
        if (target.members().equals(map.members()) && target.overrides().equals(map.overrides())
                && target.moveWindowMs() == map.moveWindowMs()) {
            throw new CommandFailure("nothing to change: map version " + map.version() + " already has that (" + description
                    + ")");
        }
        target = new ShardMap(map.version() + 1, target.members(), target.overrides(), target.moveWindowMs(), nowMs,
                "router: " + description);
        List<String> warnings = new ArrayList<>();
        List<RoomLoad> rooms = rooms(ignoreUnreachable, warnings);
        Plan plan = Planner.plan(map, target, description, rooms);
        return new Result(plan, map, ideal(map, plan), List.copyOf(warnings));
    }

    /** The registered node {@code idOrAddress} names, as an active member; it must hold a live lease. */
    private Member registeredMember(String idOrAddress) throws CommandFailure {
        Map<String, Registration> regs = view.registrations();
        Registration reg;
        if (idOrAddress.contains("://")) {
            reg = byAddress(idOrAddress);
            if (reg == null) {
                throw new CommandFailure("no registered node has address " + idOrAddress + " in cluster "
                        + view.clusterName() + registered());
            }
        } else {
            reg = regs.get(idOrAddress);
            if (reg == null) {
                throw new CommandFailure("no node '" + idOrAddress + "' is registered in cluster " + view.clusterName()
                        + registered());
            }
        }
        if (!view.leases().live(reg.id())) {
            String lease = view.leaseText(reg.id());
            throw new CommandFailure("node " + reg.id() + " (" + reg.address() + ") is registered but "
                    + (lease.equals("none") ? "holds no lease" : "its lease " + lease) + ": is it running?");
        }
        Member current = view.map().member(reg.id());
        Member node;
        try {
            node = new Member(reg.id(), reg.address(), reg.admin(), current == null ? 1 : current.weight(), NodeState.ACTIVE);
        } catch (IllegalArgumentException e) {
            throw new CommandFailure("node " + reg.id() + " registered unusable addresses: " + e.getMessage());
        }
        if (node.equals(current)) {
            throw new CommandFailure("nothing to change: node " + reg.id() + " is already active in map version "
                    + view.map().version() + " with this address");
        }
        return node;
    }

    /** The registration whose address is {@code url} (trailing slash aside), else the only one on its host and port. */
    private Registration byAddress(String url) {
        String want = stripSlash(url);
        Registration sameHostPort = null;
        int hostPortMatches = 0;
        for (Registration r : view.registrations().values()) {
            if (stripSlash(r.address()).equalsIgnoreCase(want)) {
                return r;
            }
            if (hostPort(r.address()) != null && hostPort(r.address()).equals(hostPort(url))) {
                sameHostPort = r;
                hostPortMatches++;
            }
        }
        return hostPortMatches == 1 ? sameHostPort : null;
    }

    private String registered() {
        if (view.registrations().isEmpty()) {
            return " (no node is registered)";
        }
        List<String> list = new ArrayList<>();
        for (Registration r : view.registrations().values()) {
            list.add(r.id() + " " + r.address());
        }
        return " (registered: " + String.join(", ", list) + ")";
    }

    private static String hostPort(String url) {
        try {
            URI u = new URI(url);
            return u.getHost() == null ? null : u.getHost().toLowerCase(java.util.Locale.ROOT) + ":" + u.getPort();
        } catch (URISyntaxException e) {
            return null;
        }
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    /**
     * Every room some live node holds, from each live node's {@code /rooms}, asked concurrently. A room
     * two nodes list (mid-handover) counts once, for its owner under the current map if that is one of
     * them.
     */
    private List<RoomLoad> rooms(boolean ignoreUnreachable, List<String> warnings) throws CommandFailure, InterruptedException {
        Map<String, CompletableFuture<List<RoomReport>>> asked = new LinkedHashMap<>();
        for (String id : view.registrations().keySet()) {
            if (view.leases().live(id)) {
                asked.put(id, admin.rooms(view.admin(id)));
            }
        }
        for (Member m : view.map().members()) {
            if (!asked.containsKey(m.id()) && m.state() != NodeState.GONE) {
                warnings.add(m.id() + " is in the map (" + m.state().label() + ") but holds no live lease: its rooms, if any, "
                        + "are not in this plan");
            }
        }
        Map<Long, RoomLoad> rooms = new HashMap<>();
        Set<String> unreachable = new TreeSet<>();
        for (Map.Entry<String, CompletableFuture<List<RoomReport>>> e : asked.entrySet()) {
            String id = e.getKey();
            List<RoomReport> list;
            try {
                list = NodeAdmin.await(e.getValue());
            } catch (IOException ex) {
                String what = id + "'s admin " + view.admin(id) + " did not answer /rooms (" + ex.getMessage() + ")";
                if (!ignoreUnreachable) {
                    throw new CommandFailure(what + "; --ignore-unreachable plans without its rooms");
                }
                unreachable.add(id);
                warnings.add(what + ": its rooms are not in this plan");
                continue;
            }
            for (RoomReport r : list) {
                RoomLoad load = new RoomLoad(r.room(), id, r.viewers(), r.bytes());
                RoomLoad prev = rooms.putIfAbsent(r.room(), load);
                if (prev != null && id.equals(view.map().ownerId(r.room()))) {
                    rooms.put(r.room(), load);
                }
            }
        }
        return new ArrayList<>(rooms.values());
    }

    /**
     * The least fraction of rooms any map change with these weights must move: what the nodes whose
     * share grows gain (adding 1 of N equal nodes: 1/N; draining a node: its share).
     */
    static double ideal(ShardMap from, Plan plan) {
        Map<String, Double> before = shares(from);
        double gained = 0;
        for (Map.Entry<String, Double> e : plan.share().entrySet()) {
            gained += Math.max(0, e.getValue() - before.getOrDefault(e.getKey(), 0.0));
        }
        return Math.min(1, gained);
    }

    private static Map<String, Double> shares(ShardMap map) {
        Map<String, Double> out = new TreeMap<>();
        double total = map.members(NodeState.ACTIVE).stream().mapToDouble(Member::weight).sum();
        for (Member m : map.members(NodeState.ACTIVE)) {
            out.put(m.id(), m.weight() / total);
        }
        return out;
    }

    /** The plan for humans: the change, versions, what moves, and rooms per node before and after. */
    static void print(PrintWriter out, Result r) {
        Plan plan = r.plan();
        ShardMap target = plan.target();
        out.println("change: " + plan.description());
        out.println("map version " + plan.fromVersion() + " -> " + target.version() + ", move window "
                + target.moveWindowMs() + " ms");
        int moved = plan.moves().size();
        out.println("rooms moving: " + moved + " of " + plan.rooms()
                + (plan.rooms() == 0 ? "" : " (" + TextTable.percent((double) moved / plan.rooms()) + "; ideal "
                + TextTable.percent(r.idealFraction()) + ")"));
        out.println("to hand over: " + plan.viewersMoved() + " viewers, " + TextTable.bytes(plan.bytesMoved()));
        TextTable t = new TextTable("NODE", "STATE", "WEIGHT", "ROOMS NOW", "ROOMS AFTER", "EXPECTED SHARE");
        Set<String> ids = new TreeSet<>(plan.roomsBefore().keySet());
        for (Member m : target.members()) {
            ids.add(m.id());
        }
        for (String id : ids) {
            Member m = target.member(id);
            t.row(id, m == null ? "removed" : m.state().label(), m == null ? null : TextTable.weight(m.weight()),
                    plan.roomsBefore().getOrDefault(id, 0), plan.roomsAfter().getOrDefault(id, 0),
                    TextTable.percent(plan.share().getOrDefault(id, 0.0)));
        }
        t.print(out);
    }

    /** Writes the plan file. */
    static void write(Path file, PlanJson.Document doc) throws CommandFailure {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(file, PlanJson.write(doc));
        } catch (IOException e) {
            throw new CommandFailure("cannot write the plan to " + file + ": " + RouterMain.message(e));
        }
    }

    /** {@code plan-v<from>.json} in the current directory. */
    static Path defaultFile(long fromVersion) {
        return Path.of("plan-v" + fromVersion + ".json");
    }
}
