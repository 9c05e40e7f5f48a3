package dev.danmaku.engine.journal;

import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.collections.Long2LongHashMap;

import java.io.BufferedOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Child JVM of {@link JournalCrashTest}: recovers each room's last sequence from the journal, then
 * appends documents of 1-16 bullets over 8 rooms forever, printing {@code ACK room seq .} for every
 * bullet only after {@link JournalWriter#commit()} returned (as the node ACKs), until it is killed.
 *
 * <p>Args: directory, seed, mode. Mode {@code loop} runs until killed; mode {@code torn} commits 200
 * documents, then starts a Chronicle document, writes half of it and halts the JVM (what kill -9
 * mid-append leaves behind, deterministically).
 */
public final class JournalCrashChild {
    static final int ROOMS = 8;

    private JournalCrashChild() {
    }

    public static void main(final String[] args) {
        final Path dir = Path.of(args[0]);
        final SplittableRandom random = new SplittableRandom(Long.parseLong(args[1]));
        final boolean torn = args[2].equals("torn");
        // ACK lines go to the real stdout, flushed per document; logback also writes to stdout, so the
        // parent only trusts complete "ACK room seq ." lines.
        final PrintStream out = new PrintStream(new BufferedOutputStream(System.out, 1 << 16), false);
        final Long2LongHashMap lastSeq = new Long2LongHashMap(0);
        try (Journal journal = Journal.open(JournalConfig.defaults(dir))) {
            JournalRecovery.recover(journal, new JournalRecovery.Visitor() {
                @Override
                public void onBullet(final JournalRecord bullet, final long documentIndex) {
                    lastSeq.put(bullet.roomId(), bullet.sequence());
                }
            }, null);
            final JournalWriter writer = journal.writer();
            final JournalTesting.Strings s = new JournalTesting.Strings().set("观众", "弹幕 crash test 🚀 payload", "#fff");
            final long[] rooms = new long[16];
            final long[] seqs = new long[16];
            for (int doc = 0; !torn || doc < 200; doc++) {
                final int n = 1 + random.nextInt(16);
                for (int i = 0; i < n; i++) {
                    final long room = 1 + random.nextInt(ROOMS);
                    final long seq = lastSeq.get(room) + 1;
                    lastSeq.put(room, seq);
                    if (seq == 1) {
                        writer.appendRoom(room, 1, System.currentTimeMillis());
                    }
                    s.append(writer, room, 1, seq, doc, room * 1000, System.currentTimeMillis(), 1);
                    rooms[i] = room;
                    seqs[i] = seq;
                }
                writer.commit();
                for (int i = 0; i < n; i++) {
                    out.print("ACK ");
                    out.print(rooms[i]);
                    out.print(' ');
                    out.print(seqs[i]);
                    out.print(" .\n");
                }
                out.flush();
            }
            out.print("TORN .\n");
            out.flush();
            final DocumentContext dc = writer.appender().writingDocument();
            // A record header and half a bullet; the Chronicle header still says "not complete".
            dc.wire().bytes().writeShort((short) 0x0100);
            dc.wire().bytes().writeByte((byte) JournalLayout.KIND_BULLET);
            dc.wire().bytes().writeLong(0x0102030405060708L);
            Runtime.getRuntime().halt(0);
        }
    }
}
