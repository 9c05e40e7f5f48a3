package dev.danmaku.engine.journal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Crash tests: a child JVM ({@link JournalCrashChild}) appends and prints what it would ACK; it is
 * killed with SIGKILL (or halts mid-document), and the journal must still hold every ACKed bullet,
 * gapless and in order per room, and accept appends again.
 */
class JournalCrashTest {
    private static final int ACKS_BEFORE_KILL = 3_000;
    private static final int ROUNDS = 3;

    @TempDir
    Path dir;

    /** Reads a child's stdout on its own thread, keeping only complete ACK lines. */
    private static final class AckReader extends Thread {
        final List<long[]> acks = new ArrayList<>();
        final AtomicInteger count = new AtomicInteger();
        final AtomicReference<Boolean> sawTorn = new AtomicReference<>(false);
        private final Process process;

        AckReader(final Process process) {
            super("ack-reader");
            this.process = process;
            setDaemon(true);
        }

        @Override
        public void run() {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    final String[] f = line.split(" ");
                    if (f.length == 4 && f[0].equals("ACK") && f[3].equals(".")) {
                        synchronized (acks) {
                            acks.add(new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
                        }
                        count.incrementAndGet();
                    } else if (line.equals("TORN .")) {
                        sawTorn.set(true);
                    }
                }
            } catch (final java.io.IOException e) {
                // the pipe closes when the child dies
            }
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldKeepEveryAcknowledgedBulletAcrossRepeatedKill9() throws Exception {
        final Path journalDir = dir.resolve("journal");
        final Path stderr = dir.resolve("child.err");
        final Map<Long, Long> highestAcked = new HashMap<>();
        for (int round = 0; round < ROUNDS; round++) {
            final long seed = JournalTesting.SEED + round;
            System.out.println("JournalCrashTest round " + round + " seed=" + seed + " (override with -Ddanmaku.seed)");
            final Process child = JournalTesting.startChild(JournalCrashChild.class, stderr, journalDir.toString(),
                    Long.toString(seed), "loop");
            final AckReader reader = new AckReader(child);
            reader.start();
            try {
                await().atMost(45, TimeUnit.SECONDS).pollInterval(5, TimeUnit.MILLISECONDS)
                        .until(() -> reader.count.get() >= ACKS_BEFORE_KILL || !child.isAlive());
                assertThat(child.isAlive()).as("child died on its own; see %s:%n%s", stderr, tail(stderr)).isTrue();
            } finally {
                child.destroyForcibly(); // SIGKILL on Linux
                assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
            }
            reader.join(10_000);
            assertThat(child.exitValue()).as("killed by SIGKILL").isEqualTo(137);
            synchronized (reader.acks) {
                // the child's own ACK order is +1 per room, continuing from the previous round
                for (final long[] ack : reader.acks) {
                    final long previous = highestAcked.getOrDefault(ack[0], 0L);
                    assertThat(ack[1]).as("seed=%d ACK order, room %d", seed, ack[0]).isGreaterThan(previous);
                    highestAcked.put(ack[0], ack[1]);
                }
                assertThat(reader.acks.size()).isGreaterThanOrEqualTo(ACKS_BEFORE_KILL);
            }
            verifyJournal(journalDir, highestAcked, seed, false);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldHideATornFinalDocumentAndOverwriteItOnTheNextAppend() throws Exception {
        final Path journalDir = dir.resolve("journal");
        final Path stderr = dir.resolve("child.err");
        final Process child = JournalTesting.startChild(JournalCrashChild.class, stderr, journalDir.toString(),
                Long.toString(JournalTesting.SEED), "torn");
        final AckReader reader = new AckReader(child);
        reader.start();
        assertThat(child.waitFor(45, TimeUnit.SECONDS)).isTrue();
        reader.join(10_000);
        assertThat(reader.sawTorn.get()).as("child reached the torn write; stderr:%n%s", tail(stderr)).isTrue();
        final Map<Long, Long> highestAcked = new HashMap<>();
        for (final long[] ack : reader.acks) {
            highestAcked.merge(ack[0], ack[1], Math::max);
        }
        assertThat(reader.acks).hasSizeGreaterThanOrEqualTo(200);
        // everything committed was ACKed, so the journal holds exactly the ACKed bullets: the torn one is invisible
        verifyJournal(journalDir, highestAcked, JournalTesting.SEED, true);
    }

    /**
     * Recovers the journal and checks: per room, sequences 1..n in order with no gap or duplicate,
     * n at least the highest ACKed (exactly it if {@code exact}); then appends one more document and reads it back after the
     * (possibly torn) tail.
     */
    private static void verifyJournal(final Path journalDir, final Map<Long, Long> highestAcked, final long seed,
                                      final boolean exact) {
        final Map<Long, Long> lastSeq = new HashMap<>();
        final Map<Long, Integer> roomRecords = new HashMap<>();
        final JournalRecovery.Result result;
        try (Journal journal = Journal.open(JournalConfig.defaults(journalDir))) {
            result = JournalRecovery.recover(journal, new JournalRecovery.Visitor() {
                @Override
                public void onRoomCreated(final long roomId, final long epoch, final long createTimeMs, final long index) {
                    roomRecords.merge(roomId, 1, Integer::sum);
                    assertThat(lastSeq).as("seed=%d ROOM %d before its first bullet", seed, roomId).doesNotContainKey(roomId);
                }

                @Override
                public void onBullet(final JournalRecord bullet, final long index) {
                    final long expected = lastSeq.getOrDefault(bullet.roomId(), 0L) + 1;
                    assertThat(bullet.sequence()).as("seed=%d room %d: gapless, in order, no duplicate", seed, bullet.roomId())
                            .isEqualTo(expected);
                    assertThat(bullet.content()).isEqualTo("弹幕 crash test 🚀 payload");
                    lastSeq.put(bullet.roomId(), bullet.sequence());
                }
            }, null);
            for (final Map.Entry<Long, Long> acked : highestAcked.entrySet()) {
                assertThat(lastSeq.getOrDefault(acked.getKey(), 0L)).as("seed=%d room %d: every ACKed bullet journaled", seed, acked.getKey())
                        .isGreaterThanOrEqualTo(acked.getValue());
            }
            if (exact) {
                assertThat(lastSeq).as("seed=%d journal holds exactly the ACKed bullets", seed).isEqualTo(highestAcked);
            }
            assertThat(roomRecords.values()).as("one ROOM record per room").containsOnly(1);

            // the journal takes appends after the torn tail, and readers see them
            final JournalWriter writer = journal.writer();
            writer.appendEpoch(999, 2, EpochReason.RESTART, 0);
            final long index = writer.commit();
            assertThat(index).isGreaterThan(result.lastIndex());
            try (JournalReader reader = journal.reader(result.lastIndex())) {
                final List<Long> rooms = new ArrayList<>();
                while (reader.read((r, i) -> {
                    if (i == index) {
                        rooms.add(r.roomId());
                    }
                }, 1000) > 0) {
                    // drain
                }
                assertThat(rooms).containsExactly(999L);
            }
        }
        assertThat(result.bullets()).isGreaterThan(0);
    }

    private static String tail(final Path file) {
        try {
            final List<String> lines = Files.readAllLines(file);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (final java.io.IOException e) {
            return "(no stderr: " + e + ")";
        }
    }
}
