package dev.danmaku.engine.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;

import java.util.List;

/** Test channels whose writes complete at once and land, unreleased, in a list (flushes do nothing). */
final class RecordingChannel {
    private RecordingChannel() {
    }

    /** A channel that adds every buffer written to it to {@code written} (the caller releases them). */
    static EmbeddedChannel into(List<ByteBuf> written) {
        return new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                written.add((ByteBuf) msg);
                promise.trySuccess();
            }

            @Override
            public void flush(ChannelHandlerContext ctx) {
            }
        });
    }
}
