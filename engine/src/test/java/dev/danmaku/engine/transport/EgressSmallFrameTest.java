package dev.danmaku.engine.transport;

import dev.danmaku.codec.AckDecoder;
import dev.danmaku.codec.FrameEncoder;
import dev.danmaku.codec.Protocol;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.nio.NioIoHandler;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * ACKs through the egress: written into slabs by the fan-out thread, cut into frames on a real event
 * loop and written to a channel whose pipeline keeps them.
 */
class EgressSmallFrameTest {
    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Egress egress = new Egress(new EventLoop[] {group.next()}, 1 << 16,
            new PooledByteBufAllocator(true), SystemNanoClock.INSTANCE, 1_000_000_000L);
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private final List<ByteBuf> written = new CopyOnWriteArrayList<>();
    private final EmbeddedChannel channel = RecordingChannel.into(written);
    private final Connection target = new Connection(1, channel, 0, 1, 1, "10.0.0.1");

    @AfterEach
    void stop() {
        written.forEach(ByteBuf::release);
        egress.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private boolean ack(long sequence) {
        egress.beginSmall(view, AckDecoder.LENGTH);
        int n = FrameEncoder.ack(view, 0, 1_700_000_000_000L + sequence, 42, 1, sequence, 0);
        return egress.unicastSmall(target, n);
    }

    private void awaitWritten(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (written.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertThat(written).hasSize(count);
    }

    @Test
    void shouldDeliverEachAckAsACompleteWebSocketFrameInOrderAcrossSlabs() throws Exception {
        int count = 3 * (Egress.SLAB_BYTES / (2 + AckDecoder.LENGTH));
        IdentityHashMap<ByteBuf, Boolean> slabs = new IdentityHashMap<>();
        for (int i = 1; i <= count; i++) {
            assertThat(ack(i)).isTrue();
            slabs.put(egress.slab(), true);
            if (i % 100 == 0) {
                egress.flush();
            }
        }
        egress.flush();
        awaitWritten(count);
        AckDecoder ack = new AckDecoder();
        for (int i = 1; i <= count; i++) {
            ByteBuf f = written.get(i - 1);
            assertThat(f.readableBytes()).isEqualTo(2 + AckDecoder.LENGTH);
            assertThat(f.getUnsignedByte(f.readerIndex()) & 0xFF).as("FIN + binary").isEqualTo(0x82);
            assertThat(f.getUnsignedByte(f.readerIndex() + 1) & 0xFF).as("unmasked length").isEqualTo(AckDecoder.LENGTH);
            byte[] payload = new byte[AckDecoder.LENGTH];
            f.getBytes(f.readerIndex() + 2, payload);
            assertThat(ack.wrap(new UnsafeBuffer(payload), 0, payload.length)).isEqualTo(Protocol.OK);
            assertThat(ack.sequence()).as("frame %d", i).isEqualTo(i);
        }
        assertThat(slabs).as("one pooled slab per ~420 ACKs").hasSize(3);
        List<ByteBuf> frames = new ArrayList<>(written);
        written.clear();
        frames.forEach(ByteBuf::release);
        egress.close();
        slabs.keySet().forEach(slab -> assertThat(slab.refCnt()).as("slab returned to the pool").isZero());
    }

    @Test
    void shouldKeepASlabAliveUntilItsLastFrameIsReleased() throws Exception {
        ack(1);
        ByteBuf slab = egress.slab();
        egress.flush();
        awaitWritten(1);
        egress.close();
        assertThat(slab.refCnt()).as("held by the written frame").isPositive();
        written.remove(0).release();
        assertThat(slab.refCnt()).isZero();
    }

    @Test
    void shouldDropAndCountWhenTheLoopQueueIsFullWithoutLeakingTheSlab() throws Exception {
        Egress tiny = new Egress(new EventLoop[] {group.next()}, 1024, new PooledByteBufAllocator(true),
                SystemNanoClock.INSTANCE, 1_000_000_000L);
        int accepted = 0;
        IdentityHashMap<ByteBuf, Boolean> slabs = new IdentityHashMap<>();
        for (int i = 0; i < 5_000; i++) {
            tiny.beginSmall(view, AckDecoder.LENGTH);
            int n = FrameEncoder.ack(view, 0, 1, 42, 1, i, 0);
            if (tiny.unicastSmall(target, n)) {
                accepted++;
            }
            slabs.put(tiny.slab(), true);
        }
        assertThat(accepted).isEqualTo(1024);
        assertThat(tiny.dropped()).isEqualTo(5_000 - 1024);
        tiny.flush();
        awaitWritten(1024);
        tiny.close();
        List<ByteBuf> frames = new ArrayList<>(written);
        written.clear();
        frames.forEach(ByteBuf::release);
        slabs.keySet().forEach(slab -> assertThat(slab.refCnt()).as("no reference left behind by a drop").isZero());
    }

    @Test
    void shouldRejectFramesThatNeedALongerHeader() {
        assertThatThrownBy(() -> egress.beginSmall(view, Egress.MAX_SMALL_FRAME + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
