package dev.danmaku.engine.transport;

import dev.danmaku.codec.AckDecoder;
import dev.danmaku.codec.FrameEncoder;
import dev.danmaku.codec.Protocol;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoop;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EgressSmallFrameTest {
    private final Egress egress = new Egress(new EventLoop[0], 16, new PooledByteBufAllocator(true),
            SystemNanoClock.INSTANCE, 1_000_000_000L);
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);

    private ByteBuf ack(long sequence) {
        egress.beginSmall(view, AckDecoder.LENGTH);
        int n = FrameEncoder.ack(view, 0, 1_700_000_000_000L + sequence, 42, 1, sequence, 0);
        return egress.endSmall(n);
    }

    @Test
    void shouldCutEachAckAsACompleteWebSocketFrameAcrossSlabs() {
        List<ByteBuf> frames = new ArrayList<>();
        int count = 3 * Egress.SLAB_BYTES / (2 + AckDecoder.LENGTH);
        IdentityHashMap<ByteBuf, Boolean> slabs = new IdentityHashMap<>();
        for (int i = 1; i <= count; i++) {
            frames.add(ack(i));
            slabs.put(egress.slab(), true);
        }
        AckDecoder ack = new AckDecoder();
        for (int i = 1; i <= count; i++) {
            ByteBuf f = frames.get(i - 1);
            assertThat(f.readableBytes()).isEqualTo(2 + AckDecoder.LENGTH);
            assertThat((int) f.getUnsignedByte(f.readerIndex())).as("FIN + binary").isEqualTo(0x82);
            assertThat((int) f.getUnsignedByte(f.readerIndex() + 1)).as("unmasked length").isEqualTo(AckDecoder.LENGTH);
            byte[] payload = new byte[AckDecoder.LENGTH];
            f.getBytes(f.readerIndex() + 2, payload);
            assertThat(ack.wrap(new UnsafeBuffer(payload), 0, payload.length)).isEqualTo(Protocol.OK);
            assertThat(ack.sequence()).as("frame %d", i).isEqualTo(i);
            assertThat(ack.timestamp()).isEqualTo(1_700_000_000_000L + i);
        }
        assertThat(slabs).as("one pooled slab per ~420 ACKs").hasSize(3);
        frames.forEach(ByteBuf::release);
        egress.close();
        slabs.keySet().forEach(slab -> assertThat(slab.refCnt()).as("slab returned to the pool").isZero());
    }

    @Test
    void shouldKeepASlabAliveUntilItsLastFrameIsReleased() {
        ByteBuf first = ack(1);
        ByteBuf slab = egress.slab();
        assertThat(slab.refCnt()).as("the egress and the frame").isEqualTo(2);
        egress.close();
        assertThat(slab.refCnt()).as("held by the unreleased frame").isPositive();
        first.release();
        assertThat(slab.refCnt()).isZero();
    }

    @Test
    void shouldRejectFramesThatNeedALongerHeader() {
        assertThatThrownBy(() -> egress.beginSmall(view, Egress.MAX_SMALL_FRAME + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
