package dev.danmaku.router.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.danmaku.router.Member;
import dev.danmaku.router.ShardMap;
import dev.danmaku.router.ShardMapJson;
import dev.danmaku.router.store.ClusterStore;
import dev.danmaku.router.store.Outgoing;
import dev.danmaku.router.store.Registration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/**
 * {@code danmaku router status [--json]}: the map and every node in it or registered, with its
 * lease and what its admin API says (two {@code /health} samples about a second apart give the
 * bullet rate).
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show the map and every node in it or registered.",
                "",
                "Per node: state ('registered' if not in the map), weight, address, lease (live, expired N s ago, "
                        + "none), rooms, viewers, bullets/s (two /health samples about 1 s apart) and the rooms it still "
                        + "has to hand over. Unknown values print as '-'. Exits 1 if Redis cannot be reached."})
final class StatusCommand implements Callable<Integer> {
    /** Time between the two /health samples, ms. */
    static final long SAMPLE_INTERVAL_MS = 1_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParentCommand
    RouterCommand router;

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "one JSON object: the map (as stored) and the nodes")
    boolean json;

    /** One node's line. Null fields are unknown. */
    record NodeRow(String id, String state, Double weight, String address, String admin, String lease,
                   Long leaseExpiresInMs, Long pid, String health, Long rooms, Long viewers, Long connections,
                   Double bulletsPerSecond, Integer outgoing, Long syncedVersion, Long nodeMapVersion, String error,
                   List<String> notes) {
    }

    @Override
    public Integer call() throws CommandFailure, InterruptedException {
        ClusterView view;
        ClusterStore store = router.open();
        try {
            view = ClusterView.read(store);
        } catch (RuntimeException e) {
            throw new CommandFailure("reading the cluster from Redis at " + router.redis + ": " + RouterMain.describe(e));
        } finally {
            RouterCommand.close(store);
        }
        List<NodeRow> rows = rows(view, new NodeAdmin(NodeAdmin.DEFAULT_TIMEOUT));
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(json(view, rows));
        } else {
            text(out, view, rows);
        }
        out.flush();
        return RouterMain.EXIT_OK;
    }

    private List<NodeRow> rows(ClusterView view, NodeAdmin admin) throws InterruptedException {
        List<String> ids = view.nodeIds();
        long start = System.nanoTime();
        Map<String, CompletableFuture<NodeHealth>> first = sample(view, ids, admin);
        CompletableFuture.allOf(first.values().toArray(new CompletableFuture<?>[0])).exceptionally(e -> null).join();
        long waitMs = SAMPLE_INTERVAL_MS - (System.nanoTime() - start) / 1_000_000;
        Map<String, CompletableFuture<NodeHealth>> reachable = new LinkedHashMap<>();
        for (Map.Entry<String, CompletableFuture<NodeHealth>> e : first.entrySet()) {
            if (!e.getValue().isCompletedExceptionally()) {
                reachable.put(e.getKey(), e.getValue());
            }
        }
        Map<String, CompletableFuture<NodeHealth>> second = Map.of();
        if (!reachable.isEmpty()) {
            if (waitMs > 0) {
                Thread.sleep(waitMs);
            }
            second = sample(view, new ArrayList<>(reachable.keySet()), admin);
        }
        List<NodeRow> rows = new ArrayList<>();
        for (String id : ids) {
            rows.add(row(view, id, first.get(id), second.get(id)));
        }
        return rows;
    }

    private static Map<String, CompletableFuture<NodeHealth>> sample(ClusterView view, List<String> ids, NodeAdmin admin) {
        Map<String, CompletableFuture<NodeHealth>> out = new LinkedHashMap<>();
        for (String id : ids) {
            String url = view.admin(id);
            out.put(id, url == null ? CompletableFuture.failedFuture(new IOException("no admin URL")) : admin.health(url));
        }
        return out;
    }

    private static NodeRow row(ClusterView view, String id, CompletableFuture<NodeHealth> first,
                               CompletableFuture<NodeHealth> second) throws InterruptedException {
        ShardMap map = view.map();
        Member m = map.member(id);
        Registration reg = view.registrations().get(id);
        List<String> notes = new ArrayList<>();
        NodeHealth h1 = null;
        NodeHealth h2 = null;
        String error = null;
        try {
            h1 = NodeAdmin.await(first);
            if (second != null) {
                h2 = NodeAdmin.await(second);
            }
        } catch (IOException e) {
            if (h1 == null) {
                error = e.getMessage();
            }
        }
        NodeHealth h = h2 != null ? h2 : h1;
        if (m == null) {
            notes.add("not in the map: 'router plan --add " + id + "'");
        }
        if (reg == null) {
            notes.add("not registered");
        }
        if (error != null) {
            notes.add("admin unreachable (" + error + ")");
        } else {
            if (h.status() != null && !h.status().equals("up")) {
                notes.add("health " + h.status());
            }
            if (h.mapVersion() != null && h.mapVersion() != map.version()) {
                notes.add("follows map v" + h.mapVersion());
            }
            if ("unreachable".equals(h.redis())) {
                notes.add("its Redis unreachable");
            }
        }
        Long expiry = view.leases().expiry().get(id);
        Outgoing out = view.outgoing().get(id);
        return new NodeRow(id, m == null ? "registered" : m.state().label(), m == null ? null : m.weight(),
                view.address(id), view.admin(id), view.leaseText(id),
                expiry == null ? null : expiry - view.leases().nowMs(), reg == null ? null : reg.pid(),
                h == null ? null : h.status(), h == null ? null : h.rooms(), h == null ? null : h.viewers(),
                h == null ? null : h.connections(), h2 == null ? null : h2.bulletsPerSecond(h1),
                out == null ? null : out.rooms().size(), out == null ? null : out.syncedVersion(),
                h == null ? null : h.mapVersion(), error, List.copyOf(notes));
    }

    private void text(PrintWriter out, ClusterView view, List<NodeRow> rows) {
        ShardMap map = view.map();
        out.println("cluster " + router.cluster + " at " + router.redis);
        if (map.version() == 0) {
            out.println("no map yet (version 0): 'danmaku router plan --add NODE' then 'router apply' makes the first");
        } else {
            out.println("map version " + map.version() + ", move window " + map.moveWindowMs() + " ms"
                    + (map.updatedAtMs() > 0 ? ", updated " + Instant.ofEpochMilli(map.updatedAtMs()) : "")
                    + (map.note().isEmpty() ? "" : " (" + map.note() + ")")
                    + (map.overrides().isEmpty() ? "" : ", " + map.overrides().size() + " room overrides"));
        }
        if (rows.isEmpty()) {
            out.println("no node in the map and none registered (start nodes with 'danmaku node --cluster URI')");
            return;
        }
        TextTable t = new TextTable("NODE", "STATE", "WEIGHT", "ADDRESS", "LEASE", "ROOMS", "VIEWERS", "BULLETS/S",
                "OUTGOING", "NOTE");
        for (NodeRow r : rows) {
            t.row(r.id(), r.state(), r.weight() == null ? null : TextTable.weight(r.weight()), r.address(), r.lease(),
                    r.rooms(), r.viewers(),
                    r.bulletsPerSecond() == null ? null : String.format(Locale.ROOT, "%.1f", r.bulletsPerSecond()),
                    r.outgoing(), String.join("; ", r.notes()));
        }
        t.print(out);
    }

    private String json(ClusterView view, List<NodeRow> rows) {
        ObjectNode root = JSON.createObjectNode();
        root.put("cluster", router.cluster);
        root.put("redis", router.redis);
        root.put("version", view.map().version());
        root.put("moveWindowMs", view.map().moveWindowMs());
        try {
            root.set("map", JSON.readTree(ShardMapJson.write(view.map())));
            ArrayNode nodes = root.putArray("nodes");
            for (NodeRow r : rows) {
                ObjectNode n = JSON.valueToTree(r);
                nodes.add(n);
            }
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
