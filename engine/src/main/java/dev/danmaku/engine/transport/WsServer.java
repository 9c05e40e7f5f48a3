package dev.danmaku.engine.transport;

import dev.danmaku.codec.AuthDecoder;
import dev.danmaku.codec.ErrorCode;
import dev.danmaku.codec.FrameEncoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.Protocol;
import dev.danmaku.codec.RoomRequestDecoder;
import dev.danmaku.engine.auth.TokenVerifier;
import dev.danmaku.engine.config.NodeConfig;
import dev.danmaku.engine.ring.EngineWiring;
import dev.danmaku.engine.ring.RingEvent;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The WebSocket transport. Per connection, on its event loop:
 * <pre>
 *  HttpServerCodec -> HttpObjectAggregator(8 KiB) -> Gate (per-address limit, Origin, handshake
 *  deadline) -> WebSocketServerProtocolHandler (path, max frame, no extensions) -> IdleStateHandler
 *  -> Inbound (AUTH and HEARTBEAT answered here; every other frame copied into the ring, or BUSY)
 * </pre>
 * Outbound frames come from the fan-out stage through {@link Egress}. Nothing here blocks.
 */
public final class WsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WsServer.class);

    private final NodeConfig config;
    private final EventLoopGroup group;
    private final Class<? extends ServerChannel> channelClass;
    private final EngineWiring ring;
    private final TokenVerifier verifier;
    private final boolean authRequired;
    private final EpochClock clock;
    private final TransportMetrics metrics;
    private final Map<EventLoop, Integer> loopIndex = new IdentityHashMap<>();
    private final Map<Long, AtomicInteger> perAddress = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final Set<String> allowedOrigins;
    private final Gate gate = new Gate();
    private final io.netty.channel.group.ChannelGroup upgraded =
            new io.netty.channel.group.DefaultChannelGroup(io.netty.util.concurrent.GlobalEventExecutor.INSTANCE);
    private volatile boolean accepting = true;
    private Channel serverChannel;

    public WsServer(NodeConfig config, EventLoopGroup group, boolean epoll, EngineWiring ring,
                    TokenVerifier verifier, EpochClock clock, TransportMetrics metrics) {
        this.config = config;
        this.group = group;
        this.channelClass = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        this.ring = ring;
        this.verifier = verifier;
        this.authRequired = config.get(NodeConfig.AUTH_REQUIRED);
        this.clock = clock;
        this.metrics = metrics;
        String origins = config.get(NodeConfig.ALLOWED_ORIGINS).trim();
        this.allowedOrigins = origins.equals("*") ? null
                : new HashSet<>(Arrays.stream(origins.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList());
        int i = 0;
        for (EventExecutor e : group) {
            loopIndex.put((EventLoop) e, i++);
        }
    }

    /** The event loops in index order (the egress queues are built over them). */
    public static EventLoop[] loops(EventLoopGroup group) {
        int n = 0;
        for (EventExecutor ignored : group) {
            n++;
        }
        EventLoop[] loops = new EventLoop[n];
        int i = 0;
        for (EventExecutor e : group) {
            loops[i++] = (EventLoop) e;
        }
        return loops;
    }

    /** Binds; returns the bound port. */
    public int start() throws InterruptedException {
        int high = config.get(NodeConfig.WRITE_BUFFER_HIGH);
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(channelClass)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(high / 2, high))
                .childHandler(new Initializer());
        serverChannel = b.bind(config.get(NodeConfig.WS_HOST), config.get(NodeConfig.WS_PORT)).sync().channel();
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /**
     * Stops accepting new connections and new frames (graceful shutdown): existing connections stay
     * open, their frames are answered SHUTTING_DOWN. On return no event loop will publish to the
     * ring any more, so a drain that starts now is final.
     */
    public void stopAccepting() {
        accepting = false;
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        // A frame being handled when the flag flipped may still be publishing: wait for every loop
        // to finish its current task.
        for (EventExecutor e : group) {
            if (!e.inEventLoop() && !e.isShuttingDown()) {
                e.submit(() -> { }).syncUninterruptibly();
            }
        }
    }

    /** Tells every open connection SHUTTING_DOWN (retry after 1 s, elsewhere or here) and closes it. */
    public void closeAll() {
        UnsafeBuffer w = new UnsafeBuffer(new byte[64]);
        int n = FrameEncoder.error(w, 0, ErrorCode.SHUTTING_DOWN, 0, 0, 0, 1000);
        for (Channel ch : upgraded) {
            ch.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(w.byteArray(), 0, n)))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void close() {
        stopAccepting();
    }

    private final class Initializer extends ChannelInitializer<SocketChannel> {
        @Override
        protected void initChannel(SocketChannel ch) {
            WebSocketServerProtocolConfig ws = WebSocketServerProtocolConfig.newBuilder()
                    .websocketPath(config.get(NodeConfig.WS_PATH))
                    .maxFramePayloadLength(config.get(NodeConfig.MAX_FRAME_BYTES))
                    .allowExtensions(false)
                    .handshakeTimeoutMillis(config.get(NodeConfig.HANDSHAKE_TIMEOUT_MS))
                    .checkStartsWith(false)
                    .dropPongFrames(true)
                    .build();
            long idle = config.get(NodeConfig.IDLE_TIMEOUT_MS);
            ch.pipeline()
                    .addLast(new HttpServerCodec(4096, 8192, 8192))
                    .addLast(new HttpObjectAggregator(8192))
                    .addLast(gate)
                    .addLast(new WebSocketServerProtocolHandler(ws))
                    .addLast(new IdleStateHandler(idle, 0, 0, TimeUnit.MILLISECONDS))
                    .addLast(new Inbound());
        }
    }

    private static long addressKey(InetAddress address) {
        byte[] a = address.getAddress();
        if (address instanceof Inet4Address) {
            return ((a[0] & 0xFFL) << 24) | ((a[1] & 0xFFL) << 16) | ((a[2] & 0xFFL) << 8) | (a[3] & 0xFFL);
        }
        long h = 0x9E3779B97F4A7C15L;
        for (byte x : a) {
            h = (h ^ (x & 0xFF)) * 0x100000001B3L;
        }
        return h | Long.MIN_VALUE; // never collides with an IPv4 key
    }

    /** Per-address connection limit, Origin allow-list and handshake deadline; sharable. */
    @ChannelHandler.Sharable
    private final class Gate extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
            long key = addressKey(remote.getAddress());
            AtomicInteger count = perAddress.computeIfAbsent(key, k -> new AtomicInteger());
            int n = count.incrementAndGet();
            ctx.channel().closeFuture().addListener(f -> {
                if (count.decrementAndGet() == 0) {
                    perAddress.remove(key, count);
                }
            });
            if (!accepting || n > config.get(NodeConfig.MAX_CONNECTIONS_PER_IP)) {
                metrics.refusedPerAddress.increment();
                respond(ctx, accepting ? HttpResponseStatus.TOO_MANY_REQUESTS : HttpResponseStatus.SERVICE_UNAVAILABLE,
                        accepting ? "error 403 TOO_MANY_CONNECTIONS: too many connections from this address"
                                : "error 406 SHUTTING_DOWN: node shutting down");
                return;
            }
            metrics.accepted.increment();
            metrics.open.incrementAndGet();
            ctx.channel().closeFuture().addListener(f -> metrics.open.decrementAndGet());
            // Slowloris: a connection that has not upgraded by the deadline is closed.
            long deadline = config.get(NodeConfig.HANDSHAKE_TIMEOUT_MS);
            ScheduledFuture<?> timeout = ctx.executor().schedule(() -> {
                if (ctx.channel().isActive() && ctx.pipeline().get(Gate.class) != null) {
                    metrics.handshakeTimeouts.increment();
                    ctx.close();
                }
            }, deadline, TimeUnit.MILLISECONDS);
            ctx.channel().closeFuture().addListener(f -> timeout.cancel(false));
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof FullHttpRequest req && allowedOrigins != null) {
                String origin = req.headers().get(HttpHeaderNames.ORIGIN);
                if (origin != null && !allowedOrigins.contains(origin)) {
                    ReferenceCountUtil.release(msg);
                    metrics.refusedOrigin.increment();
                    respond(ctx, HttpResponseStatus.FORBIDDEN, "origin not allowed");
                    return;
                }
            }
            ctx.fireChannelRead(msg);
        }

        private void respond(ChannelHandlerContext ctx, HttpResponseStatus status, String text) {
            DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.copiedBuffer(text + "\n", StandardCharsets.UTF_8));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
            res.headers().set(HttpHeaderNames.CONNECTION, "close");
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Frames of one upgraded connection. */
    private final class Inbound extends ChannelInboundHandlerAdapter {
        private final AuthDecoder auth = new AuthDecoder();
        private final RoomRequestDecoder heartbeat = new RoomRequestDecoder();
        private Connection connection;
        private boolean disconnectPublished;

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
                Channel ch = ctx.channel();
                InetSocketAddress remote = (InetSocketAddress) ch.remoteAddress();
                InetAddress a = remote.getAddress();
                int ipv4 = a instanceof Inet4Address ? (int) addressKey(a) : 0;
                connection = new Connection(ids.incrementAndGet(), ch, loopIndex.get(ch.eventLoop()), addressKey(a),
                        ipv4, remote.toString());
                connection.upgraded = true;
                connection.rawOut = ch.pipeline().context(WebSocketFrameEncoder.class);
                upgraded.add(ch);
                // The Gate sits before the protocol handler, so HandshakeComplete (fired towards the
                // tail) never reaches it: remove it here, or its handshake deadline closes this
                // upgraded connection.
                if (ch.pipeline().get(Gate.class) != null) {
                    ch.pipeline().remove(gate);
                }
            } else if (evt instanceof IdleStateEvent idle && idle.state() == IdleState.READER_IDLE) {
                metrics.idleTimeouts.increment();
                sendError(ctx, ErrorCode.IDLE_TIMEOUT, 0, 0, 0, true);
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof FullHttpRequest req) {
                // Not the WebSocket path (or not an upgrade): this server speaks nothing else.
                req.release();
                DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                        HttpResponseStatus.NOT_FOUND, Unpooled.copiedBuffer("WebSocket endpoint is "
                        + config.get(NodeConfig.WS_PATH) + "\n", StandardCharsets.UTF_8));
                res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
                ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            if (!(msg instanceof WebSocketFrame frame)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            try {
                if (!(frame instanceof BinaryWebSocketFrame)) {
                    sendError(ctx, ErrorCode.UNEXPECTED_TYPE, 0, 0, 0, true);
                    return;
                }
                onFrame(ctx, frame.content());
            } finally {
                frame.release();
            }
        }

        private void onFrame(ChannelHandlerContext ctx, ByteBuf content) {
            metrics.framesIn.increment();
            int length = content.readableBytes();
            metrics.receivedBytes.add(WsFraming.headerLength(length) + 4 + length); // client frames carry a 4-byte mask
            int type = length >= Protocol.PREAMBLE_LENGTH ? content.getUnsignedByte(content.readerIndex() + 3) : 0;
            if (type == FrameType.AUTH.code()) {
                onAuth(ctx, content);
                return;
            }
            if (type == FrameType.HEARTBEAT.code() && length == RoomRequestDecoder.LENGTH) {
                onHeartbeat(ctx, content);
                return;
            }
            if (!accepting) {
                // Shutting down: the ring is being drained; anything published now would be ACKed
                // after the final seal and never delivered live.
                sendError(ctx, ErrorCode.SHUTTING_DOWN, type, timestampOf(content), 1000, false);
                return;
            }
            if (length > RingEvent.SLOT_BYTES) {
                metrics.oversized.increment();
                sendError(ctx, ErrorCode.FRAME_TOO_LARGE, type, 0, 0, true);
                return;
            }
            if (authRequired && connection.userId == 0 && type == FrameType.BULLET.code()) {
                metrics.unauthenticated.increment();
                sendError(ctx, ErrorCode.UNAUTHENTICATED, type, timestampOf(content), 0, false);
                return;
            }
            if (!ring.tryPublishFrame(connection, content, connection.userId, connection.userLevel)) {
                metrics.busy.increment();
                sendError(ctx, ErrorCode.BUSY, type, timestampOf(content), 100, false);
            }
        }

        private long timestampOf(ByteBuf content) {
            return content.readableBytes() >= 12 ? Math.max(0, content.getLong(content.readerIndex() + 4)) : 0;
        }

        private void onHeartbeat(ChannelHandlerContext ctx, ByteBuf content) {
            UnsafeBuffer in = view(content);
            if (heartbeat.wrap(in, 0, content.readableBytes()) != Protocol.OK) {
                sendError(ctx, ErrorCode.INVALID_FIELD, FrameType.HEARTBEAT.code(), 0, 0, true);
                return;
            }
            ByteBuf out = ctx.alloc().buffer(RoomRequestDecoder.LENGTH);
            UnsafeBuffer w = new UnsafeBuffer(new byte[RoomRequestDecoder.LENGTH]);
            FrameEncoder.roomRequest(w, 0, FrameType.HEARTBEAT, clock.time(), connection.userId, 0);
            out.writeBytes(w.byteArray());
            ctx.writeAndFlush(new BinaryWebSocketFrame(out));
        }

        private void onAuth(ChannelHandlerContext ctx, ByteBuf content) {
            UnsafeBuffer in = view(content);
            int status = auth.wrap(in, 0, content.readableBytes());
            if (status != Protocol.OK) {
                sendError(ctx, ErrorCode.of(status), FrameType.AUTH.code(), 0, 0, true);
                return;
            }
            if (verifier == null) {
                metrics.authFailed.increment();
                sendError(ctx, ErrorCode.AUTH_FAILED, FrameType.AUTH.code(), auth.timestamp(), 0, false,
                        "authentication is not configured on this node");
                return;
            }
            TokenVerifier.Result r = verifier.verify(auth.token(), clock.time());
            if (r.identity() == null) {
                metrics.authFailed.increment();
                sendError(ctx, r.error(), FrameType.AUTH.code(), auth.timestamp(), 0, false, r.reason());
                return;
            }
            metrics.authOk.increment();
            connection.userId = r.identity().userId();
            connection.userLevel = r.identity().level();
            connection.authExpiresAtMs = r.identity().expiresAtMs();
            UnsafeBuffer w = new UnsafeBuffer(new byte[32]);
            int n = FrameEncoder.authOk(w, 0, connection.userId, connection.userLevel, connection.authExpiresAtMs);
            ctx.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(w.byteArray(), 0, n)));
        }

        private UnsafeBuffer view(ByteBuf content) {
            byte[] bytes = new byte[content.readableBytes()];
            content.getBytes(content.readerIndex(), bytes);
            return new UnsafeBuffer(bytes);
        }

        private void sendError(ChannelHandlerContext ctx, ErrorCode code, int refType, long refTs, long retryAfterMs,
                               boolean close) {
            sendError(ctx, code, refType, refTs, retryAfterMs, close, code.message());
        }

        private void sendError(ChannelHandlerContext ctx, ErrorCode code, int refType, long refTs, long retryAfterMs,
                               boolean close, String reason) {
            UnsafeBuffer w = new UnsafeBuffer(new byte[29 + Protocol.MAX_REASON_LENGTH]);
            int n = FrameEncoder.error(w, 0, code.code(), refType, refTs, 0, retryAfterMs,
                    reason.length() > 200 ? reason.substring(0, 200) : reason);
            var f = ctx.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(w.byteArray(), 0, n)));
            if (close) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            publishDisconnect(ctx);
            ctx.fireChannelInactive();
        }

        /** The fan-out stage must forget this connection; retry later if the ring is momentarily full. */
        private void publishDisconnect(ChannelHandlerContext ctx) {
            if (connection == null || disconnectPublished) {
                return;
            }
            if (ring.tryPublishControl(RingEvent.KIND_DISCONNECT, connection)) {
                disconnectPublished = true;
            } else {
                ctx.executor().schedule(() -> publishDisconnect(ctx), 1, TimeUnit.MILLISECONDS);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("connection {} failed: {}", connection, cause.toString());
            ctx.close();
        }
    }
}
