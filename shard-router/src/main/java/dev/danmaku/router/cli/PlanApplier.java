package dev.danmaku.router.cli;

import dev.danmaku.router.Member;
import dev.danmaku.router.RoomIds;
import dev.danmaku.router.ShardMap;
import dev.danmaku.router.plan.Move;
import dev.danmaku.router.plan.Plan;
import dev.danmaku.router.store.ClusterStore;
import dev.danmaku.router.store.Outgoing;
import dev.danmaku.router.store.StaleMapException;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Applies a plan: installs its map by compare-and-set (or recognises it as installed before), then
 * watches until every move is done. A move is done when the destination's {@code GET /rooms} lists
 * the room and the source has published its outgoing set for the target version (or later) without
 * it. Progress is printed at most once a second. Runs on the command's thread; a JVM shutdown
 * (Ctrl-C) while watching only prints how to resume.
 */
final class PlanApplier {
    /** Time between two looks at Redis and the destinations, ms. */
    static final long POLL_MS = 500;
    /** Least time between two progress lines, ms. */
    static final long PROGRESS_MIN_MS = 1_000;
    /** Most time between two progress lines while nothing changes, ms. */
    static final long PROGRESS_MAX_MS = 5_000;
    /** Rooms named in a timeout's error line. */
    static final int ROOMS_NAMED = 10;

    private final ClusterStore store;
    private final PrintWriter out;
    private final NodeAdmin admin = new NodeAdmin(NodeAdmin.DEFAULT_TIMEOUT);

    PlanApplier(ClusterStore store, PrintWriter out) {
        this.store = store;
        this.out = out;
    }

