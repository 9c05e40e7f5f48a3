package dev.danmaku.codec;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hot-path codec calls allocate nothing after warm-up. This asserts behaviour (bytes
 * allocated by this thread), not time; JMH's gc profiler gives the figures in docs/benchmarks.md.
 */
class AllocationTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void bulletDecodeAndEncodeShouldNotAllocate() {
        UnsafeBuffer in = new UnsafeBuffer(new byte[1024]);
        UnsafeBuffer out = new UnsafeBuffer(new byte[1024]);
        int n = FrameEncoder.bullet(in, 0, 1_700_000_000_000L, 42, 9001, "小明", "前方高能🎉 awsl", "#FF0000");
        BulletDecoder d = new BulletDecoder();
        long sink = 0;
        for (int round = 0; round < 2; round++) {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 200_000; i++) {
                d.wrap(in, 0, n);
                sink += FrameEncoder.bullet(out, 0, d.timestamp(), d.userId(), d.roomId(), d.buffer(), d.nameOffset(),
                        d.nameLength(), d.contentOffset(), d.contentLength(), d.colorOffset(), d.colorLength());
            }
            long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
            if (round == 1) {
                // One object per call would be >= 16 B x 200k = 3.2 MB; allow for JIT and runtime noise.
                assertThat(allocated).as("bytes allocated by 200k decode+encode").isLessThan(64 * 1024);
            }
        }
        assertThat(sink).isPositive();
    }

    @Test
    void batchEncodeShouldNotAllocate() {
        UnsafeBuffer in = new UnsafeBuffer(new byte[1024]);
        UnsafeBuffer out = new UnsafeBuffer(new byte[Protocol.MAX_SERVER_FRAME_LENGTH]);
        int n = FrameEncoder.bullet(in, 0, 1_700_000_000_000L, 42, 9001, "小明", "哈哈哈哈哈哈 666", "white");
        BulletDecoder d = new BulletDecoder();
        d.wrap(in, 0, n);
        try (BatchEncoder e = new BatchEncoder(); BatchDecoder bd = new BatchDecoder()) {
            long sink = 0;
            for (int round = 0; round < 2; round++) {
                long before = THREADS.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 5_000; i++) {
                    e.reset(9001, 1, 1 + i * 100L);
                    for (int j = 0; j < 100; j++) {
                        e.add(d);
                    }
                    int len = e.encode(out, 0);
                    sink += bd.wrap(out, 0, len) + len;
                    while (bd.next()) {
                        sink += bd.entry().contentLength();
                    }
                }
                long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
                if (round == 1) {
                    // One object per batch would be >= 16 B x 5k = 80 KB; allow for JIT and runtime noise.
                    assertThat(allocated).as("bytes allocated by 5k batch encode+decode").isLessThan(32 * 1024);
                }
            }
            assertThat(sink).isPositive();
        }
    }
}
