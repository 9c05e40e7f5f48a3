package dev.danmaku.engine.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Hand-run throughput check (not a test): appends documents of 1, 10 and 100 bullets of ~80 bytes
 * for a few seconds each, then replays everything. One thread; page-cache sync. Run with the module
 * flags and the test classpath, e.g.
 * <pre>
 * java $(flags from the root pom's danmaku.jvm.flags) -cp engine/target/test-classes:engine/target/classes:... \
 *      dev.danmaku.engine.journal.JournalThroughput [seconds-per-size] [dir]
 * </pre>
 */
public final class JournalThroughput {
    private long checksum;

    private JournalThroughput() {
    }

    public static void main(final String[] args) throws IOException {
        final double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        final Path dir = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("journal-throughput");
        // name 8 + content 14 + colour 4 bytes: 54 + 26 = 80-byte BULLET records
        final JournalTesting.Strings s = new JournalTesting.Strings().set("viewer01", "hello danmaku!", "#fff");
        final JournalThroughput self = new JournalThroughput();
        try {
            for (final int perDocument : new int[] {1, 10, 100}) {
                final Path sub = dir.resolve("docs-of-" + perDocument);
                try (Journal journal = Journal.open(JournalConfig.defaults(sub))) {
                    final JournalWriter writer = journal.writer();
                    long seq = 0;
                    long documents = 0;
                    // warm-up
                    final long warmEnd = System.nanoTime() + 1_000_000_000L;
                    while (System.nanoTime() < warmEnd) {
                        for (int i = 0; i < perDocument; i++) {
                            s.append(writer, 1 + (seq & 63), 1, ++seq, seq, 7, seq, 1);
                        }
                        writer.commit();
                    }
                    final long start = System.nanoTime();
                    final long end = start + (long) (seconds * 1e9);
                    long now;
                    do {
                        for (int k = 0; k < 64; k++) {
                            for (int i = 0; i < perDocument; i++) {
                                s.append(writer, 1 + (seq & 63), 1, ++seq, seq, 7, seq, 1);
                            }
                            writer.commit();
                            documents++;
                        }
                        now = System.nanoTime();
                    } while (now < end);
                    final double elapsed = (now - start) / 1e9;
                    System.out.printf("append: %3d records/doc: %,12.0f docs/s %,12.0f records/s %,8.1f MB/s%n",
                            perDocument, documents / elapsed, documents * perDocument / elapsed,
                            documents * (2 + 80.0 * perDocument) / elapsed / 1e6);

                    try (JournalReader reader = journal.reader()) {
                        final RecordHandler handler = (r, i) -> self.checksum += r.sequence() + r.contentLength();
                        final long readStart = System.nanoTime();
                        long records = 0;
                        int n;
                        while ((n = reader.read(handler, 4096)) > 0) {
                            records += n;
                        }
                        final double readElapsed = (System.nanoTime() - readStart) / 1e9;
                        System.out.printf("replay: %3d records/doc: %,12.0f records/s (%,d records)%n",
                                perDocument, records / readElapsed, records);
                    }
                }
            }
        } finally {
            if (args.length < 2) {
                try (Stream<Path> walk = Files.walk(dir)) {
                    walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
        System.out.println("checksum " + self.checksum);
    }
}
