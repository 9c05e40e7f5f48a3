package dev.danmaku.router.cli;

import dev.danmaku.router.ShardMap;
import dev.danmaku.router.store.ClusterStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code danmaku router plan --add|--remove|--weight|--drain ...}: one change of the map, planned
 * against the rooms the live nodes hold now, printed and written to a file for {@code router apply}.
 * Changes nothing in the cluster.
 */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"Plan one change of the map and write it to a file for 'router apply'.",
                "",
                "Give exactly one of --add, --remove, --weight, --drain. Asks every live node for its rooms "
                        + "(GET /rooms) and prints what would move: rooms against the total and against the ideal, "
                        + "viewers and bytes to hand over, rooms per node before and after. Changes nothing."})
final class PlanCommand implements Callable<Integer> {
    @ParentCommand
    RouterCommand router;

    @Spec
    CommandSpec spec;

    @Option(names = "--add", paramLabel = "URL|ID",
            description = "add a registered node (with a live lease), by its WebSocket address or id, as active")
    String add;

    @Option(names = "--remove", paramLabel = "NODE", description = "remove a node: its rooms move to the others")
    String remove;

    @Option(names = "--weight", paramLabel = "NODE=W", description = "set a node's weight, in (0, 1000]")
    String weight;

    @Option(names = "--drain", paramLabel = "NODE",
            description = "set a node draining: it stays in the map, its rooms move to the others")
    String drain;

    @Option(names = "--window", paramLabel = "MS",
            description = "the new map's move window: the nodes spread the moves over this many ms")
    Long window;

    @Option(names = "--out", paramLabel = "FILE", description = "where to write the plan (default: plan-v<from>.json)")
    Path out;

    @Option(names = "--ignore-unreachable",
            description = "plan without the rooms of a live node whose admin API does not answer (else an error)")
    boolean ignoreUnreachable;

    @Override
    public Integer call() throws CommandFailure, InterruptedException {
        PlanMaker.Change change = change();
        checkWindow(spec, window);
        ClusterStore store = router.open();
        try {
            PlanMaker.Result r = make(store, change, window, ignoreUnreachable, spec.commandLine().getErr());
            PrintWriter o = spec.commandLine().getOut();
            PlanMaker.print(o, r);
            Path file = out != null ? out : PlanMaker.defaultFile(r.plan().fromVersion());
            PlanMaker.write(file, new PlanJson.Document(r.plan(), router.cluster, System.currentTimeMillis()));
            o.println("plan written to " + file + "; apply it with 'danmaku router apply " + file + "'");
            o.flush();
            return RouterMain.EXIT_OK;
        } finally {
            RouterCommand.close(store);
        }
    }

    /** Reads the cluster, makes the plan, prints its warnings on {@code err}. */
    static PlanMaker.Result make(ClusterStore store, PlanMaker.Change change, Long window, boolean ignoreUnreachable,
                                 PrintWriter err) throws CommandFailure, InterruptedException {
        ClusterView view;
        try {
            view = ClusterView.read(store);
        } catch (RuntimeException e) {
            throw new CommandFailure("reading the cluster from Redis: " + RouterMain.describe(e));
        }
        PlanMaker.Result r = new PlanMaker(view, new NodeAdmin(NodeAdmin.DEFAULT_TIMEOUT))
                .make(change, window, ignoreUnreachable, System.currentTimeMillis());
        for (String w : r.warnings()) {
            err.println("warning: " + w);
        }
        err.flush();
        return r;
    }

    static void checkWindow(CommandSpec spec, Long window) {
        if (window != null && (window < 0 || window > ShardMap.MAX_MOVE_WINDOW_MS)) {
            throw new ParameterException(spec.commandLine(), "--window must be 0-" + ShardMap.MAX_MOVE_WINDOW_MS
                    + " ms, got " + window);
        }
    }

    private PlanMaker.Change change() {
        List<PlanMaker.Change> changes = new ArrayList<>();
        if (add != null) {
            changes.add(new PlanMaker.Change(PlanMaker.Kind.ADD, add, 0));
        }
        if (remove != null) {
            changes.add(new PlanMaker.Change(PlanMaker.Kind.REMOVE, remove, 0));
        }
        if (weight != null) {
            int eq = weight.lastIndexOf('=');
            double w;
            try {
                w = eq <= 0 ? Double.NaN : Double.parseDouble(weight.substring(eq + 1));
            } catch (NumberFormatException e) {
                w = Double.NaN;
            }
            if (Double.isNaN(w)) {
                throw new ParameterException(spec.commandLine(), "--weight must be NODE=WEIGHT, got '" + weight + "'");
            }
            if (!(w > 0 && w <= dev.danmaku.router.Member.MAX_WEIGHT)) {
                throw new ParameterException(spec.commandLine(), "--weight: the weight must be in (0, "
                        + (int) dev.danmaku.router.Member.MAX_WEIGHT + "], got " + weight.substring(eq + 1));
            }
            changes.add(new PlanMaker.Change(PlanMaker.Kind.WEIGHT, weight.substring(0, eq), w));
        }
        if (drain != null) {
            changes.add(new PlanMaker.Change(PlanMaker.Kind.DRAIN, drain, 0));
        }
        if (changes.size() != 1) {
            throw new ParameterException(spec.commandLine(), (changes.isEmpty() ? "no change given" : changes.size()
                    + " changes given") + ": a plan makes exactly one of --add, --remove, --weight, --drain");
        }
        return changes.get(0);
    }
}
