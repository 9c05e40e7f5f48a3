package dev.danmaku.perf.harness;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The harness's WebSocket client: a few Netty event loops (epoll when available) carrying every
 * connection of this process, not one thread per connection. Each connection's pipeline is
 * {@code HttpClientCodec -> HttpObjectAggregator -> WebSocketClientProtocolHandler -> Peer}.
 * Connections are bound to source addresses 127.0.0.2, .3, ... in turn (when asked), so that a
 * single destination port does not run out of ephemeral ports, and at most
 * {@value #MAX_CONNECTING} connects are in flight. Thread-safe.
 */
public final class LoadClient implements AutoCloseable {
    /** Connections in the middle of the TCP + WebSocket handshake at once. */
    public static final int MAX_CONNECTING = 512;

    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    private final InetAddress[] sources;
    private final Semaphore connecting = new Semaphore(MAX_CONNECTING);
    private long next;

    /**
     * @param ioThreads       event loops
     * @param sourceAddresses bind to 127.0.0.2 .. 127.0.0.(n+1); 0 = the OS picks
     */
    public LoadClient(int ioThreads, int sourceAddresses) throws UnknownHostException {
        boolean epoll = Epoll.isAvailable();
        group = new MultiThreadIoEventLoopGroup(ioThreads, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        bootstrap = new Bootstrap().group(group)
                .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1 << 20, 4 << 20));
        sources = new InetAddress[sourceAddresses];
        for (int i = 0; i < sourceAddresses; i++) {
            sources[i] = InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (2 + i)});
        }
    }

    public EventLoopGroup group() {
        return group;
    }

    /**
     * Opens one connection to {@code node} with {@code peer} at the end of its pipeline. Blocks
     * while {@value #MAX_CONNECTING} connects are in flight; {@code peer.ready()} completes once
     * the peer is usable (or exceptionally).
     */
    public ChannelFuture connect(URI node, Peer peer) throws InterruptedException {
        return connect(node, peer, null);
    }

    /**
     * As {@link #connect(URI, Peer)}, with the connection registered on {@code loop} (one of
     * {@link #group()}'s) instead of the next one: a {@link Sender}'s connections share its loop, so that
     * everything it owns stays on one thread. Null = the next loop.
     */
    public ChannelFuture connect(URI node, Peer peer, EventLoop loop) throws InterruptedException {
        if (!connecting.tryAcquire(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("connects stalled: " + MAX_CONNECTING + " in flight for 30 s");
        }
        peer.ready().whenComplete((p, e) -> connecting.release());
        WebSocketClientProtocolConfig ws = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(node)
                .version(WebSocketVersion.V13)
                .maxFramePayloadLength(2 << 20)
                .handshakeTimeoutMillis(15_000)
                .absoluteUpgradeUrl(false)
                .dropPongFrames(true)
                .build();
        Bootstrap base = loop == null ? bootstrap.clone() : bootstrap.clone(loop);
        Bootstrap b = base.handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(8192),
                        new WebSocketClientProtocolHandler(ws), peer);
            }
        });
        InetSocketAddress remote = new InetSocketAddress(node.getHost(), node.getPort());
        ChannelFuture f;
        synchronized (this) {
            f = sources.length == 0 ? b.connect(remote)
                    : b.connect(remote, new InetSocketAddress(sources[(int) (next++ % sources.length)], 0));
        }
        f.addListener(done -> {
            if (!done.isSuccess()) {
                peer.failed(done.cause());
            }
        });
        return f;
    }

    /** Closes every connection and stops the event loops (waits up to 5 s). */
    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
