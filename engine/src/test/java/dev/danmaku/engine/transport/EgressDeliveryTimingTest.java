package dev.danmaku.engine.transport;

import dev.danmaku.codec.BatchLayout;
import dev.danmaku.codec.FrameType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.nio.NioIoHandler;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Send-to-display timing through the egress: a broadcast BATCH carries its oldest bullet's receive
 * time to the event loop, which records receive-to-flush once per batch (not per viewer); other
 * frames and batches without a known origin record nothing. Byte counts cover every write.
 */
@Timeout(30)
class EgressDeliveryTimingTest {
    private static final long ROOM = 5;
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Egress egress = new Egress(new EventLoop[] {group.next()}, 1 << 10, new PooledByteBufAllocator(true),
            now::get, 1_000_000_000L);
    private final List<ByteBuf> written = new CopyOnWriteArrayList<>();
    private final Connection[] viewers = {viewer(1), viewer(2), viewer(3)};

    private Connection viewer(long id) {
        EmbeddedChannel ch = RecordingChannel.into(written);
        return new Connection(id, ch, 0, id, (int) id, "10.0.0." + id);
    }

    @AfterEach
    void stop() {
        written.forEach(ByteBuf::release);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** A frame of {@code type} whose first bytes are a BATCH header for (ROOM, first sequence). */
    private ByteBuf frame(FrameType type, long firstSequence) {
        ByteBuf buf = egress.allocate(BatchLayout.HEADER_LENGTH);
        int at = WsFraming.MAX_HEADER;
        buf.setShort(at, 0xABCD);
        buf.setByte(at + 2, 1);
        buf.setByte(at + 3, type.code());
        buf.setLong(at + BatchLayout.ROOM_OFFSET, ROOM);
        buf.setLong(at + BatchLayout.FIRST_SEQ_OFFSET, firstSequence);
        return Egress.seal(buf, BatchLayout.HEADER_LENGTH);
    }

    private void awaitWritten(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (written.size() < count && System.nanoTime() - deadline < 0) {
            Thread.sleep(1);
        }
        assertThat(written).hasSize(count);
    }

    @Test
    void shouldRecordReceiveToFlushOncePerBroadcastBatchWhateverTheViewerCount() throws Exception {
        // Bullet 7 of ROOM was received at 1,000,000 ns; nothing else has a known origin.
        egress.origins((room, first) -> room == ROOM && first == 7 ? 1_000_000 : Egress.NO_ORIGIN);
        now.set(1_000_000 + 30_000_000); // the loop drains and flushes 30 ms later
        ByteBuf batch = frame(FrameType.BATCH, 7);
        int length = batch.readableBytes();
        assertThat(egress.broadcast(0, viewers, batch)).isTrue();
        assertThat(egress.broadcast(0, viewers, frame(FrameType.BATCH, 9))).isTrue(); // origin unknown
        assertThat(egress.broadcast(0, viewers, frame(FrameType.RANKING, 7))).isTrue(); // not a batch
        egress.flush();
        awaitWritten(9);
        Histogram h = egress.deliveryLatency.getIntervalHistogram();
        assertThat(h.getTotalCount()).as("one sample: the first batch's first write").isEqualTo(1);
        assertThat(h.getMaxValue()).isBetween(29_900_000L, 30_100_000L);
        assertThat(egress.written()).isEqualTo(9);
        assertThat(egress.writtenBytes()).isEqualTo(9L * length);
    }

    @Test
    void shouldRecordNothingWithoutOriginsAndClampAClockThatWentBackwards() throws Exception {
        assertThat(egress.broadcast(0, viewers, frame(FrameType.BATCH, 7))).isTrue();
        egress.flush();
        awaitWritten(3);
        assertThat(egress.deliveryLatency.getIntervalHistogram().getTotalCount()).isZero();

        egress.origins((room, first) -> now.get() + 5_000); // "received" after the write: clamped to 0
        assertThat(egress.broadcast(0, viewers, frame(FrameType.BATCH, 8))).isTrue();
        egress.flush();
        awaitWritten(6);
        Histogram h = egress.deliveryLatency.getIntervalHistogram();
        assertThat(h.getTotalCount()).isEqualTo(1);
        assertThat(h.getMaxValue()).isZero();
    }

    /**
     * The timing adds no allocation: bytes allocated per broadcast BATCH, on the fan-out side (this
     * thread: origin lookup, queueing) and on the event loop (drain, write, record), with and without
     * origins. A frame written to an EmbeddedChannel costs the same either way; only the difference
     * is the timing's.
     */
    @Test
    void timingShouldAllocateNothingOnEitherThread() throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long loopThread = group.next().submit(() -> Thread.currentThread().getId()).get();
        // As in production (config/jvm.options): the tests' PARANOID leak detection records a stack
        // trace on every retain and access of a buffer, which is what this would measure otherwise.
        io.netty.util.ResourceLeakDetector.Level level = io.netty.util.ResourceLeakDetector.getLevel();
        io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
        long[] without;
        long[] with;
        try {
            without = allocationPerBatch(threads, loopThread, null);
            with = allocationPerBatch(threads, loopThread, (room, first) -> now.get() - 1_000);
        } finally {
            io.netty.util.ResourceLeakDetector.setLevel(level);
        }
        assertThat(egress.deliveryLatency.getIntervalHistogram().getTotalCount()).as("the timed run recorded")
                .isGreaterThanOrEqualTo(20_000);
        // Nothing per batch on either side (0 B; a boxed long alone would be 16 B).
        assertThat(with[0]).as("fan-out side B/batch, timed vs not: %s vs %s", with[0], without[0])
                .isLessThanOrEqualTo(without[0]).isLessThanOrEqualTo(1);
        assertThat(with[1]).as("event loop B/batch, timed vs not: %s vs %s", with[1], without[1])
                .isLessThanOrEqualTo(without[1] + 1).isLessThanOrEqualTo(1);
    }