    /**
     * @param file the plan's file name, for the resume hint
     * @return {@link RouterMain#EXIT_OK} when every move is done
     * @throws CommandFailure stale plan ({@link RouterMain#EXIT_STALE}), Redis failure or timeout (1)
     */
    int apply(PlanJson.Document doc, String file, int timeoutSeconds) throws CommandFailure, InterruptedException {
        Plan plan = doc.plan();
        install(plan);
        if (plan.moves().isEmpty()) {
            out.println("no room moves: done");
            out.flush();
            return RouterMain.EXIT_OK;
        }
        out.println("watching " + plan.moves().size() + " moves (move window " + plan.target().moveWindowMs()
                + " ms, timeout " + timeoutSeconds + " s). Ctrl-C stops only the watching: the map change stays, and "
                + "'danmaku router apply " + file + "' resumes it");
        out.flush();
        Watch watch = new Watch(plan);
        Thread hook = new Thread(() -> {
            if (!watch.over) {
                System.err.println();
                System.err.println("stopped watching (" + watch.done.size() + "/" + plan.moves().size()
                        + " moves done); the map change stays: 'danmaku router apply " + file + "' resumes the watch");
                System.err.flush();
            }
        }, "router-apply-interrupted");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return watch.run(timeoutSeconds);
        } finally {
            watch.over = true;
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting (Ctrl-C): the hook prints the resume hint
            }
        }
    }

    /** Installs the plan's map, or accepts that it already is installed; else the plan is stale. */
    private void install(Plan plan) throws CommandFailure {
        ShardMap target = plan.target();
        long from = plan.fromVersion();
        ShardMap current;
        try {
            current = store.readMap();
            if (current.version() == from) {
                ShardMap next = new ShardMap(from + 1, target.members(), target.overrides(), target.moveWindowMs(),
                        System.currentTimeMillis(), target.note());
                try {
                    store.compareAndSet(from, next);
                    out.println("map version " + from + " -> " + (from + 1) + " installed: " + plan.description());
                    return;
                } catch (StaleMapException raced) {
                    current = store.readMap();
                }
            }
        } catch (RuntimeException e) {
            throw new CommandFailure("installing the map: " + RouterMain.describe(e));
        }
        if (current.version() > from && current.sameOwnership(target)) {
            out.println("map version " + current.version() + " already gives every room this plan's owner "
                    + "(applied before): watching its moves");
            return;
        }
        throw new CommandFailure(RouterMain.EXIT_STALE, "stale plan: it was made from map version " + from
                + ", the map is now at version " + current.version() + " with other owners; make a new plan");
    }

    /** The watch of one plan's moves. Fields are the command thread's; {@link #over} is read by the hook. */
    private final class Watch {
        final Plan plan;
        final long targetVersion;
        final Set<Long> done = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final Map<Long, String> reasons = new HashMap<>();
        volatile boolean over;

        Watch(Plan plan) {
            this.plan = plan;
            this.targetVersion = plan.fromVersion() + 1;
        }

        int run(int timeoutSeconds) throws CommandFailure, InterruptedException {
            int total = plan.moves().size();
            long start = System.nanoTime();
            long deadline = start + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            long lastPrint = start - TimeUnit.MILLISECONDS.toNanos(PROGRESS_MAX_MS);
            int lastDone = -1;
            while (true) {
                poll();
                long now = System.nanoTime();
                boolean finished = done.size() == total;
                boolean timedOut = now - deadline >= 0;
                long sincePrint = TimeUnit.NANOSECONDS.toMillis(now - lastPrint);
                if (finished || timedOut
                        || sincePrint >= PROGRESS_MIN_MS && (done.size() != lastDone || sincePrint >= PROGRESS_MAX_MS)) {
                    out.println(progress(start, now));
                    out.flush();
                    lastPrint = now;
                    lastDone = done.size();
                }
                if (finished || timedOut) {
                    break;
                }
                Thread.sleep(POLL_MS);
            }
            summary();
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            if (done.size() == total) {
                out.println("all " + total + " moves done in " + seconds + " s");
                out.flush();
                return RouterMain.EXIT_OK;
            }
            List<String> pending = new ArrayList<>();
            for (Move m : plan.moves()) {
                if (!done.contains(m.room())) {
                    pending.add(RoomIds.format(m.room()));
                }
            }
            String named = String.join(", ", pending.subList(0, Math.min(ROOMS_NAMED, pending.size())))
                    + (pending.size() > ROOMS_NAMED ? " and " + (pending.size() - ROOMS_NAMED) + " more" : "");
            throw new CommandFailure("timed out after " + timeoutSeconds + " s: " + pending.size() + " of " + total
                    + " moves pending (rooms " + named + ")");
        }

        private String progress(long start, long now) {
            Set<String> handing = new TreeSet<>();
            for (Move m : plan.moves()) {
                if (!done.contains(m.room())) {
                    handing.add(m.from());
                }
            }
            return "moves " + done.size() + "/" + plan.moves().size() + " done, " + handing.size()
                    + (handing.size() == 1 ? " node" : " nodes") + " still handing over, "
                    + TimeUnit.NANOSECONDS.toSeconds(now - start) + " s";
        }

        /** One look at Redis and at the destinations of the moves not done yet. */
        private void poll() throws InterruptedException {
            List<Move> pending = new ArrayList<>();
            for (Move m : plan.moves()) {
                if (!done.contains(m.room())) {
                    pending.add(m);
                }
            }
            ClusterView view;
            try {
                view = ClusterView.read(store);
            } catch (RuntimeException e) {
                for (Move m : pending) {
                    reasons.put(m.room(), "Redis: " + RouterMain.describe(e));
                }
                return;
            }
            Map<String, CompletableFuture<List<RoomReport>>> asked = new LinkedHashMap<>();
            for (Move m : pending) {
                if (m.to() != null && !asked.containsKey(m.to())) {
                    String url = view.admin(m.to());
                    if (url == null) {
                        Member t = plan.target().member(m.to());
                        url = t == null ? null : t.admin();
                    }
                    asked.put(m.to(), url == null ? CompletableFuture.failedFuture(new IOException("no admin URL"))
                            : admin.rooms(url));
                }
            }
            Map<String, Set<Long>> held = new HashMap<>();
            Map<String, String> failed = new HashMap<>();
            for (Map.Entry<String, CompletableFuture<List<RoomReport>>> e : asked.entrySet()) {
                try {
                    Set<Long> rooms = new HashSet<>();
                    for (RoomReport r : NodeAdmin.await(e.getValue())) {
                        rooms.add(r.room());
                    }
                    held.put(e.getKey(), rooms);
                } catch (IOException ex) {
                    failed.put(e.getKey(), ex.getMessage());
                }
            }
            for (Move m : pending) {
                String reason = reason(view, m, held, failed);
                if (reason == null) {
                    done.add(m.room());
                    reasons.remove(m.room());
                } else {
                    reasons.put(m.room(), reason);
                }
            }
        }

        /** Why {@code m} is not done, or null if it is. */
        private String reason(ClusterView view, Move m, Map<String, Set<Long>> held, Map<String, String> failed) {
            if (m.to() == null) {
                return "no node can own it under the target map";
            }
            Outgoing o = view.outgoing().get(m.from());
            String about;
            String reason;
            if (o == null || o.syncedVersion() < targetVersion) {
                about = m.from();
                reason = m.from() + (o == null ? " has published no outgoing rooms yet"
                        : " has synced only to map version " + o.syncedVersion()) + " (waiting for " + targetVersion + ")";
            } else if (o.rooms().contains(m.room())) {
                about = m.from();
                reason = m.from() + " still has it to hand over";
            } else if (failed.containsKey(m.to())) {
                about = m.to();
                reason = m.to() + "'s admin did not answer /rooms (" + failed.get(m.to()) + ")";
            } else if (!held.getOrDefault(m.to(), Set.of()).contains(m.room())) {
                about = m.to();
                reason = m.to() + " does not list it yet";
            } else {
                return null;
            }
            return view.live(about) ? reason : reason + "; " + about + " is not live (lease " + view.leaseText(about) + ")";
        }

        private void summary() {
            TextTable t = new TextTable("ROOM", "FROM", "TO", "OUTCOME");
            for (Move m : plan.moves()) {
                String outcome = done.contains(m.room()) ? "moved"
                        : "pending: " + reasons.getOrDefault(m.room(), "not checked yet");
                t.row(RoomIds.format(m.room()), m.from(), m.to(), outcome);
            }
            t.print(out);
        }
    }
}
