package dev.danmaku.perf.harness;

import dev.danmaku.codec.BatchLayout;
import dev.danmaku.codec.BulletDecoder;
import dev.danmaku.codec.ErrorCode;
import dev.danmaku.codec.FrameDecoder;
import dev.danmaku.codec.FrameEncoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.JoinDecoder;
import dev.danmaku.codec.JoinedDecoder;
import dev.danmaku.codec.Protocol;
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
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A test-only cluster of protocol nodes in one JVM, standing in for the engine's cluster mode
 * (docs/protocol.md 5.8) so that the harness can be driven through a rebalance: every room has one
 * owner; the others answer BULLET, CREATE_ROOM and JOIN for it with REDIRECT. {@link #move} migrates a
 * room as a handover would: the old owner sends MOVED to its viewers after their last batch and
 * redirects from then on; the new owner answers ROOM_MOVING (with a retry-after hint) for a while, then
 * continues the room in a higher epoch with the sequence going on, holding its journal and idempotency
 * keys (a resume from the old epoch is RECOVERED and replays across the epoch boundary; a bullet the old
 * owner journaled is re-acknowledged with RETRY and its original position). ACKs can be delayed so that a
 * REDIRECT overtakes the ACK of an earlier bullet, as a node whose ACKs come from its ring would.
 *
 * <p>Each room is guarded by its own lock; batches and MOVED reach a viewer through its event loop's
 * task queue, so they stay in order. Not fast, not bounded: a test fixture.
 */
final class FakeCluster implements AutoCloseable {
    /** A journaled bullet. */
    private record Entry(long seq, long epoch, byte[] frame) {
    }

    private static final class Room {
        final long id;
        int owner;
        long epoch = 1;
        long lastSeq;
        long installingUntilNanos;
        final List<Entry> log = new ArrayList<>();
        /** Journaled and ACKed but not yet fanned out (see {@link #holdFanout}). */
        final List<Entry> held = new ArrayList<>();
        final Map<String, Entry> keys = new HashMap<>();
        final Set<Long> lineage = new HashSet<>();
        final List<Channel> viewers = new ArrayList<>();

        Room(long id, int owner) {
            this.id = id;
            this.owner = owner;
        }
    }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final List<Channel> servers = new ArrayList<>();
    private final Map<Long, Room> rooms = new ConcurrentHashMap<>();
    private final int nodes;
    /** The owner of a room that was never moved: {@code (room + ownerShift) mod nodes}. */
    private final int ownerShift;
    /** Delay of every ACK, ms (0 = written at once). */
    volatile long ackDelayMs;
    /**
     * While set, bullets are journaled and ACKed but not fanned out yet: a move with {@code dropHeld} then
     * loses them (a broken handover: the new owner continues after the last bullet its viewers saw).
     */
    volatile boolean holdFanout;
    /** Retry-after of ROOM_MOVING answers, ms. */
    volatile long movingRetryAfterMs = 40;
    final AtomicLong redirectsSent = new AtomicLong();
    final AtomicLong movingSent = new AtomicLong();
    final AtomicLong movedSent = new AtomicLong();
    final AtomicLong acked = new AtomicLong();

    FakeCluster(int nodes, int ownerShift) throws InterruptedException {
        this.nodes = nodes;
        this.ownerShift = ownerShift;
        for (int n = 0; n < nodes; n++) {
            int node = n;
            servers.add(new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(8192),
                                    new WebSocketServerProtocolHandler("/ws", null, false,
                                            Protocol.MAX_CLIENT_FRAME_LENGTH), new Handler(node));
                        }
                    }).bind("127.0.0.1", 0).sync().channel());
        }
    }

    URI uri(int node) {
        return URI.create("ws://127.0.0.1:" + ((InetSocketAddress) servers.get(node).localAddress()).getPort() + "/ws");
    }

    private Room room(long id) {
        return rooms.computeIfAbsent(id, r -> new Room(r, (int) ((r + ownerShift) % nodes)));
    }

    /** The node that owns {@code room} now. */
    int owner(long room) {
        Room r = room(room);
        synchronized (r) {
            return r.owner;
        }
    }

    /** Bullets journaled in {@code room}. */
    int journaled(long room) {
        Room r = room(room);
        synchronized (r) {
            return r.log.size();
        }
    }

    /** The room's current epoch. */
    long epoch(long room) {
        Room r = room(room);
        synchronized (r) {
            return r.epoch;
        }
    }

    /**
     * Hands {@code room} to node {@code to}: MOVED to its viewers now (after their last batch), REDIRECT from
     * the old owner, ROOM_MOVING from the new one for {@code installMs}, then the room continues there in an
     * epoch at least 256 higher (as the engine's map terms make it) with the sequence going on.
     */
    void move(long room, int to, long installMs) {
        move(room, to, installMs, false);
    }

    /** As {@link #move(long, int, long)}; {@code dropHeld} loses the ACKed bullets {@link #holdFanout} held. */
    void move(long room, int to, long installMs, boolean dropHeld) {
        Room r = room(room);
        byte[] moved;
        List<Channel> viewers;
        synchronized (r) {
            if (r.owner == to) {
                return;
            }
            UnsafeBuffer b = new UnsafeBuffer(new byte[512]);
            int n = FrameEncoder.redirect(b, 0, room, RedirectDecoder.KIND_MOVED, r.epoch, uri(to).toString());
            moved = new byte[n];
            b.getBytes(0, moved);
            viewers = new ArrayList<>(r.viewers);
            r.viewers.clear();
            if (dropHeld && !r.held.isEmpty()) {
                for (Entry e : r.held) {
                    r.keys.values().remove(e);
                }
                r.lastSeq = r.held.get(0).seq - 1; // the new epoch reuses their seqs
                r.held.clear();
            }
            r.lineage.add(r.epoch);
            r.epoch += 256 + r.epoch % 7;
            r.owner = to;
            r.installingUntilNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(installMs);
            for (Channel v : viewers) {
                send(v, moved); // queued behind every batch this room gave the viewer
                movedSent.incrementAndGet();
            }
        }
    }

    @Override
    public void close() {
        for (Channel s : servers) {
            s.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 200, TimeUnit.MILLISECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    private static void send(Channel ch, byte[] frame) {
        ch.eventLoop().execute(() -> ch.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(frame))));
    }

    private static byte[] copy(UnsafeBuffer b, int n) {
        byte[] out = new byte[n];
        b.getBytes(0, out);
        return out;
    }

    /** One raw BATCH of consecutive entries of one epoch. */
    private static byte[] batch(long room, List<Entry> entries) {
        int payload = 0;
        for (Entry e : entries) {
            payload += 16 + e.frame.length - 28;
        }
        UnsafeBuffer b = new UnsafeBuffer(new byte[BatchLayout.HEADER_LENGTH + payload]);
        b.putShort(0, (short) Protocol.MAGIC, Protocol.ORDER);
        b.putByte(2, (byte) Protocol.VERSION);
        b.putByte(3, (byte) FrameType.BATCH.code());
        b.putLong(BatchLayout.ROOM_OFFSET, room, Protocol.ORDER);
        b.putInt(BatchLayout.EPOCH_OFFSET, (int) entries.get(0).epoch, Protocol.ORDER);
        b.putLong(BatchLayout.FIRST_SEQ_OFFSET, entries.get(0).seq, Protocol.ORDER);
        b.putShort(BatchLayout.COUNT_OFFSET, (short) entries.size(), Protocol.ORDER);
        b.putByte(BatchLayout.FLAGS_OFFSET, (byte) 0);
        b.putInt(BatchLayout.RAW_LENGTH_OFFSET, payload, Protocol.ORDER);
        b.putInt(BatchLayout.PAYLOAD_LENGTH_OFFSET, payload, Protocol.ORDER);
        int p = BatchLayout.HEADER_LENGTH;
        for (Entry e : entries) {
            b.putBytes(p, e.frame, 4, 16); // timestamp, user
            b.putBytes(p + 16, e.frame, 28, e.frame.length - 28); // name, content, colour
            p += 16 + e.frame.length - 28;
        }
        return b.byteArray();
    }

    /** Replays {@code entries} to a viewer, one BATCH per run of one epoch. */
    private static void replay(Channel ch, long room, List<Entry> entries) {
        int i = 0;
        while (i < entries.size()) {
            int j = i + 1;
            while (j < entries.size() && entries.get(j).epoch == entries.get(i).epoch && j - i < 100) {
                j++;
            }
            send(ch, batch(room, entries.subList(i, j)));
            i = j;
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<BinaryWebSocketFrame> {
        private final int node;
        private final FrameDecoder decoder = FrameDecoder.forNode();
        private final UnsafeBuffer out = new UnsafeBuffer(new byte[1024]);
        private final Set<Room> joined = new HashSet<>();

        Handler(int node) {
            this.node = node;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, BinaryWebSocketFrame msg) {
            byte[] bytes = new byte[msg.content().readableBytes()];
            msg.content().getBytes(msg.content().readerIndex(), bytes);
            Channel ch = ctx.channel();
            int status = decoder.decode(new UnsafeBuffer(bytes), 0, bytes.length);
            if (status != Protocol.OK) {
                send(ch, copy(out, FrameEncoder.error(out, 0, ErrorCode.of(status), 0, 0, 0, 0)));
                ch.close();
                return;
            }
            switch (decoder.type()) {
                case BULLET -> bullet(ch, bytes, decoder.bullet());
                case JOIN -> join(ch, decoder.join());
                case CREATE_ROOM, CHECK_ROOM -> roomRequest(ch, decoder.roomRequest());
                case HEARTBEAT -> send(ch, copy(out, FrameEncoder.roomRequest(out, 0, FrameType.HEARTBEAT,
                        System.currentTimeMillis(), 0, 0)));
                case LEAVE -> { }
                default -> send(ch, copy(out, FrameEncoder.error(out, 0, ErrorCode.UNEXPECTED_TYPE, 0, 0, 0, 0)));
            }
        }

        /** REDIRECT or ROOM_MOVING when this node cannot serve {@code r} now; true if it answered so. */
        private boolean elsewhere(Channel ch, Room r, FrameType type, long timestamp) {
            if (r.owner != node) {
                redirectsSent.incrementAndGet();
                send(ch, copy(out, FrameEncoder.redirect(out, 0, r.id, RedirectDecoder.KIND_REDIRECT, 0,
                        uri(r.owner).toString())));
                return true;
            }
            if (r.installingUntilNanos - System.nanoTime() > 0) {
                movingSent.incrementAndGet();
                send(ch, copy(out, FrameEncoder.error(out, 0, ErrorCode.ROOM_MOVING.code(), type.code(), timestamp,
                        r.id, movingRetryAfterMs, "room is between owners")));
                return true;
            }
            return false;
        }

        private void bullet(Channel ch, byte[] frame, BulletDecoder b) {
            Room r = room(b.roomId());
            byte[] ack;
            synchronized (r) {
                if (elsewhere(ch, r, FrameType.BULLET, b.timestamp())) {
                    return;
                }
                String key = b.userId() + ":" + b.timestamp();
                Entry e = r.keys.get(key);
                int flags = 0;
                if (e != null) {
                    flags = 1; // journaled already (here or by the old owner): its original (epoch, seq)
                } else {
                    e = new Entry(++r.lastSeq, r.epoch, frame);
                    r.keys.put(key, e);
                    if (holdFanout) {
                        r.held.add(e);
                    } else {
                        r.log.add(e);
                        byte[] one = batch(r.id, List.of(e));
                        for (Channel v : r.viewers) {
                            send(v, one);
                        }
                    }
                }
                ack = copy(out, FrameEncoder.ack(out, 0, b.timestamp(), r.id, e.epoch, e.seq, flags));
            }
            acked.incrementAndGet();
            long delay = ackDelayMs;
            if (delay > 0) {
                ch.eventLoop().schedule(() -> ch.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(ack))),
                        delay, TimeUnit.MILLISECONDS);
            } else {
                send(ch, ack);
            }
        }

        private void join(Channel ch, JoinDecoder j) {
            Room r = room(j.roomId());
            synchronized (r) {
                if (elsewhere(ch, r, FrameType.JOIN, j.timestamp())) {
                    return;
                }
                int status = JoinedDecoder.STATUS_LIVE;
                long next = r.lastSeq + 1;
                if (j.resume()) {
                    boolean ours = j.epoch() == r.epoch || r.lineage.contains(j.epoch());
                    status = ours && j.lastSequence() <= r.lastSeq ? JoinedDecoder.STATUS_RECOVERED
                            : JoinedDecoder.STATUS_NOT_RECOVERED;
                    if (status == JoinedDecoder.STATUS_RECOVERED) {
                        next = j.lastSequence() + 1;
                    }
                }
                send(ch, copy(out, FrameEncoder.joined(out, 0, r.id, r.epoch, status, r.lastSeq, next)));
                long from = next;
                List<Entry> missed = r.log.stream().filter(e -> e.seq >= from).toList();
                if (!missed.isEmpty()) {
                    replay(ch, r.id, missed);
                }
                r.viewers.add(ch);
                joined.add(r);
            }
        }

        private void roomRequest(Channel ch, RoomRequestDecoder q) {
            Room r = room(q.roomId());
            synchronized (r) {
                if (elsewhere(ch, r, q.type(), q.timestamp())) {
                    return;
                }
                int flags = RoomInfoDecoder.FLAG_EXISTS | RoomInfoDecoder.FLAG_LOCAL;
                send(ch, copy(out, FrameEncoder.roomInfo(out, 0, q.timestamp(), r.id, flags, r.viewers.size(),
                        r.epoch, r.lastSeq, "")));
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            for (Room r : joined) {
                synchronized (r) {
                    r.viewers.remove(ctx.channel());
                }
            }
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
