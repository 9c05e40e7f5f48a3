package dev.danmaku.perf.harness;

import dev.danmaku.codec.BatchLayout;
import dev.danmaku.codec.BulletDecoder;
import dev.danmaku.codec.ErrorCode;
import dev.danmaku.codec.FrameEncoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.JoinDecoder;
import dev.danmaku.codec.JoinedDecoder;
import dev.danmaku.codec.Protocol;
import dev.danmaku.codec.RoomInfoDecoder;
import dev.danmaku.codec.RoomRequestDecoder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.AttributeKey;
import org.agrona.concurrent.UnsafeBuffer;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The naive baseline: plain Netty speaking the same protocol (WebSocket at {@code /ws}), with no
 * ring, no journal, no filters and no batching. Each BULLET is validated, given the room's next
 * sequence, ACKed, and written to every viewer of its room as a one-bullet BATCH with one
 * {@code writeAndFlush} per viewer, straight from the sender's event loop (under the room's lock,
 * so sequences reach every viewer in order). It ignores writability, as the Netty WebSocket
 * examples do. What it shows: what the library alone costs for the same traffic.
 */
public final class BaselineServer implements AutoCloseable {
    private static final AttributeKey<Set<Room>> JOINED = AttributeKey.valueOf("baseline.joined");

    /** A room: its last sequence and its viewers; guarded by its monitor. */
    private static final class Room {
        final long id;
        long lastSeq;
        final CopyOnWriteArrayList<Channel> viewers = new CopyOnWriteArrayList<>();

        Room(long id) {
            this.id = id;
        }
    }

    private final Map<Long, Room> rooms = new ConcurrentHashMap<>();
    private final EventLoopGroup group;
    private final Channel server;

