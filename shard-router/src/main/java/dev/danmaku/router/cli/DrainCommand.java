package dev.danmaku.router.cli;

import dev.danmaku.router.store.ClusterStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code danmaku router drain NODE}: {@code plan --drain NODE} and {@code apply} of that plan in one step. */
@Command(name = "drain", mixinStandardHelpOptions = true,
        description = {"Drain a node: 'plan --drain NODE' and 'apply' in one step.",
                "",
                "The plan is written to a file too. Ctrl-C stops only the watching: the map change stays, and "
                        + "'danmaku router apply FILE' resumes the watch."})
final class DrainCommand implements Callable<Integer> {
    @ParentCommand
    RouterCommand router;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NODE", description = "the node to drain")
    String node;

    @Option(names = "--window", paramLabel = "MS", description = "the new map's move window, ms")
    Long window;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "120",
            description = "how long to watch the moves (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Option(names = "--out", paramLabel = "FILE", description = "where to write the plan (default: plan-v<from>.json)")
    Path out;

    @Option(names = "--ignore-unreachable",
            description = "plan without the rooms of a live node whose admin API does not answer (else an error)")
    boolean ignoreUnreachable;

    @Override
    public Integer call() throws CommandFailure, InterruptedException {
        PlanCommand.checkWindow(spec, window);
        ApplyCommand.checkTimeout(spec, timeoutSeconds);
        ClusterStore store = router.open();
        try {
            PlanMaker.Result r = PlanCommand.make(store, new PlanMaker.Change(PlanMaker.Kind.DRAIN, node, 0), window,
                    ignoreUnreachable, spec.commandLine().getErr());
            PrintWriter o = spec.commandLine().getOut();
            PlanMaker.print(o, r);
            Path file = out != null ? out : PlanMaker.defaultFile(r.plan().fromVersion());
            PlanJson.Document doc = new PlanJson.Document(r.plan(), router.cluster, System.currentTimeMillis());
            PlanMaker.write(file, doc);
            o.println("plan written to " + file);
            return new PlanApplier(store, o).apply(doc, file.toString(), timeoutSeconds);
        } finally {
            RouterCommand.close(store);
        }
    }
}
