package dev.danmaku.engine.sink;

import dev.danmaku.engine.journal.Journal;
import dev.danmaku.engine.journal.JournalLayout;
import dev.danmaku.engine.journal.JournalReader;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads one room's bullets out of a journal, in journal order (which is the room's sequence order),
 * for {@code danmaku node replay}. Allocates freely: a tool, never on a node's threads.
 */
public final class JournalDump {
    private JournalDump() {
    }

    /** One bullet as the replay prints it. */
    public record Entry(long room, long epoch, long seq, long timestamp, long user, String name, String content,
                        String color, long acceptMs) {
    }

    /** Every BULLET of {@code room} in the journal, in order. */
    public static List<Entry> room(Journal journal, long room) {
        List<Entry> out = new ArrayList<>();
        try (JournalReader reader = journal.reader()) {
            while (reader.read((r, doc) -> {
                if (r.kind() == JournalLayout.KIND_BULLET && r.roomId() == room) {
                    out.add(new Entry(r.roomId(), r.epoch(), r.sequence(), r.clientTimestamp(), r.userId(), r.name(),
                            r.content(), r.color(), r.acceptTimeMs()));
                }
            }, 65_536) > 0) {
                // keep reading to the end
            }
        }
        return out;
    }

    /** {@code e EPOCH #SEQ USER/NAME: CONTENT}, the line {@code danmaku client replay} prints too. */
    public static String line(Entry e) {
        return "e" + e.epoch() + " #" + e.seq() + " " + Long.toUnsignedString(e.user())
                + (e.name().isEmpty() ? "" : "/" + e.name()) + ": " + e.content();
    }
}