    private BaselineServer(String host, int port, int ioThreads) throws InterruptedException {
        boolean epoll = Epoll.isAvailable();
        group = new MultiThreadIoEventLoopGroup(ioThreads <= 0 ? Runtime.getRuntime().availableProcessors() : ioThreads,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        ChannelHandler handler = new Handler();
        server = new ServerBootstrap().group(group)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(8192),
                                new WebSocketServerProtocolHandler("/ws", null, false, Protocol.MAX_CLIENT_FRAME_LENGTH),
                                handler);
                    }
                })
                .bind(host, port).sync().channel();
    }

    /** Binds {@code host:port} (0 = any free port). */
    public static BaselineServer start(String host, int port, int ioThreads) throws InterruptedException {
        return new BaselineServer(host, port, ioThreads);
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
        // bounded waits: an overloaded baseline has millions of queued writes and must still exit
        server.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    @ChannelHandler.Sharable
    private final class Handler extends SimpleChannelInboundHandler<BinaryWebSocketFrame> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, BinaryWebSocketFrame frame) {
            ByteBuf in = frame.content();
            byte[] bytes = new byte[in.readableBytes()];
            in.getBytes(in.readerIndex(), bytes);
            UnsafeBuffer b = new UnsafeBuffer(bytes);
            if (bytes.length < RoomRequestDecoder.LENGTH || (b.getShort(0, Protocol.ORDER) & 0xFFFF) != Protocol.MAGIC) {
                error(ctx, ErrorCode.BAD_MAGIC, 0, 0, 0);
                return;
            }
            int type = b.getByte(Protocol.TYPE_OFFSET) & 0xFF;
            long ts = b.getLong(4, Protocol.ORDER);
            if (type == FrameType.BULLET.code()) {
                bullet(ctx, b, bytes.length);
            } else if (type == FrameType.JOIN.code() && bytes.length == JoinDecoder.LENGTH) {
                join(ctx, b.getLong(20, Protocol.ORDER));
            } else if (type == FrameType.CREATE_ROOM.code() || type == FrameType.CHECK_ROOM.code()) {
                long id = b.getLong(20, Protocol.ORDER);
                boolean create = type == FrameType.CREATE_ROOM.code();
                boolean isNew = create && !rooms.containsKey(id);
                Room r = create ? rooms.computeIfAbsent(id, Room::new) : rooms.get(id);
                UnsafeBuffer out = new UnsafeBuffer(new byte[64]);
                int flags = r == null ? 0 : RoomInfoDecoder.FLAG_EXISTS | RoomInfoDecoder.FLAG_LOCAL
                        | (isNew ? RoomInfoDecoder.FLAG_CREATED : 0);
                int n = FrameEncoder.roomInfo(out, 0, ts, id, flags, r == null ? 0 : r.viewers.size(), 1,
                        r == null ? 0 : r.lastSeq, "");
                send(ctx.channel(), out, n);
            } else if (type == FrameType.HEARTBEAT.code()) {
                UnsafeBuffer out = new UnsafeBuffer(new byte[RoomRequestDecoder.LENGTH]);
                int n = FrameEncoder.roomRequest(out, 0, FrameType.HEARTBEAT, System.currentTimeMillis(), 0, 0);
                send(ctx.channel(), out, n);
            } else if (type == FrameType.LEAVE.code()) {
                Room r = rooms.get(b.getLong(20, Protocol.ORDER));
                if (r != null) {
                    r.viewers.remove(ctx.channel());
                }
            } else {
                error(ctx, ErrorCode.UNEXPECTED_TYPE, type, ts, 0);
            }
        }

        private void bullet(ChannelHandlerContext ctx, UnsafeBuffer b, int length) {
            BulletDecoder d = new BulletDecoder();
            int status = d.wrap(b, 0, length);
            if (status != Protocol.OK) {
                error(ctx, ErrorCode.of(status), FrameType.BULLET.code(), 0, 0);
                return;
            }
            Room r = rooms.get(d.roomId());
            if (r == null) {
                error(ctx, ErrorCode.ROOM_NOT_FOUND, FrameType.BULLET.code(), d.timestamp(), d.roomId());
                return;
            }
            int entry = BatchLayout.ENTRY_FIXED_LENGTH + d.nameLength() + d.contentLength() + d.colorLength();
            UnsafeBuffer batch = new UnsafeBuffer(new byte[BatchLayout.HEADER_LENGTH + entry]);
            UnsafeBuffer ack = new UnsafeBuffer(new byte[64]);
            synchronized (r) {
                long seq = ++r.lastSeq;
                batch.putShort(0, (short) Protocol.MAGIC, Protocol.ORDER);
                batch.putByte(2, (byte) Protocol.VERSION);
                batch.putByte(3, (byte) FrameType.BATCH.code());
                batch.putLong(BatchLayout.ROOM_OFFSET, r.id, Protocol.ORDER);
                batch.putInt(BatchLayout.EPOCH_OFFSET, 1, Protocol.ORDER);
                batch.putLong(BatchLayout.FIRST_SEQ_OFFSET, seq, Protocol.ORDER);
                batch.putShort(BatchLayout.COUNT_OFFSET, (short) 1, Protocol.ORDER);
                batch.putByte(BatchLayout.FLAGS_OFFSET, (byte) 0);
                batch.putInt(BatchLayout.RAW_LENGTH_OFFSET, entry, Protocol.ORDER);
                batch.putInt(BatchLayout.PAYLOAD_LENGTH_OFFSET, entry, Protocol.ORDER);
                int p = BatchLayout.HEADER_LENGTH;
                batch.putLong(p, d.timestamp(), Protocol.ORDER);
                batch.putLong(p + 8, d.userId(), Protocol.ORDER);
                p += 16;
                p = string(batch, p, b, d.nameOffset(), d.nameLength());
                p = string(batch, p, b, d.contentOffset(), d.contentLength());
                string(batch, p, b, d.colorOffset(), d.colorLength());
                int n = FrameEncoder.ack(ack, 0, d.timestamp(), r.id, 1, seq, 0);
                send(ctx.channel(), ack, n);
                ByteBuf frame = Unpooled.wrappedBuffer(batch.byteArray());
                for (Channel viewer : r.viewers) {
                    // The naive way: one writeAndFlush per bullet per viewer. Always through the viewer's
                    // task queue: writing directly when the viewer shares the sender's loop would overtake
                    // earlier bullets queued from other loops (the harness saw those as gaps).
                    BinaryWebSocketFrame f = new BinaryWebSocketFrame(frame.retainedDuplicate());
                    viewer.eventLoop().execute(() -> viewer.writeAndFlush(f));
                }
                frame.release();
            }
        }

        private int string(UnsafeBuffer dst, int p, UnsafeBuffer src, int offset, int length) {
            dst.putShort(p, (short) length, Protocol.ORDER);
            dst.putBytes(p + 2, src, offset, length);
            return p + 2 + length;
        }

        private void join(ChannelHandlerContext ctx, long roomId) {
            Room r = rooms.get(roomId);
            if (r == null) {
                error(ctx, ErrorCode.ROOM_NOT_FOUND, FrameType.JOIN.code(), 0, roomId);
                return;
            }
            UnsafeBuffer out = new UnsafeBuffer(new byte[JoinedDecoder.LENGTH]);
            synchronized (r) {
                int n = FrameEncoder.joined(out, 0, roomId, 1, JoinedDecoder.STATUS_LIVE, r.lastSeq, r.lastSeq + 1);
                Channel ch = ctx.channel();
                ch.eventLoop().execute(() -> send(ch, out, n));
                r.viewers.add(ctx.channel());
            }
            Set<Room> joined = ctx.channel().attr(JOINED).get();
            if (joined == null) {
                joined = ConcurrentHashMap.newKeySet();
                ctx.channel().attr(JOINED).set(joined);
            }
            joined.add(r);
        }

        private void error(ChannelHandlerContext ctx, ErrorCode code, int refType, long refTs, long room) {
            UnsafeBuffer out = new UnsafeBuffer(new byte[Protocol.MAX_CLIENT_FRAME_LENGTH]);
            int n = FrameEncoder.error(out, 0, code == null ? ErrorCode.INVALID_FIELD : code, refType, refTs, room, 0);
            send(ctx.channel(), out, n);
        }

        private void send(Channel ch, UnsafeBuffer b, int n) {
            ch.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(b.byteArray(), 0, n)));
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            Set<Room> joined = ctx.channel().attr(JOINED).get();
            if (joined != null) {
                for (Room r : joined) {
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
