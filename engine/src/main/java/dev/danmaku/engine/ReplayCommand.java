package dev.danmaku.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.danmaku.engine.journal.Journal;
import dev.danmaku.engine.journal.JournalConfig;
import dev.danmaku.engine.sink.JournalDump;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code danmaku node replay --data-dir DIR --room N [--json]}: prints a room's bullets from a
 * node's journal in sequence order (the {@code --from journal} of {@code danmaku client replay},
 * which lives here because only the engine reads the journal). Safe while the node runs: it only
 * reads. Exit codes: 0 ok, 1 no journal there, 2 usage error.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Print a room's bullets from a node's journal, in sequence order.")
public final class ReplayCommand implements Callable<Integer> {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Option(names = "--data-dir", required = true, paramLabel = "DIR", description = "the node's data directory (node.data-dir)")
    Path dataDir;

    @Option(names = "--room", required = true, paramLabel = "N", description = "room id")
    String room;

    @Option(names = "--json", description = "one JSON object per line")
    boolean json;

    PrintStream out = System.out;

    @Override
    public Integer call() {
        long roomId;
        try {
            roomId = Long.parseUnsignedLong(room);
        } catch (NumberFormatException e) {
            System.err.println("error: --room: not a room id: " + room);
            return 2;
        }
        Path dir = dataDir.resolve("journal");
        if (!Files.isDirectory(dir)) {
            System.err.println("error: no journal in " + dataDir + " (expected " + dir + ")");
            return 1;
        }
        try (Journal journal = Journal.open(JournalConfig.defaults(dir))) {
            for (JournalDump.Entry e : JournalDump.room(journal, roomId)) {
                out.println(json ? json(e) : JournalDump.line(e));
            }
        }
        return 0;
    }

    private static String json(JournalDump.Entry e) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("room", new BigInteger(Long.toUnsignedString(e.room())));
        o.put("epoch", e.epoch());
        o.put("seq", e.seq());
        o.put("timestamp", e.timestamp());
        o.put("user", new BigInteger(Long.toUnsignedString(e.user())));
        o.put("name", e.name());
        o.put("color", e.color());
        o.put("text", e.content());
        o.put("acceptMs", e.acceptMs());
        return o.toString();
    }
}
