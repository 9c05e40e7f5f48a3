package dev.danmaku.tools.client;

import dev.danmaku.codec.BatchEncoder;
import dev.danmaku.codec.BulletDecoder;
import dev.danmaku.codec.ErrorCode;
import dev.danmaku.codec.FrameDecoder;
import dev.danmaku.codec.FrameEncoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.JoinDecoder;
import dev.danmaku.codec.JoinedDecoder;
import dev.danmaku.codec.RedirectDecoder;
import dev.danmaku.codec.RoomInfoDecoder;
import dev.danmaku.codec.RoomRequestDecoder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import org.agrona.concurrent.UnsafeBuffer;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test-only node: a Netty WebSocket server at {@code /ws} that speaks the protocol with canned,
 * controllable behaviour. It journals bullets per room (seq from 1 within an epoch), acknowledges them
 * (with RETRY for a (user, timestamp) it already holds), fans each bullet out to joined viewers as a
 * one-bullet BATCH, answers JOIN with JOINED (LIVE, RECOVERED or NOT_RECOVERED from what it retains)
 * plus the replay, and answers HEARTBEAT, CREATE_ROOM, CHECK_ROOM and AUTH. Knobs let a test drop every
 * connection, withhold ACKs, go silent, reject content, skip sequence numbers, restart an epoch,
 * replay overlapping bullets on resume, redirect joins, answer ROOM_MOVING / CLUSTER_UNAVAILABLE, and act
 * as one node of a cluster: {@link #redirectRoom} answers every request for a room with REDIRECT, and
 * {@link #moveRoomTo} hands a room (journal, idempotency keys) to another FakeNode under a higher epoch with
 * the sequence continuing, then sends MOVED to its viewers (docs/protocol.md 5.8).
 *
 * <p>State is guarded by the instance lock; the server runs on one event loop thread.
 */
final class FakeNode implements AutoCloseable {
    /** A journaled bullet: its frame bytes, its (epoch, seq) and who sent it. */
    record Stored(long seq, byte[] frame, long user, long timestamp, long epoch) {
    }

    private static final class Room {
        long epoch = 1;
        long lastSeq;
        long retainedFrom = 1;
        final List<Stored> log = new ArrayList<>();
        final Map<String, Stored> keys = new HashMap<>();
        /** Earlier epochs this room continues (moves): a resume from one of them can be RECOVERED. */
        final Set<Long> lineage = new HashSet<>();
        boolean created;
        /** When set, the room is owned there: every request for it is answered with REDIRECT. */
        String ownedBy;
    }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final Map<Long, Room> rooms = new HashMap<>();
    private final Map<Channel, Set<Long>> viewers = new HashMap<>();
    private final Set<Channel> connections = new HashSet<>();
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    /** Every BULLET timestamp received, retries included, in arrival order. */
    final List<Long> bulletTimestamps = new CopyOnWriteArrayList<>();
    /** {@link System#nanoTime()} of each entry of {@link #bulletTimestamps}. */
    final List<Long> bulletArrivalNanos = new CopyOnWriteArrayList<>();
    /** Every request answered with ERROR {@link #movingCode}: {type code, timestamp, room}. */
    final List<long[]> movingAnswered = new CopyOnWriteArrayList<>();
    /** Every JOIN received: {room, resume?1:0, epoch, lastSeq, history}. */
    final List<long[]> joinsReceived = new CopyOnWriteArrayList<>();
    final AtomicInteger heartbeats = new AtomicInteger();
    final AtomicInteger handshakes = new AtomicInteger();
    final AtomicInteger retriesAcked = new AtomicInteger();

    volatile boolean withholdAcks;
    volatile boolean silent;
    volatile String rejectContaining;
    /** Sequence numbers to skip before the next stored bullet (a gap the fan-out shows). */
    volatile int skipNext;
    /** Journal the next N bullets without fanning them out (a loss the viewer can fill by resuming). */
    volatile int dropFanout;
    /** On a RECOVERED resume, replay this many bullets before the asked range too (duplicates). */
    volatile int resumeOverlap;
    /** When set, JOIN is answered with REDIRECT to this address. */
    volatile String redirectJoinsTo;
    /** When set, a gap is never filled: RECOVERED resumes replay nothing (a broken node). */
    volatile boolean brokenResume;
    /** The next N BULLET, CREATE_ROOM, CHECK_ROOM or JOIN requests are answered ERROR {@link #movingCode}. */
    final AtomicInteger movingReplies = new AtomicInteger();
    /** ROOM_MOVING (302) by default; CLUSTER_UNAVAILABLE (303) is answered the same way. */
    volatile ErrorCode movingCode = ErrorCode.ROOM_MOVING;
    /** The retry-after hint of those answers, ms. */
    volatile long movingRetryAfterMs = 100;

    FakeNode() throws InterruptedException {
        this(0);
    }

    FakeNode(int port) throws InterruptedException {
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024),
                                new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                                        .websocketPath("/ws").maxFramePayloadLength(8192).build()),
                                new NotFound(), new Handler());
                    }
                })
                .bind("127.0.0.1", port).sync().channel();
    }

    URI uri() {
        return URI.create("ws://127.0.0.1:" + port() + "/ws");
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Closes every client connection (as a node crash would), keeping rooms and journal. */
    void dropConnections() {
        List<Channel> all;
        synchronized (this) {
            all = new ArrayList<>(connections);
        }
        all.forEach(Channel::close);
    }

    synchronized int connectionCount() {
        return connections.size();
    }

    /** Bullets journaled in a room's current epoch (retries not counted twice). */
    synchronized List<Stored> journal(long room) {
        Room r = rooms.get(room);
        return r == null ? List.of() : List.copyOf(r.log);
    }

    synchronized void createRoom(long room) {
        room(room).created = true;
    }

    /** Forgets bullets before {@code seq} (a resume from before it is NOT_RECOVERED). */
    synchronized void retainFrom(long room, long seq) {
        Room r = room(room);
        r.retainedFrom = seq;
        r.log.removeIf(s -> s.seq < seq);
    }

    /** A restart that lost history: new epoch, numbering from 1. */
    synchronized void newEpoch(long room) {
        Room r = room(room);
        r.epoch++;
        r.lastSeq = 0;
        r.retainedFrom = 1;
        r.log.clear();
        r.keys.clear();
        r.lineage.clear();
    }

    /** From now on every request for {@code room} is answered REDIRECT to {@code address} (null: serve it again). */
    synchronized void redirectRoom(long room, String address) {
        room(room).ownedBy = address;
    }

    /**
     * Migrates {@code room} to {@code target} as a rebalance would: the target continues it in epoch
     * {@code epoch + 1} with the sequence going on and holds its journal and idempotency keys (a resume from
     * this epoch is RECOVERED there, a retried bullet is re-acknowledged with its original (epoch, seq));
     * this node then answers REDIRECT for the room and sends MOVED to its viewers after their last batch.
     */
    void moveRoomTo(long room, FakeNode target) {
        String address = target.uri().toString();
        UnsafeBuffer b = new UnsafeBuffer(new byte[512]);
        List<Channel> watching = new ArrayList<>();
        int n;
        synchronized (this) {
            Room r = room(room);
            synchronized (target) {
                Room t = target.room(room);
                t.epoch = Math.max(t.epoch, r.epoch + 1);
                t.lastSeq = r.lastSeq;
                t.retainedFrom = r.retainedFrom;
                t.log.clear();
                t.log.addAll(r.log);
                t.keys.clear();
                t.keys.putAll(r.keys);
                t.lineage.clear();
                t.lineage.addAll(r.lineage);
                t.lineage.add(r.epoch);
                t.created = r.created;
                t.ownedBy = null;
            }
            r.ownedBy = address;
            n = FrameEncoder.redirect(b, 0, room, RedirectDecoder.KIND_MOVED, r.epoch, address);
            for (Map.Entry<Channel, Set<Long>> v : viewers.entrySet()) {
                if (v.getValue().remove(room)) {
                    watching.add(v.getKey());
                }
            }
            // Written under the lock: no batch of this room can follow the MOVED on these connections.
            for (Channel ch : watching) {
                write(ch, b, n);
            }
        }
    }

    /** The room's current epoch here. */
    synchronized long epoch(long room) {
        return room(room).epoch;
    }

    /** Journals a bullet as if another user had sent it, and fans it out. */
    synchronized Stored publish(long room, long user, String name, String content, String color, long timestamp) {
        UnsafeBuffer b = new UnsafeBuffer(new byte[4096]);
        int n = FrameEncoder.bullet(b, 0, timestamp, user, room, name, content, color);
        byte[] frame = new byte[n];
        b.getBytes(0, frame);
        return store(room(room), room, frame, user, timestamp);
    }

    /** Sends a raw frame to every connection. */
    void sendToAll(byte[] frame) {
        List<Channel> all;
        synchronized (this) {
            all = new ArrayList<>(connections);
        }
        for (Channel ch : all) {
            ch.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(frame)));
        }
    }

    @Override
    public void close() {
        if (closed.getAndSet(true)) {
            return;
        }
        server.close().syncUninterruptibly();
        dropConnections();
        group.shutdownGracefully(0, 200, java.util.concurrent.TimeUnit.MILLISECONDS).syncUninterruptibly();
    }

    // ---------------------------------------------------------------- protocol

    private Room room(long id) {
        return rooms.computeIfAbsent(id, k -> new Room());
    }

    private Stored store(Room r, long room, byte[] frame, long user, long timestamp) {
        r.lastSeq += 1 + skipNext;
        skipNext = 0;
        Stored s = new Stored(r.lastSeq, frame, user, timestamp, r.epoch);
        r.log.add(s);
        r.keys.put(user + ":" + timestamp, s);
        if (dropFanout > 0) {
            dropFanout--;
            return s;
        }
        for (Map.Entry<Channel, Set<Long>> v : viewers.entrySet()) {
            if (v.getValue().contains(room)) {
                sendBatch(v.getKey(), room, List.of(s));
            }
        }
        return s;
    }

    /** One BATCH per run of consecutive sequences within one epoch. */
    private static void sendBatch(Channel ch, long room, List<Stored> bullets) {
        BulletDecoder view = new BulletDecoder();
        int i = 0;
        while (i < bullets.size()) {
            try (BatchEncoder enc = new BatchEncoder()) {
                long epoch = bullets.get(i).epoch;
                enc.reset(room, epoch, bullets.get(i).seq);
                long expect = bullets.get(i).seq;
                while (i < bullets.size() && bullets.get(i).seq == expect && bullets.get(i).epoch == epoch) {
                    byte[] f = bullets.get(i).frame;
                    view.wrap(new UnsafeBuffer(f), 0, f.length);
                    enc.add(view);
                    i++;
                    expect++;
                }
                UnsafeBuffer out = new UnsafeBuffer(new byte[enc.maxEncodedLength()]);
                int n = enc.encode(out, 0);
                write(ch, out, n);
            }
        }
    }

    private static void write(Channel ch, UnsafeBuffer b, int n) {
        byte[] bytes = new byte[n];
        b.getBytes(0, bytes);
        ch.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(bytes)));
    }

    /** Any HTTP request the WebSocket handler did not take (another path) gets a 404, as a real server would. */
    private static final class NotFound extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest msg) {
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<WebSocketFrame> {
        private final FrameDecoder decoder = FrameDecoder.forNode();
        private final UnsafeBuffer out = new UnsafeBuffer(new byte[4096]);

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
                handshakes.incrementAndGet();
                synchronized (FakeNode.this) {
                    connections.add(ctx.channel());
                    viewers.put(ctx.channel(), new HashSet<>());
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            synchronized (FakeNode.this) {
                connections.remove(ctx.channel());
                viewers.remove(ctx.channel());
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame msg) {
            if (!(msg instanceof BinaryWebSocketFrame)) {
                return;
            }
            byte[] bytes = new byte[msg.content().readableBytes()];
            msg.content().getBytes(msg.content().readerIndex(), bytes);
            UnsafeBuffer in = new UnsafeBuffer(bytes);
            int status = decoder.decode(in, 0, bytes.length);
            Channel ch = ctx.channel();
            if (status != 0) {
                write(ch, out, FrameEncoder.error(out, 0, ErrorCode.of(status), 0, 0, 0, 0));
                ch.close();
                return;
            }
            if (silent) {
                return;
            }
            synchronized (FakeNode.this) {
                switch (decoder.type()) {
                    case BULLET -> onBullet(ch, bytes, decoder.bullet());
                    case HEARTBEAT -> {
                        heartbeats.incrementAndGet();
                        write(ch, out, FrameEncoder.roomRequest(out, 0, FrameType.HEARTBEAT,
                                System.currentTimeMillis(), 0, 0));
                    }
                    case CREATE_ROOM, CHECK_ROOM -> onRoomRequest(ch, decoder.roomRequest());
                    case JOIN -> onJoin(ch, decoder.join());
                    case LEAVE -> viewers.get(ch).remove(decoder.roomRequest().roomId());
                    case AUTH -> write(ch, out, FrameEncoder.authOk(out, 0, 42, 3, System.currentTimeMillis() + 60_000));
                    default -> write(ch, out, FrameEncoder.error(out, 0, ErrorCode.UNEXPECTED_TYPE, 0, 0, 0, 0));
                }
            }
        }

        /** Answers ROOM_MOVING (or {@link #movingCode}) while {@link #movingReplies} lasts; true if it did. */
        private boolean moving(Channel ch, FrameType type, long timestamp, long room) {
            if (movingReplies.getAndUpdate(n -> Math.max(0, n - 1)) == 0) {
                return false;
            }
            movingAnswered.add(new long[] {type.code(), timestamp, room});
            write(ch, out, FrameEncoder.error(out, 0, movingCode.code(), type.code(), timestamp, room,
                    movingRetryAfterMs, "room is between owners"));
            return true;
        }

        /** Answers REDIRECT for a room owned elsewhere; true if it did. */
        private boolean redirected(Channel ch, long room) {
            Room r = rooms.get(room);
            if (r == null || r.ownedBy == null) {
                return false;
            }
            write(ch, out, FrameEncoder.redirect(out, 0, room, RedirectDecoder.KIND_REDIRECT, 0, r.ownedBy));
            return true;
        }

        private void onBullet(Channel ch, byte[] frame, BulletDecoder b) {
            bulletTimestamps.add(b.timestamp());
            bulletArrivalNanos.add(System.nanoTime());
            if (redirected(ch, b.roomId()) || moving(ch, FrameType.BULLET, b.timestamp(), b.roomId())) {
                return;
            }
            Room r = room(b.roomId());
            String reject = rejectContaining;
            if (reject != null && b.content().contains(reject)) {
                write(ch, out, FrameEncoder.error(out, 0, ErrorCode.SENSITIVE_WORD.code(), FrameType.BULLET.code(),
                        b.timestamp(), b.roomId(), 0, "contains '" + reject + "'"));
                return;
            }
            Stored known = r.keys.get(b.userId() + ":" + b.timestamp());
            int flags = 0;
            if (known != null) {
                flags = 1; // re-acknowledged with its original (epoch, seq), even from a later epoch
                retriesAcked.incrementAndGet();
            } else {
                known = store(r, b.roomId(), frame, b.userId(), b.timestamp());
            }
            if (!withholdAcks) {
                write(ch, out, FrameEncoder.ack(out, 0, b.timestamp(), b.roomId(), known.epoch, known.seq, flags));
            }
        }

        private void onRoomRequest(Channel ch, RoomRequestDecoder q) {
            if (redirected(ch, q.roomId()) || moving(ch, q.type(), q.timestamp(), q.roomId())) {
                return;
            }
            Room r = rooms.get(q.roomId());
            boolean created = false;
            if (q.type() == FrameType.CREATE_ROOM && (r == null || !r.created)) {
                created = r == null || r.log.isEmpty();
                r = room(q.roomId());
                r.created = true;
            }
            boolean exists = r != null && (r.created || r.lastSeq > 0);
            int flags = (exists ? RoomInfoDecoder.FLAG_EXISTS : 0) | (created ? RoomInfoDecoder.FLAG_CREATED : 0)
                    | RoomInfoDecoder.FLAG_LOCAL;
            long viewerCount = viewers.values().stream().filter(s -> s.contains(q.roomId())).count();
            write(ch, out, FrameEncoder.roomInfo(out, 0, q.timestamp(), q.roomId(), flags, viewerCount,
                    exists ? r.epoch : 0, exists ? r.lastSeq : 0, ""));
        }

        private void onJoin(Channel ch, JoinDecoder j) {
            joinsReceived.add(new long[] {j.roomId(), j.resume() ? 1 : 0, j.epoch(), j.lastSequence(), j.history()});
            String redirect = redirectJoinsTo;
            if (redirect != null) {
                write(ch, out, FrameEncoder.redirect(out, 0, j.roomId(), RedirectDecoder.KIND_REDIRECT, 0, redirect));
                return;
            }
            if (redirected(ch, j.roomId()) || moving(ch, FrameType.JOIN, j.timestamp(), j.roomId())) {
                return;
            }
            Room r = room(j.roomId());
            int status;
            long next;
            long replayFrom;
            if (j.resume()) {
                boolean ours = j.epoch() == r.epoch || r.lineage.contains(j.epoch());
                if (ours && j.lastSequence() + 1 >= r.retainedFrom) {
                    status = JoinedDecoder.STATUS_RECOVERED;
                    next = j.lastSequence() + 1;
                    replayFrom = brokenResume ? r.lastSeq + 1 : Math.max(1, next - resumeOverlap);
                } else {
                    status = JoinedDecoder.STATUS_NOT_RECOVERED;
                    next = r.retainedFrom; // everything it still holds
                    replayFrom = next;
                }
            } else {
                status = JoinedDecoder.STATUS_LIVE;
                next = Math.max(r.retainedFrom, r.lastSeq - j.history() + 1);
                replayFrom = next;
            }
            write(ch, out, FrameEncoder.joined(out, 0, j.roomId(), r.epoch, status, r.lastSeq, next));
            List<Stored> replay = r.log.stream().filter(s -> s.seq >= replayFrom).toList();
            if (!replay.isEmpty()) {
                sendBatch(ch, j.roomId(), replay);
            }
            viewers.get(ch).add(j.roomId());
        }
    }
}
