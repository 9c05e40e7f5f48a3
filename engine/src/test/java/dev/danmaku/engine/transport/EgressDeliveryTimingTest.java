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
        EmbeddedChannel ch = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                written.add((ByteBuf) msg);
                promise.trySuccess();
            }

            @Override
            public void flush(ChannelHandlerContext ctx) {
            }
        });
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
}
