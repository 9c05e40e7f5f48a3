package dev.danmaku.perf.ring;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;

/**
 * The far end of a benchmark connection: an {@link EmbeddedChannel} whose pipeline counts and releases
 * every frame written to it, so the Egress drain runs its real code (pipeline write and flush,
 * {@code retainedDuplicate}, release) but no socket and no reader thread is measured.
 *
 * <p>Thread: after construction the channel is only touched by the Netty event loop that drains the
 * Egress queue. {@code EmbeddedEventLoop.inEventLoop()} is always true, so writes from that loop run
 * inline. Counters are plain fields written by that loop and read racily for reports.
 */
final class DiscardingSink {
    final EmbeddedChannel channel;
    private final Counter counter = new Counter();

    DiscardingSink() {
        channel = new EmbeddedChannel(counter);
    }

    /** Frames written so far (racy read). */
    long frames() {
        return counter.frames;
    }

    /** Bytes written so far, WebSocket headers included (racy read). */
    long bytes() {
        return counter.bytes;
    }

    void close() {
        channel.finishAndReleaseAll();
    }

    @ChannelHandler.Sharable
    private static final class Counter extends ChannelOutboundHandlerAdapter {
        long frames;
        long bytes;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            frames++;
            if (msg instanceof ByteBuf b) {
                bytes += b.readableBytes();
            }
            ReferenceCountUtil.release(msg);
            promise.trySuccess();
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            // Nothing reaches the channel's outbound buffer; a flush has nothing to do.
        }
    }
}
