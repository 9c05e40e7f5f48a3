package dev.danmaku.tools.client;

import dev.danmaku.codec.AckDecoder;
import dev.danmaku.codec.BatchDecoder;
import dev.danmaku.codec.BulletView;
import dev.danmaku.codec.ErrorCode;
import dev.danmaku.codec.ErrorDecoder;
import dev.danmaku.codec.FrameDecoder;
import dev.danmaku.codec.FrameEncoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.JoinDecoder;
import dev.danmaku.codec.JoinedDecoder;
import dev.danmaku.codec.Protocol;
import dev.danmaku.codec.RankingDecoder;
import dev.danmaku.codec.RedirectDecoder;
import dev.danmaku.codec.RoomInfoDecoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.agrona.concurrent.UnsafeBuffer;

import javax.net.ssl.SSLException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A danmaku protocol client over one WebSocket connection (binary messages, one frame each), with
 * heartbeats, reconnect with exponential backoff, REDIRECT/MOVED following, resume without loss or
 * duplicates for joined rooms, and resend of unacknowledged bullets with their original timestamps.
 *
 * <h2>Threads</h2>
 * The client owns one Netty NIO event loop thread ({@code danmaku-client-*}). All state (pending
 * requests, {@link RoomCursor}s, the decoder) belongs to that thread. The public methods are safe
 * from any thread: they hand their work to the event loop and return a future. The
 * {@link DanmakuListener} and every future's completion run on the event loop: do not block there
 * (use the {@code ...Async} stages of {@link CompletableFuture} for slow work).
 *
 * <h2>Correlation</h2>
 * <ul>
 *   <li>BULLET: the client gives each bullet a timestamp {@code max(now, last + 1)}
 *       ({@link BulletTimestamps}); ACK or ERROR (ref type BULLET) carry it back.</li>
 *   <li>CREATE_ROOM / CHECK_ROOM: by the request's timestamp, which ROOM_INFO echoes.</li>
 *   <li>JOIN: by room (JOINED and ERROR/REDIRECT carry the room id). AUTH: in order.</li>
 * </ul>
 *
 * <h2>Connection loss</h2>
 * When a live connection drops (closed, or no inbound frame for 3 heartbeat intervals), the client
 * retries with {@link Backoff} (default 3 tries: about 200, 400, 800 ms). On reconnect it sends, in
 * this order: AUTH (if a token was given), a JOIN for every joined room (RESUME from the cursor's
 * position, or the original fresh JOIN if none was answered yet), the unanswered room requests, and
 * every unacknowledged bullet with its original timestamp (the node answers ACK with RETRY rather
 * than storing it twice). After the last try every pending future fails with a
 * {@link DanmakuException} and {@link DanmakuListener#onClosed} reports why. A non-retriable
 * ERROR that the node sends before closing (bad frame, authentication) stops the client instead of
 * reconnecting. The first {@link #connect} does not retry: it fails fast.
 *
 * <p>Futures never time out by themselves: use {@link CompletableFuture#orTimeout}. Unacknowledged
 * bullets are bounded by {@link #MAX_PENDING_BULLETS}; beyond it {@link #sendBullet} fails at once.
 *
 * <h2>Clusters (docs/protocol.md 5.8)</h2>
 * One client follows one node: a REDIRECT (the answer to a request for a room the node does not own)
 * or a MOVED (a room migrated) moves the whole connection, with all its rooms, to the address given,
 * at once and without backoff; there, as after any reconnect, every joined room is re-joined with
 * RESUME from its {@link RoomCursor} and every unacknowledged bullet is re-sent with its original
 * timestamp (the owner answers ACK, flagged RETRY if the old owner had journaled it). A connection
 * counts as one hop however many of its requests were redirected; more than
 * {@link ClientConfig#maxRedirects()} hops without a successful reply in between (ACK, JOINED,
 * ROOM_INFO, AUTH_OK, BATCH) is a loop: the client stops with a {@link DanmakuException} saying so.
 * ERROR {@code ROOM_MOVING} or {@code CLUSTER_UNAVAILABLE} answering a BULLET, CREATE_ROOM, CHECK_ROOM or
 * JOIN is retried on the same connection after the node's retry-after hint (the backoff delay when it
 * gives none), at most {@link ClientConfig#reconnectTries()} times per request; after that the request
 * fails with the node's error. Rooms owned by different nodes cannot be served by one client: it
 * would follow each redirect in turn until the hop limit ends it.
 */
public final class DanmakuClient implements AutoCloseable {
    /** Unacknowledged bullets kept for resend; {@link #sendBullet} fails with back-pressure beyond it. */
    public static final int MAX_PENDING_BULLETS = 10_000;

    private final ClientConfig config;
    private final DanmakuListener listener;
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final BulletTimestamps timestamps;
    private final Backoff backoff;

    // Everything below is owned by the event loop.
    private final FrameDecoder decoder = FrameDecoder.forClient();
    private final UnsafeBuffer in = new UnsafeBuffer(new byte[0]);
    private byte[] inBytes = new byte[4096];
    private final UnsafeBuffer out = new UnsafeBuffer(new byte[Protocol.MAX_CLIENT_FRAME_LENGTH]);
    private final LinkedHashMap<Long, PendingBullet> bullets = new LinkedHashMap<>();
    private final LinkedHashMap<Long, PendingRoomRequest> roomRequests = new LinkedHashMap<>();
    private final LinkedHashMap<Long, RoomCursor> cursors = new LinkedHashMap<>();
    private final Map<Long, CompletableFuture<Joined>> joins = new LinkedHashMap<>();
    private final ArrayDeque<CompletableFuture<AuthOk>> auths = new ArrayDeque<>();
    private String token;
    private CompletableFuture<Void> firstConnect;
    private Channel channel;
    private boolean up;
    private boolean everUp;
    private boolean closed;
    private int attempt;
    private int redirects;
    private long retryAfterHintMs;
    /** ROOM_MOVING / CLUSTER_UNAVAILABLE retries of each room's JOIN, by room (reset by its JOINED). */
    private final Map<Long, Integer> joinRetries = new LinkedHashMap<>();
    private URI redirectTarget;
    private DanmakuException fatal;
    private String lastCause = "connection closed";
    private volatile URI uri;

    /** Creates a client (and its event loop thread); nothing connects until {@link #connect}. */
    public DanmakuClient(ClientConfig config, DanmakuListener listener) {
        this.config = config;
        this.listener = listener;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("danmaku-client", true),
                NioIoHandler.newFactory());
        this.loop = group.next();
        this.timestamps = new BulletTimestamps(config.clock());
        this.backoff = config.backoff();
    }

    /**
     * Connects to a node's WebSocket URL ({@code ws://host:port/path} or {@code wss://...}) within the
     * connect timeout. Does not retry: the future fails with a {@link DanmakuException} naming the cause.
     */
    public CompletableFuture<Void> connect(URI target) {
        checkUri(target);
        CompletableFuture<Void> f = new CompletableFuture<>();
        run(f, () -> {
            if (firstConnect != null) {
                f.completeExceptionally(new IllegalStateException("connect was already called"));
                return;
            }
            firstConnect = f;
            uri = target;
            open(target);
        });
        return f;
    }

    /** The URL of the node the client talks to now (changes on REDIRECT/MOVED), or null before connect. */
    public URI uri() {
        return uri;
    }

    /**
     * Sends a bullet. The future completes with the ACK, or fails with a {@link DanmakuException}
     * holding the node's ERROR (e.g. {@code RATE_LIMITED}: the caller may send it again later), or
     * the reason it could not be delivered. Queued while reconnecting; resent after a reconnect (or a
     * REDIRECT) with the same timestamp; ROOM_MOVING and CLUSTER_UNAVAILABLE are retried (see the class
     * comment) before they fail it.
     *
     * @throws IllegalArgumentException if a field breaks the protocol's limits ({@link #checkBullet})
     */
    public CompletableFuture<Ack> sendBullet(long room, String name, String content, String color) {
        String problem = checkBullet(room, name, content, color);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        CompletableFuture<Ack> f = new CompletableFuture<>();
        run(f, () -> {
            if (bullets.size() >= MAX_PENDING_BULLETS) {
                f.completeExceptionally(new DanmakuException("too many unacknowledged bullets ("
                        + MAX_PENDING_BULLETS + ")", null));
                return;
            }
            PendingBullet b = new PendingBullet(timestamps.next(), room, name, content, color, f);
            bullets.put(b.timestamp, b);
            if (up) {
                writeBullet(b);
            }
        });
        return f;
    }

    /** CREATE_ROOM (idempotent): the ROOM_INFO says whether this request created it. */
    public CompletableFuture<RoomInfo> createRoom(long room) {
        return roomRequest(FrameType.CREATE_ROOM, room);
    }

    /** CHECK_ROOM: ROOM_INFO with {@code exists} false for an unknown room. */
    public CompletableFuture<RoomInfo> checkRoom(long room) {
        return roomRequest(FrameType.CHECK_ROOM, room);
    }

    /**
     * Joins a room live, first receiving up to {@code history} recent bullets (0-10,000). Bullets go to
     * {@link DanmakuListener#onBullet}; the future completes with the first JOINED.
     */
    public CompletableFuture<Joined> join(long room, int history) {
        if (history < 0 || history > Protocol.MAX_JOIN_HISTORY) {
            throw new IllegalArgumentException("history must be 0.." + Protocol.MAX_JOIN_HISTORY + ", not " + history);
        }
        return join(new RoomCursor(checkRoom0(room), history));
    }

    /** Joins a room resuming after ({@code epoch}, {@code lastSeq}), a position the application kept. */
    public CompletableFuture<Joined> resume(long room, long epoch, long lastSeq) {
        return join(RoomCursor.resumingFrom(checkRoom0(room), epoch, lastSeq));
    }

    /** Leaves a room: no more bullets, no resume on reconnect. LEAVE has no answer. */
    public void leave(long room) {
        execute(() -> {
            if (cursors.remove(room) == null) {
                return;
            }
            joinRetries.remove(room);
            CompletableFuture<Joined> f = joins.remove(room);
            if (f != null) {
                f.completeExceptionally(new DanmakuException("left room " + Long.toUnsignedString(room), null));
            }
            if (up) {
                write(FrameEncoder.roomRequest(out, 0, FrameType.LEAVE, config.clock().time(), config.userId(), room));
            }
        });
    }

    /**
     * Authenticates the connection with a signed token (compact JWS, printable ASCII, 1-2,048 bytes).
     * The token is presented again after every reconnect.
     */
    public CompletableFuture<AuthOk> auth(String authToken) {
        if (authToken.isEmpty() || authToken.length() > Protocol.MAX_TOKEN_LENGTH
                || !authToken.chars().allMatch(c -> c >= 0x21 && c <= 0x7E)) {
            throw new IllegalArgumentException("token must be 1.." + Protocol.MAX_TOKEN_LENGTH
                    + " printable ASCII characters");
        }
        CompletableFuture<AuthOk> f = new CompletableFuture<>();
        run(f, () -> {
            token = authToken;
            auths.add(f);
            if (up) {
                writeAuth();
            }
        });
        return f;
    }

    /**
     * Stops the client: fails every pending future, closes the connection, stops the event loop.
     * Safe to call more than once and from any thread, the listener included.
     */
    @Override
    public void close() {
        try {
            loop.execute(() -> shutDown(null));
        } catch (RejectedExecutionException alreadyStopped) {
            return;
        }
        if (!loop.inEventLoop()) {
            group.terminationFuture().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
    }

    /**
     * Checks a bullet against the protocol's limits before it is queued.
     *
     * @return null if valid, else one line saying what is wrong
     */
    public static String checkBullet(long room, String name, String content, String color) {
        if (room == 0) {
            return "room id must not be 0";
        }
        int n = name.getBytes(StandardCharsets.UTF_8).length;
        if (n > Protocol.MAX_NAME_LENGTH) {
            return "name is " + n + " bytes, the limit is " + Protocol.MAX_NAME_LENGTH;
        }
        int c = content.getBytes(StandardCharsets.UTF_8).length;
        if (c == 0) {
            return "text is empty";
        }
        if (c > Protocol.MAX_CONTENT_LENGTH) {
            return "text is " + c + " bytes, the limit is " + Protocol.MAX_CONTENT_LENGTH;
        }
        int k = color.getBytes(StandardCharsets.UTF_8).length;
        if (k > Protocol.MAX_COLOR_LENGTH) {
            return "color is " + k + " bytes, the limit is " + Protocol.MAX_COLOR_LENGTH;
        }
        return null;
    }

    // ---------------------------------------------------------------- requests (event loop)

    private CompletableFuture<RoomInfo> roomRequest(FrameType type, long room) {
        checkRoom0(room);
        CompletableFuture<RoomInfo> f = new CompletableFuture<>();
        run(f, () -> {
            PendingRoomRequest r = new PendingRoomRequest(type, timestamps.next(), room, f);
            roomRequests.put(r.timestamp, r);
            if (up) {
                writeRoomRequest(r);
            }
        });
        return f;
    }

    private CompletableFuture<Joined> join(RoomCursor cursor) {
        CompletableFuture<Joined> f = new CompletableFuture<>();
        run(f, () -> {
            if (cursors.containsKey(cursor.room())) {
                f.completeExceptionally(new IllegalStateException("room " + Long.toUnsignedString(cursor.room())
                        + " is already joined"));
                return;
            }
            cursors.put(cursor.room(), cursor);
            joins.put(cursor.room(), f);
            if (up) {
                writeJoin(cursor);
            }
        });
        return f;
    }

    private void writeBullet(PendingBullet b) {
        write(FrameEncoder.bullet(out, 0, b.timestamp, config.userId(), b.room, b.name, b.content, b.color));
    }

    private void writeRoomRequest(PendingRoomRequest r) {
        write(FrameEncoder.roomRequest(out, 0, r.type, r.timestamp, config.userId(), r.room));
    }

    private void writeJoin(RoomCursor c) {
        int length = c.positioned()
                ? FrameEncoder.join(out, 0, config.clock().time(), config.userId(), c.room(), JoinDecoder.FLAG_RESUME,
                c.epoch(), c.lastSeq(), 0)
                : FrameEncoder.join(out, 0, config.clock().time(), config.userId(), c.room(), 0, 0, 0, c.history());
        c.joinSent();
        write(length);
    }

    private void writeAuth() {
        write(FrameEncoder.auth(out, 0, config.clock().time(), token));
    }

    /** Writes the first {@code length} bytes of {@link #out} as one binary message. */
    private void write(int length) {
        Channel ch = channel;
        if (ch == null || !up) {
            return;
        }
        ByteBuf buf = ch.alloc().buffer(length);
        buf.writeBytes(out.byteArray(), 0, length);
        ch.writeAndFlush(new BinaryWebSocketFrame(buf)).addListener(CLOSE_ON_WRITE_FAILURE);
    }

    private static final io.netty.channel.ChannelFutureListener CLOSE_ON_WRITE_FAILURE = f -> {
        if (!f.isSuccess()) {
            f.channel().close();
        }
    };

    // ---------------------------------------------------------------- connection (event loop)

    private void open(URI target) {
        final SslContext ssl;
        try {
            ssl = "wss".equalsIgnoreCase(target.getScheme()) ? SslContextBuilder.forClient().build() : null;
        } catch (SSLException e) {
            connectionFailed(null, "TLS setup failed: " + e.getMessage());
            return;
        }
        String host = target.getHost();
        int port = target.getPort() != -1 ? target.getPort() : ssl != null ? 443 : 80;
        WebSocketClientProtocolConfig ws = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(target)
                .version(WebSocketVersion.V13)
                .maxFramePayloadLength(ClientConfig.MAX_INBOUND_MESSAGE_LENGTH)
                .handshakeTimeoutMillis(config.connectTimeoutMs())
                .dropPongFrames(true)
                .build();
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, config.connectTimeoutMs()))
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ChannelPipeline p = ch.pipeline();
                        if (ssl != null) {
                            p.addLast(ssl.newHandler(ch.alloc(), host, port));
                        }
                        p.addLast(new HttpClientCodec(),
                                new HttpObjectAggregator(64 * 1024),
                                new WebSocketClientProtocolHandler(ws),
                                new WebSocketFrameAggregator(ClientConfig.MAX_INBOUND_MESSAGE_LENGTH),
                                new IdleStateHandler(config.deadAfterMs(), 0, 0, TimeUnit.MILLISECONDS),
                                new Handler());
                    }
                });
        ChannelFuture cf = b.connect(host, port);
        channel = cf.channel();
        up = false;
        cf.addListener(f -> {
            if (!f.isSuccess()) {
                connectionFailed(cf.channel(), describe(f.cause()));
            }
        });
    }

    private void onUp(Channel ch) {
        if (ch != channel || closed) {
            ch.close();
            return;
        }
        up = true;
        boolean reconnect = everUp;
        everUp = true;
        retryAfterHintMs = 0;
        long interval = config.heartbeatIntervalMs();
        ScheduledFuture<?> heartbeat = ch.eventLoop().scheduleAtFixedRate(() -> {
            if (ch == channel && up) {
                write(FrameEncoder.roomRequest(out, 0, FrameType.HEARTBEAT, config.clock().time(), config.userId(), 0));
            }
        }, interval, interval, TimeUnit.MILLISECONDS);
        ch.closeFuture().addListener(f -> heartbeat.cancel(false));
        listener.onConnected(uri, reconnect);
        // Replay in dependency order: identity first, then subscriptions, then requests and bullets.
        if (token != null) {
            writeAuth();
        }
        for (RoomCursor c : cursors.values()) {
            writeJoin(c);
        }
        for (PendingRoomRequest r : roomRequests.values()) {
            writeRoomRequest(r);
        }
        for (PendingBullet b : bullets.values()) {
            writeBullet(b);
        }
        if (firstConnect != null && !firstConnect.isDone()) {
            firstConnect.complete(null);
        }
    }

    /** The current channel (connecting or up) is gone, or could not be opened. */
    private void connectionFailed(Channel ch, String cause) {
        if (ch != null && ch != channel) {
            return; // a stale channel (closed after a redirect replaced it)
        }
        channel = null;
        up = false;
        if (closed) {
            return;
        }
        lastCause = cause;
        if (!everUp && redirectTarget == null) {
            shutDown(new DanmakuException("cannot connect to " + uri + ": " + cause, null));
            return;
        }
        if (fatal != null) {
            shutDown(fatal);
            return;
        }
        if (redirectTarget != null) {
            uri = redirectTarget;
            redirectTarget = null;
            open(uri);
            return;
        }
        if (!backoff.allows(attempt)) {
            shutDown(new DanmakuException("connection to " + uri + " lost (" + cause + "); gave up after "
                    + backoff.tries() + " reconnect attempts", null));
            return;
        }
        long delay = Math.max(backoff.delayMs(attempt), retryAfterHintMs);
        retryAfterHintMs = 0;
        attempt++;
        listener.onReconnecting(uri, cause, attempt, backoff.tries(), delay);
        URI target = uri;
        loop.schedule(() -> {
            if (!closed && channel == null) {
                open(target);
            }
        }, delay, TimeUnit.MILLISECONDS);
    }

    /** A reply showed the connection does useful work: the retry and redirect budgets start over. */
    private void progress(boolean reply) {
        attempt = 0;
        if (reply) {
            redirects = 0;
        }
    }

    private void shutDown(DanmakuException cause) {
        if (closed) {
            return;
        }
        closed = true;
        DanmakuException failure = cause != null ? cause : new DanmakuException("client closed", null);
        for (PendingBullet b : bullets.values()) {
            b.future.completeExceptionally(failure);
        }
        bullets.clear();
        for (PendingRoomRequest r : roomRequests.values()) {
            r.future.completeExceptionally(failure);
        }
        roomRequests.clear();
        joins.values().forEach(f -> f.completeExceptionally(failure));
        joins.clear();
        auths.forEach(f -> f.completeExceptionally(failure));
        auths.clear();
        if (firstConnect != null) {
            firstConnect.completeExceptionally(failure);
        }
        Channel ch = channel;
        channel = null;
        up = false;
        if (ch != null && ch.isActive()) {
            ch.writeAndFlush(new CloseWebSocketFrame()).addListener(f -> ch.close());
        } else if (ch != null) {
            ch.close();
        }
        try {
            listener.onClosed(cause);
        } finally {
            decoder.close();
            group.shutdownGracefully(0, 500, TimeUnit.MILLISECONDS);
        }
    }

    // ---------------------------------------------------------------- inbound (event loop)

    private void onFrame(Channel ch, ByteBuf content) {
        if (ch != channel || closed) {
            return;
        }
        int length = content.readableBytes();
        if (inBytes.length < length) {
            inBytes = new byte[Math.max(length, inBytes.length * 2)];
        }
        content.getBytes(content.readerIndex(), inBytes, 0, length);
        in.wrap(inBytes, 0, length);
        int status = decoder.decode(in, 0, length);
        if (status != Protocol.OK) {
            ErrorCode code = ErrorCode.of(status);
            listener.onError(new ServerError(status, 0, 0, 0, 0, "invalid frame from the node: "
                    + (code != null ? code.name() + " (" + code.message() + ")" : "code " + status)));
            ch.close(); // resync through reconnect + resume rather than guess
            return;
        }
        switch (decoder.type()) {
            case ACK -> onAck(decoder.ack());
            case ERROR -> onError(decoder.error());
            case BATCH -> onBatch(decoder.batch());
            case REDIRECT -> onRedirect(ch, decoder.redirect());
            case ROOM_INFO -> onRoomInfo(decoder.roomInfo());
            case RANKING -> onRanking(decoder.ranking());
            case JOINED -> onJoined(decoder.joined());
            case AUTH_OK -> {
                progress(true);
                CompletableFuture<AuthOk> f = auths.poll();
                if (f != null) {
                    f.complete(new AuthOk(decoder.authOk().userId(), decoder.authOk().level(),
                            decoder.authOk().expiresAt()));
                }
            }
            case HEARTBEAT -> progress(false);
            default -> listener.onError(new ServerError(ErrorCode.UNEXPECTED_TYPE.code(), 0, 0, 0, 0,
                    "the node sent a client frame type: " + decoder.type()));
        }
    }

    private void onAck(AckDecoder a) {
        progress(true);
        PendingBullet b = bullets.remove(a.timestamp());
        if (b != null) {
            b.future.complete(new Ack(a.timestamp(), a.roomId(), a.epoch(), a.sequence(), a.retry()));
        }
    }

    private void onError(ErrorDecoder e) {
        ServerError error = new ServerError(e.code(), e.refType(), e.refTimestamp(), e.roomId(), e.retryAfterMs(),
                e.reason());
        boolean frameError = e.code() >= 100 && e.code() < 200;
        boolean sessionError = e.code() >= 400 && e.code() < 500;
        if ((frameError || sessionError || e.refType() == 0) && !error.retriable()) {
            fatal = new DanmakuException(error); // the node closes after it: reconnecting would repeat it
        }
        if (error.retriable()) {
            retryAfterHintMs = Math.max(retryAfterHintMs, e.retryAfterMs());
        }
        FrameType ref = error.refFrameType();
        if (ref != null && moving(e.code()) && retryLater(ref, e.refTimestamp(), e.roomId(), e.retryAfterMs())) {
            return;
        }
        DanmakuException failure = new DanmakuException(error);
        if (ref == FrameType.BULLET) {
            PendingBullet b = bullets.remove(e.refTimestamp());
            if (b != null) {
                b.future.completeExceptionally(failure);
                return;
            }
        } else if (ref == FrameType.CREATE_ROOM || ref == FrameType.CHECK_ROOM) {
            PendingRoomRequest r = roomRequests.remove(e.refTimestamp());
            if (r != null) {
                r.future.completeExceptionally(failure);
                return;
            }
        } else if (ref == FrameType.JOIN) {
            joinRetries.remove(e.roomId());
            RoomCursor c = cursors.remove(e.roomId());
            CompletableFuture<Joined> f = joins.remove(e.roomId());
            if (f != null) {
                f.completeExceptionally(failure);
                return;
            }
            if (c == null) {
                listener.onError(error);
                return;
            }
        } else if (ref == FrameType.AUTH) {
            CompletableFuture<AuthOk> f = auths.poll();
            if (f != null) {
                f.completeExceptionally(failure);
                return;
            }
        }
        listener.onError(error);
    }

    /** The codes that mean "the room is between owners or the cluster is unsure: ask the same node again later". */
    private static boolean moving(int code) {
        return code == ErrorCode.ROOM_MOVING.code() || code == ErrorCode.CLUSTER_UNAVAILABLE.code();
    }

    /**
     * Schedules the request an ERROR ROOM_MOVING / CLUSTER_UNAVAILABLE answered to be sent again on this
     * connection after the hint (a reconnect in between re-sends it anyway); false when it is not pending or
     * its retries are used up.
     */
    private boolean retryLater(FrameType ref, long refTimestamp, long room, long retryAfterMs) {
        Runnable resend;
        int tries;
        if (ref == FrameType.BULLET) {
            PendingBullet b = bullets.get(refTimestamp);
            if (b == null || b.movingRetries >= backoff.tries()) {
                return false;
            }
            tries = b.movingRetries++;
            resend = () -> {
                if (bullets.get(b.timestamp) == b) {
                    writeBullet(b);
                }
            };
        } else if (ref == FrameType.CREATE_ROOM || ref == FrameType.CHECK_ROOM) {
            PendingRoomRequest r = roomRequests.get(refTimestamp);
            if (r == null || r.movingRetries >= backoff.tries()) {
                return false;
            }
            tries = r.movingRetries++;
            resend = () -> {
                if (roomRequests.get(r.timestamp) == r) {
                    writeRoomRequest(r);
                }
            };
        } else if (ref == FrameType.JOIN) {
            RoomCursor c = cursors.get(room);
            int used = joinRetries.getOrDefault(room, 0);
            if (c == null || used >= backoff.tries()) {
                return false;
            }
            joinRetries.put(room, used + 1);
            tries = used;
            resend = () -> {
                if (cursors.get(room) == c) {
                    writeJoin(c); // still awaiting its JOINED: batches meanwhile are discarded
                }
            };
        } else {
            return false;
        }
        long delay = retryAfterMs > 0 ? retryAfterMs : backoff.delayMs(tries);
        Channel ch = channel;
        loop.schedule(() -> {
            if (!closed && ch == channel && up) {
                resend.run();
            }
        }, delay, TimeUnit.MILLISECONDS);
        return true;
    }

    private void onBatch(BatchDecoder batch) {
        progress(true);
        RoomCursor c = cursors.get(batch.roomId());
        if (c == null) {
            return; // left, or never joined: nothing to deliver
        }
        RoomCursor.Step step = c.onBatch(batch.epoch(), batch.firstSequence(), batch.count());
        if (step.discontinuity() != null) {
            listener.onDiscontinuity(step.discontinuity());
        }
        switch (step.action()) {
            case RESUME -> writeJoin(c);
            case DROP -> { }
            case DELIVER -> {
                long now = config.clock().time();
                int index = 0;
                while (batch.next()) {
                    if (index++ < step.skip()) {
                        continue;
                    }
                    BulletView v = batch.entry();
                    listener.onBullet(new Bullet(v.roomId(), batch.epoch(), v.sequence(), v.timestamp(), v.userId(),
                            v.name(), v.content(), v.color(), now));
                }
            }
        }
    }

    private void onRedirect(Channel ch, RedirectDecoder r) {
        if (redirectTarget != null) {
            // This connection is already being left: the other requests it redirects (or rooms it moves) follow
            // along with the first, re-sent or resumed at the target. One hop, one line.
            return;
        }
        Redirect redirect = new Redirect(r.roomId(), r.kind() == RedirectDecoder.KIND_MOVED, r.epoch(), r.address());
        listener.onRedirect(redirect);
        if (++redirects > config.maxRedirects()) {
            shutDown(new DanmakuException("too many redirects: " + redirects + " hops without an answer (the limit is "
                    + config.maxRedirects() + "), the last to " + redirect.address() + "; a redirect loop?", null));
            return;
        }
        URI target;
        try {
            target = new URI(redirect.address());
            checkUri(target);
        } catch (URISyntaxException | IllegalArgumentException e) {
            shutDown(new DanmakuException("the node redirected to an invalid address: " + redirect.address(), null));
            return;
        }
        redirectTarget = target;
        ch.close(); // connectionFailed() then opens the target at once, without backoff
    }

    private void onRoomInfo(RoomInfoDecoder r) {
        progress(true);
        PendingRoomRequest p = roomRequests.remove(r.timestamp());
        if (p != null) {
            p.future.complete(new RoomInfo(r.timestamp(), r.roomId(), r.exists(), r.created(), r.local(), r.viewers(),
                    r.epoch(), r.lastSequence(), r.owner()));
        }
    }

    private void onRanking(RankingDecoder r) {
        List<Ranking.Entry> entries = new ArrayList<>(r.count());
        for (int i = 0; i < r.count(); i++) {
            entries.add(new Ranking.Entry(r.userId(i), r.score(i)));
        }
        listener.onRanking(new Ranking(r.roomId(), r.timestamp(), List.copyOf(entries)));
    }

    private void onJoined(JoinedDecoder j) {
        progress(true);
        RoomCursor c = cursors.get(j.roomId());
        if (c == null) {
            return;
        }
        joinRetries.remove(j.roomId());
        boolean resumed = c.positioned();
        Discontinuity d = c.onJoined(j.epoch(), j.status(), j.nextSequence());
        Joined joined = new Joined(j.roomId(), j.epoch(), Joined.Status.values()[j.status()], j.lastSequence(),
                j.nextSequence(), resumed);
        CompletableFuture<Joined> f = joins.remove(j.roomId());
        if (f != null) {
            f.complete(joined);
        }
        listener.onJoined(joined);
        if (d != null) {
            listener.onDiscontinuity(d);
        }
    }

    /** The pipeline's last handler: handshake, frames, idleness, and the end of the connection. */
    private final class Handler extends ChannelInboundHandlerAdapter {
        private String cause;

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                onUp(ctx.channel());
            } else if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
                cause = "WebSocket handshake timed out after " + config.connectTimeoutMs() + " ms";
                ctx.close();
            } else if (evt instanceof IdleStateEvent) {
                cause = "no traffic from the node for " + config.deadAfterMs() + " ms ("
                        + ClientConfig.DEAD_AFTER_INTERVALS + " heartbeat intervals)";
                ctx.close();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof BinaryWebSocketFrame frame) {
                    onFrame(ctx.channel(), frame.content());
                }
                // Text frames are not part of the protocol; close frames are handled by the protocol handler.
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable t) {
            if (cause == null) {
                cause = describe(t);
            }
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            connectionFailed(ctx.channel(), cause != null ? cause : "connection closed by the node");
        }
    }

    // ---------------------------------------------------------------- helpers

    private void execute(Runnable task) {
        try {
            loop.execute(() -> {
                if (!closed) {
                    task.run();
                }
            });
        } catch (RejectedExecutionException e) {
            // closed: nothing to do
        }
    }

    /** Runs {@code task} on the event loop, or fails {@code f} if the client is closed. */
    private void run(CompletableFuture<?> f, Runnable task) {
        try {
            loop.execute(() -> {
                if (closed) {
                    f.completeExceptionally(new DanmakuException("client closed", null));
                } else {
                    try {
                        task.run();
                    } catch (RuntimeException e) {
                        f.completeExceptionally(e);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(new DanmakuException("client closed", null));
        }
    }

    private static long checkRoom0(long room) {
        if (room == 0) {
            throw new IllegalArgumentException("room id must not be 0");
        }
        return room;
    }

    /** Throws IllegalArgumentException unless {@code u} is an absolute ws:// or wss:// URL with a host. */
    public static void checkUri(URI u) {
        String scheme = u.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("ws") || scheme.equalsIgnoreCase("wss"))) {
            throw new IllegalArgumentException("not a ws:// or wss:// URL: " + u);
        }
        if (u.getHost() == null || u.getHost().isEmpty()) {
            throw new IllegalArgumentException("no host in URL: " + u);
        }
    }

    private static String describe(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getMessage() == null) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return m != null ? m : root.getClass().getSimpleName();
    }

    private static final class PendingBullet {
        final long timestamp;
        final long room;
        final String name;
        final String content;
        final String color;
        final CompletableFuture<Ack> future;
        /** ROOM_MOVING / CLUSTER_UNAVAILABLE answers retried so far. */
        int movingRetries;

        PendingBullet(long timestamp, long room, String name, String content, String color,
                      CompletableFuture<Ack> future) {
            this.timestamp = timestamp;
            this.room = room;
            this.name = name;
            this.content = content;
            this.color = color;
            this.future = future;
        }
    }

    private static final class PendingRoomRequest {
        final FrameType type;
        final long timestamp;
        final long room;
        final CompletableFuture<RoomInfo> future;
        /** ROOM_MOVING / CLUSTER_UNAVAILABLE answers retried so far. */
        int movingRetries;

        PendingRoomRequest(FrameType type, long timestamp, long room, CompletableFuture<RoomInfo> future) {
            this.type = type;
            this.timestamp = timestamp;
            this.room = room;
            this.future = future;
        }
    }
}
