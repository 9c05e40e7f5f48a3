package dev.danmaku.router.cli;

import dev.danmaku.router.store.ClusterStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code danmaku router apply PLAN}: install a plan's map and watch its room moves finish. */
@Command(name = "apply", mixinStandardHelpOptions = true,
        description = {"Install a plan's map and watch its rooms move.",
                "",
                "Installs the map by compare-and-set from the version the plan was made from, then watches until "
                        + "every room has moved: its destination lists it (GET /rooms) and its source no longer has it "
                        + "to hand over. A plan made from an older map is refused (exit 3): plan again.",
                "",
                "Ctrl-C stops only the watching: the map change stays, and running apply again with the same plan "
                        + "resumes the watch (a plan already applied is recognised).",
                "",
                "Exit 0 when every move is done, 1 on timeout (naming the rooms still pending), 3 for a stale plan."})
final class ApplyCommand implements Callable<Integer> {
    @ParentCommand
    RouterCommand router;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PLAN", description = "a plan file from 'router plan'")
    Path file;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "120",
            description = "how long to watch the moves (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Override
    public Integer call() throws CommandFailure, InterruptedException {
        checkTimeout(spec, timeoutSeconds);
        PlanJson.Document doc = read(file);
        if (doc.cluster() != null && !doc.cluster().equals(router.cluster)) {
            throw new CommandFailure("plan " + file + " is for cluster '" + doc.cluster() + "', not '" + router.cluster
                    + "' (give --cluster " + doc.cluster() + ")");
        }
        ClusterStore store = router.open();
        try {
            return new PlanApplier(store, spec.commandLine().getOut()).apply(doc, file.toString(), timeoutSeconds);
        } finally {
            RouterCommand.close(store);
        }
    }

    static PlanJson.Document read(Path file) throws CommandFailure {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new CommandFailure("no plan file " + file);
        } catch (IOException e) {
            throw new CommandFailure("cannot read plan " + file + ": " + RouterMain.message(e));
        }
        try {
            return PlanJson.read(text);
        } catch (IllegalArgumentException e) {
            throw new CommandFailure(file + ": " + e.getMessage());
        }
    }

    static void checkTimeout(CommandSpec spec, int seconds) {
        if (seconds < 1) {
            throw new ParameterException(spec.commandLine(), "--timeout must be >= 1 second, got " + seconds);
        }
    }
}
