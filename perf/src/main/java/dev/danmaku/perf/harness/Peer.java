package dev.danmaku.perf.harness;

import dev.danmaku.codec.BatchDecoder;
import dev.danmaku.codec.BatchLayout;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.JoinDecoder;
import dev.danmaku.codec.JoinedDecoder;
import dev.danmaku.codec.Protocol;
import dev.danmaku.codec.RoomRequestDecoder;
import dev.danmaku.perf.harness.Stats.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.ScheduledFuture;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One harness connection, the last handler of its pipeline; runs on the connection's event loop.
 *
 * <ul>
 *   <li>{@link Role#SENDER}: carries the BULLETs a {@link Sender} writes; counts ACKs (per room)
 *       and ERRORs (per code).</li>
 *   <li>{@link Role#VIEWER}: JOINs its room live, then counts deliveries from each BATCH header
 *       (count at offset 24) and checks that first seq follows the last one (gaps). Only a
 *       <em>sampled</em> viewer decodes the batch (inflating it) and records, per bullet, receive
 *       time minus the bullet's timestamp (its intended send time) as latency.</li>
 *   <li>{@link Role#IDLE}: holds the connection open (heartbeats only), for {@code conns}.</li>
 *   <li>{@link Role#CONTROL}: creates rooms (CREATE_ROOM, waits for ROOM_INFO).</li>
 * </ul>
 * Every role sends a HEARTBEAT every {@value #HEARTBEAT_S} s so that the node's idle timeout
 * never closes it.
 */
public final class Peer extends ChannelInboundHandlerAdapter {
    /** What a connection does. */
    public enum Role { SENDER, VIEWER, IDLE, CONTROL }

    static final int HEARTBEAT_S = 10;

    /** Per event loop: the full decoder of sampled viewers and a copy buffer. */
    private static final FastThreadLocal<BatchDecoder> DECODER = new FastThreadLocal<>() {
        @Override
        protected BatchDecoder initialValue() {
            return new BatchDecoder();
        }
    };
    private static final FastThreadLocal<UnsafeBuffer> COPY = new FastThreadLocal<>() {
        @Override
        protected UnsafeBuffer initialValue() {
            return new UnsafeBuffer(new byte[64 * 1024]);
        }
    };

    final Role role;
    final Stats stats;
    final RunClock clock;
    final int roomIndex;
    final long roomId;
    final long roomBase;
    final boolean sampled;
    /** The viewer's next expected seq and epoch; outlives a reconnect. */
    final long[] cursor;
    private final CompletableFuture<Peer> ready = new CompletableFuture<>();
    private final Map<Long, CompletableFuture<Boolean>> created = new ConcurrentHashMap<>();
    volatile Channel channel;
    volatile boolean closing;
    private ScheduledFuture<?> heartbeat;
    private Runnable onDisconnect;

    Peer(Role role, Stats stats, RunClock clock, int roomIndex, long roomId, long roomBase, boolean sampled,
         long[] cursor) {
        this.role = role;
        this.stats = stats;
        this.clock = clock;
        this.roomIndex = roomIndex;
        this.roomId = roomId;
        this.roomBase = roomBase;
        this.sampled = sampled;
        this.cursor = cursor == null ? new long[2] : cursor;
    }

    /** Completes when the connection is usable (viewers: after JOINED). */
    public CompletableFuture<Peer> ready() {
        return ready;
    }

    /** Called (on any thread) after the peer's channel closes while the run is on. */
    void onDisconnect(Runnable r) {
        this.onDisconnect = r;
    }

    void failed(Throwable cause) {
        if (ready.completeExceptionally(cause)) {
            stats.increment(Counter.CONNECT_FAILURES);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            channel = ctx.channel();
            stats.open.incrementAndGet();
            heartbeat = ctx.executor().scheduleAtFixedRate(this::heartbeat, HEARTBEAT_S, HEARTBEAT_S, TimeUnit.SECONDS);
            if (role == Role.VIEWER) {
                // JOIN (docs/protocol.md 5.3): anonymous, live, no history
                ByteBuf b = ctx.alloc().buffer(JoinDecoder.LENGTH);
                b.writeShort(Protocol.MAGIC).writeByte(Protocol.VERSION).writeByte(FrameType.JOIN.code())
                        .writeLong(clock.epochMs()).writeLong(0).writeLong(roomId)
                        .writeByte(0).writeInt(0).writeLong(0).writeShort(0);
                ctx.writeAndFlush(new BinaryWebSocketFrame(b));
            } else {
                ready.complete(this);
            }
        } else if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
            failed(new IllegalStateException("WebSocket handshake timed out"));
        }
        super.userEventTriggered(ctx, evt);
    }

    private void heartbeat() {
        Channel ch = channel;
        if (ch != null && ch.isActive()) {
            ByteBuf b = ch.alloc().buffer(RoomRequestDecoder.LENGTH);
            b.writeShort(Protocol.MAGIC).writeByte(Protocol.VERSION).writeByte(FrameType.HEARTBEAT.code())
                    .writeLong(clock.epochMs()).writeLong(0).writeLong(0);
            ch.writeAndFlush(new BinaryWebSocketFrame(b));
        }
    }

    /** CREATE_ROOM; the future completes with true when ROOM_INFO says the room exists. */
    CompletableFuture<Boolean> createRoom(long room) {
        CompletableFuture<Boolean> f = created.computeIfAbsent(room, r -> new CompletableFuture<>());
        Channel ch = channel;
        ByteBuf b = ch.alloc().buffer(RoomRequestDecoder.LENGTH);
        b.writeShort(Protocol.MAGIC).writeByte(Protocol.VERSION).writeByte(FrameType.CREATE_ROOM.code())
                .writeLong(clock.epochMs()).writeLong(1).writeLong(room);
        ch.writeAndFlush(new BinaryWebSocketFrame(b));
        return f;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof BinaryWebSocketFrame frame) {
                onFrame(frame.content());
            } else {
                stats.error(999);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onFrame(ByteBuf b) {
        int ri = b.readerIndex();
        int len = b.readableBytes();
        if (len < Protocol.PREAMBLE_LENGTH || (b.getShort(ri) & 0xFFFF) != Protocol.MAGIC) {
            stats.error(100);
            return;
        }
        int type = b.getByte(ri + Protocol.TYPE_OFFSET) & 0xFF;
        if (type == 0x12) {
            onBatch(b, ri, len);
        } else if (type == 0x10) {
            long ts = b.getLong(ri + 4);
            long room = b.getLong(ri + 12);
            stats.increment(Counter.ACKED);
            if ((b.getByte(ri + 32) & 1) != 0) {
                stats.increment(Counter.ACKED_RETRY);
            }
            if (clock.measured(ts)) {
                stats.increment(Counter.ACKED_MEASURED);
            }
            long idx = room - roomBase;
            if (idx >= 0 && idx < stats.acceptedByRoom.length()) {
                stats.acceptedByRoom.incrementAndGet((int) idx);
            }
        } else if (type == 0x11) {
            stats.error(b.getUnsignedShort(ri + 4));
            if (role == Role.VIEWER && !ready.isDone()) {
                ready.completeExceptionally(new IllegalStateException("JOIN refused: error " + b.getUnsignedShort(ri + 4)));
            }
        } else if (type == 0x16 && len >= JoinedDecoder.LENGTH) {
            long epoch = b.getUnsignedInt(ri + 12);
            long nextSeq = b.getLong(ri + 25);
            if (cursor[0] != 0 && cursor[1] == epoch && nextSeq > cursor[0]) {
                // a rejoin after a disconnect: what was missed in between is a gap
                stats.increment(Counter.GAPS);
                stats.add(Counter.GAP_BULLETS, nextSeq - cursor[0]);
            }
            cursor[0] = nextSeq;
            cursor[1] = epoch;
            ready.complete(this);
        } else if (type == 0x14 && len >= 37) {
            long room = b.getLong(ri + 12);
            boolean exists = (b.getByte(ri + 20) & 1) != 0;
            CompletableFuture<Boolean> f = created.get(room);
            if (f != null) {
                f.complete(exists);
            }
        } else if (type == 0x13) {
            stats.error(990); // REDIRECT / MOVED: not followed by the harness
        }
        // HEARTBEAT, RANKING: ignored
    }

    private void onBatch(ByteBuf b, int ri, int len) {
        if (len < BatchLayout.HEADER_LENGTH) {
            stats.increment(Counter.DECODE_FAILURES);
            return;
        }
        long epoch = b.getUnsignedInt(ri + BatchLayout.EPOCH_OFFSET);
        long first = b.getLong(ri + BatchLayout.FIRST_SEQ_OFFSET);
        int count = b.getUnsignedShort(ri + BatchLayout.COUNT_OFFSET);
        stats.increment(Counter.BATCHES);
        stats.add(Counter.DELIVERED, count);
        long nowMicros = clock.epochMicros();
        if (clock.measuredNow(nowMicros)) {
            stats.add(Counter.DELIVERED_MEASURED, count);
        }
        long expected = cursor[0];
        if (expected != 0 && cursor[1] == epoch && first != expected) {
            stats.increment(Counter.GAPS);
            stats.add(Counter.GAP_BULLETS, Math.abs(first - expected));
        }
        cursor[0] = first + count;
        cursor[1] = epoch;
        if (!sampled) {
            return;
        }
        UnsafeBuffer copy = COPY.get();
        if (copy.capacity() < len) {
            copy.wrap(new byte[Math.max(len, 2 * copy.capacity())]);
        }
        b.getBytes(ri, copy.byteArray(), 0, len);
        BatchDecoder d = DECODER.get();
        if (d.wrap(copy, 0, len) != Protocol.OK) {
            stats.increment(Counter.DECODE_FAILURES);
            return;
        }
        stats.add(Counter.DELIVERED_SAMPLED, count);
        long samples = 0;
        while (d.next()) {
            long ts = d.entry().timestamp();
            if (clock.measured(ts)) {
                stats.recordLatencyUs(nowMicros - ts * 1000);
                samples++;
            }
        }
        stats.add(Counter.LATENCY_SAMPLES, samples);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (heartbeat != null) {
            heartbeat.cancel(false);
            stats.open.decrementAndGet();
        }
        if (!ready.isDone()) {
            failed(new IllegalStateException("closed before it was ready"));
        } else if (!closing) {
            stats.increment(Counter.DISCONNECTS);
            Runnable r = onDisconnect;
            if (r != null) {
                r.run();
            }
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!ready.isDone()) {
            failed(cause);
        }
        ctx.close();
    }

    /** Closes without counting a disconnect. */
    void close() {
        closing = true;
        Channel ch = channel;
        if (ch != null) {
            ch.close();
        }
    }
}