    /** {fan-out thread, loop thread} bytes allocated per broadcast batch over 20,000 after a warm-up. */
    private long[] allocationPerBatch(com.sun.management.ThreadMXBean threads, long loopThread, Egress.Origins origins)
            throws Exception {
        egress.origins(origins);
        AtomicLong frames = new AtomicLong();
        EmbeddedChannel ch = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                ((ByteBuf) msg).release(); // counted and freed on the loop: nothing kept, nothing copied
                frames.lazySet(frames.get() + 1);
            }

            @Override
            public void flush(ChannelHandlerContext ctx) {
            }
        });
        Connection[] one = {new Connection(9, ch, 0, 9, 9, "10.0.0.9")};
        int batches = 20_000;
        long[] perBatch = new long[2];
        ByteBuf batch = frame(FrameType.BATCH, 7); // one frame, a reference per broadcast (as the fan-out stage does)
        for (int round = 0; round < 3; round++) { // rounds 0 and 1 warm up (JIT, pools, recyclers)
            long target = frames.get() + batches;
            long self = threads.getCurrentThreadAllocatedBytes();
            long loop = threads.getThreadAllocatedBytes(loopThread);
            for (int i = 0; i < batches; i++) {
                egress.broadcast(0, one, batch.retain());
                if ((i & 63) == 63) {
                    egress.flush();
                    while (egress.queued() > 0) {
                        Thread.onSpinWait();
                    }
                }
            }
            egress.flush();
            while (frames.get() < target) {
                Thread.onSpinWait();
            }
            perBatch[0] = (threads.getCurrentThreadAllocatedBytes() - self) / batches;
            perBatch[1] = (threads.getThreadAllocatedBytes(loopThread) - loop) / batches;
        }
        batch.release();
        ch.finishAndReleaseAll();
        return perBatch;
    }
}
