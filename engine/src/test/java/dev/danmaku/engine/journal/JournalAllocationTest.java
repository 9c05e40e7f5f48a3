package dev.danmaku.engine.journal;

import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The journal's hot paths allocate nothing after warm-up (behaviour, not timing): measured with
 * HotSpot's per-thread allocated-bytes counter around 100k operations.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JournalAllocationTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final int WARM_UP = 20_000;
    private static final int MEASURED = Integer.getInteger("journal.alloc.measured", 100_000);
    /**
     * Slack for Chronicle's own periodic bookkeeping: about 1 KB was measured over the first 40k
     * commits and 10-20 KB over 100k (it grows in steps, consistent with Chronicle starting a new
     * index array every 2^16 excerpts), and the JIT. One object per operation would be at least
     * 1.6 MB, so this still fails on any per-append, per-commit or per-read allocation.
     */
    private static final long SLACK_BYTES = 64 * 1024;

    @TempDir
    Path dir;

    private long sum;

    @Test
    void shouldNotAllocateWhenAppendingCommittingAndReadingAfterWarmUp() {
        final CachedEpochClock clock = new CachedEpochClock();
        clock.update(1_764_000_000_000L);
        final JournalTesting.Strings s = new JournalTesting.Strings().set("观众123", "前方高能 🎉 allocation", "#FFCC00");
        // capacity reached during warm-up, so the measured part also exercises dropping the oldest checkpoint
        final RoomJournalIndex index = new RoomJournalIndex(64, 128);
        try (Journal journal = Journal.open(JournalConfig.defaults(dir).withClock(clock))) {
            final JournalWriter writer = journal.writer(index);
            final long[] seq = new long[1];
            final Runnable appendAndCommit = () -> {
                final long room = 1 + (seq[0] & 7);
                s.append(writer, room, 1, ++seq[0], seq[0], 42, seq[0], 3);
                writer.commit();
            };
            for (int i = 0; i < WARM_UP; i++) {
                appendAndCommit.run();
            }
            long before = THREADS.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < MEASURED; i++) {
                appendAndCommit.run();
            }
            final long writeBytes = THREADS.getCurrentThreadAllocatedBytes() - before;

            try (JournalReader reader = journal.reader()) {
                final RecordHandler handler = (r, i) -> sum += r.sequence() + r.contentLength() + r.userId();
                for (int i = 0; i < WARM_UP; i++) {
                    reader.read(handler, 1);
                }
                before = THREADS.getCurrentThreadAllocatedBytes();
                int read = 0;
                for (int i = 0; i < MEASURED; i++) {
                    read += reader.read(handler, 1);
                }
                final long readBytes = THREADS.getCurrentThreadAllocatedBytes() - before;
                assertThat(read).isEqualTo(MEASURED);
                System.out.printf("JournalAllocationTest: %d B for %d appendBullet+commit, %d B for %d reads%n",
                        writeBytes, MEASURED, readBytes, MEASURED);
                assertThat(writeBytes).as("bytes allocated by %d appendBullet+commit", MEASURED).isLessThan(SLACK_BYTES);
                assertThat(readBytes).as("bytes allocated by %d reads", MEASURED).isLessThan(SLACK_BYTES);
            }
            assertThat(index.seekIndex(3, 1, 100_000)).isNotEqualTo(RoomJournalIndex.START);
        }
        assertThat(sum).isPositive();
    }
}
