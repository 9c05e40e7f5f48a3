package dev.danmaku.perf.harness;

import dev.danmaku.codec.AckDecoder;
import dev.danmaku.codec.BatchDecoder;
import dev.danmaku.codec.BatchLayout;
import dev.danmaku.codec.ErrorDecoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.JoinDecoder;
import dev.danmaku.codec.JoinedDecoder;
import dev.danmaku.codec.Protocol;
import dev.danmaku.codec.RedirectDecoder;
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

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One harness connection, the last handler of its pipeline; runs on the connection's event loop.
 *
 * <ul>
 *   <li>{@link Role#SENDER}: one link of a {@link Sender} (registered on the sender's loop); hands it the
 *       ACKs, the ERRORs answering BULLETs and the REDIRECTs; other ERRORs are counted per code.</li>
 *   <li>{@link Role#VIEWER}: JOINs its room (live the first time; with RESUME from its
 *       {@link ViewerCursor} after a disconnect, a REDIRECT or a MOVED), then counts deliveries from each
 *       BATCH header (count at offset 24) as the cursor judges them (gaps, duplicates, epoch changes
 *       across moves: docs/protocol.md 5.8). A REDIRECT or MOVED closes the connection and tells the
 *       viewer where to connect next ({@link ViewerListener#redirected}), at most {@value #HOP_LIMIT}
 *       hops without a JOINED in between (then error 990). A JOIN answered BUSY, ROOM_MOVING or
 *       CLUSTER_UNAVAILABLE is sent again after the retry-after hint, at most
 *       {@value Sender#RETRY_LIMIT} times. Only a <em>sampled</em> viewer decodes the batch (inflating it)
 *       and records, per new bullet, receive time minus the bullet's timestamp (its intended send time)
 *       as latency.</li>
 *   <li>{@link Role#IDLE}: holds the connection open (heartbeats only), for {@code conns}.</li>
 *   <li>{@link Role#CONTROL}: creates rooms (CREATE_ROOM), reporting ROOM_INFO, REDIRECT and refusals
 *       to its {@link ControlListener}.</li>
 * </ul>
 * Every role sends a HEARTBEAT every {@value #HEARTBEAT_S} s so that the node's idle timeout
 * never closes it.
 */
public final class Peer extends ChannelInboundHandlerAdapter {
    /** What a connection does. */
    public enum Role { SENDER, VIEWER, IDLE, CONTROL }

    /** What a viewer's connection reports to the viewer; called on the connection's event loop. */
    interface ViewerListener {
        /** A JOINED was applied to the cursor. */
        void joined(Peer p);

        /** The connection closed after its JOIN was answered, not by the harness: reconnect and resume. */
        void lost(Peer p);

        /** The connection could not be opened, or closed before its JOIN was answered. */
        void failed(Peer p, Throwable cause);

        /** The node refused the JOIN for good ({@code code}), or the redirect hops ran out: stop. */
        void refused(Peer p, int code);

        /** REDIRECT or MOVED: the connection is closed; connect to {@code to} and JOIN (RESUME) there. */
        void redirected(Peer p, URI to);
    }

    /** What a control connection reports to the room creator; called on the connection's event loop. */
    interface ControlListener {
        void roomInfo(long room, boolean exists);

        void redirected(long room, String address);

        void refused(long room, int code, long retryAfterMs);
    }

    static final int HEARTBEAT_S = 10;
    /** REDIRECT/MOVED hops a viewer follows without a JOINED in between. */
    static final int HOP_LIMIT = Sender.HOP_LIMIT;

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
    /** The viewer's position; outlives a reconnect (null for other roles). */
    final ViewerCursor cursor;
    /** SENDER: the sender this connection is link {@link #link} of (set before connecting). */
    Sender sender;
    int link;
    /** VIEWER: where connection events go (set before connecting). */
    ViewerListener viewer;
    /** CONTROL: where answers go (set before connecting). */
    ControlListener control;
    private final CompletableFuture<Peer> ready = new CompletableFuture<>();
    volatile Channel channel;
    volatile boolean closing;
    private ScheduledFuture<?> heartbeat;
    private URI redirectTo;
    private int joinRetries;

    Peer(Role role, Stats stats, RunClock clock, int roomIndex, long roomId, long roomBase, boolean sampled,
         ViewerCursor cursor) {
        this.role = role;
        this.stats = stats;
        this.clock = clock;
        this.roomIndex = roomIndex;
        this.roomId = roomId;
        this.roomBase = roomBase;
        this.sampled = sampled;
        this.cursor = cursor;
    }

    /**
     * Completes when the connection is usable (viewers: after a JOINED, or a REDIRECT/MOVED that sends
     * the viewer elsewhere), or exceptionally.
     */
    public CompletableFuture<Peer> ready() {
        return ready;
    }

    void failed(Throwable cause) {
        if (ready.completeExceptionally(cause)) {
            stats.increment(Counter.CONNECT_FAILURES);
            if (sender != null) {
                sender.linkDown(link, this);
            }
            if (viewer != null) {
                viewer.failed(this, cause);
            }
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            channel = ctx.channel();
            stats.open.incrementAndGet();
            heartbeat = ctx.executor().scheduleAtFixedRate(this::heartbeat, HEARTBEAT_S, HEARTBEAT_S, TimeUnit.SECONDS);
            if (role == Role.VIEWER) {
                writeJoin(ctx.channel());
            } else {
                ready.complete(this);
                if (sender != null) {
                    sender.linkUp(link, this);
                }
            }
        } else if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
            failed(new IllegalStateException("WebSocket handshake timed out"));
        }
        super.userEventTriggered(ctx, evt);
    }

    /**
     * JOIN (docs/protocol.md 5.3): anonymous, no history; live the first time, then RESUME (flags bit 0)
     * from the cursor's (epoch, last seq).
     */
    private void writeJoin(Channel ch) {
        boolean resume = cursor != null && cursor.positioned();
        ByteBuf b = ch.alloc().buffer(JoinDecoder.LENGTH);
        b.writeShort(Protocol.MAGIC).writeByte(Protocol.VERSION).writeByte(FrameType.JOIN.code())
                .writeLong(clock.epochMs()).writeLong(0).writeLong(roomId)
                .writeByte(resume ? JoinDecoder.FLAG_RESUME : 0)
                .writeInt(resume ? (int) cursor.epoch() : 0)
                .writeLong(resume ? cursor.lastSeq() : 0)
                .writeShort(0);
        ch.writeAndFlush(new BinaryWebSocketFrame(b));
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

    /** CREATE_ROOM (any thread); the answer goes to the {@link ControlListener}. */
    void createRoom(long room) {
        Channel ch = channel;
        ByteBuf b = ch.alloc().buffer(RoomRequestDecoder.LENGTH);
        b.writeShort(Protocol.MAGIC).writeByte(Protocol.VERSION).writeByte(FrameType.CREATE_ROOM.code())
                .writeLong(clock.epochMs()).writeLong(1).writeLong(room);
        ch.writeAndFlush(new BinaryWebSocketFrame(b));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (redirectTo != null || closing) {
                return; // left for another node (or the run is over): what still arrives here is not ours
            }
            if (msg instanceof BinaryWebSocketFrame frame) {
                onFrame(ctx, frame.content());
            } else {
                stats.error(999);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onFrame(ChannelHandlerContext ctx, ByteBuf b) {
        int ri = b.readerIndex();
        int len = b.readableBytes();
        if (len < Protocol.PREAMBLE_LENGTH || (b.getShort(ri) & 0xFFFF) != Protocol.MAGIC) {
            stats.error(100);
            return;
        }
        int type = b.getByte(ri + Protocol.TYPE_OFFSET) & 0xFF;
        if (type == 0x12) {
            onBatch(b, ri, len);
        } else if (type == 0x10 && len >= AckDecoder.LENGTH) {
            onAck(b, ri);
        } else if (type == 0x11 && len >= ErrorDecoder.REASON_OFFSET) {
            onError(ctx, b, ri);
        } else if (type == 0x16 && len >= JoinedDecoder.LENGTH) {
            if (cursor != null) {
                cursor.onJoined(b.getUnsignedInt(ri + 12), b.getUnsignedByte(ri + 16), b.getLong(ri + 25), stats);
                joinRetries = 0;
            }
            ready.complete(this);
            if (viewer != null) {
                viewer.joined(this);
            }
        } else if (type == 0x14 && len >= 37) {
            if (control != null) {
                control.roomInfo(b.getLong(ri + 12), (b.getByte(ri + 20) & 1) != 0);
            }
        } else if (type == 0x13 && len >= RedirectDecoder.ADDRESS_OFFSET + 2) {
            onRedirect(ctx, b, ri, len);
        } else if (type >= 0x10 && type <= 0x16 && type != 0x15) {
            stats.increment(Counter.DECODE_FAILURES); // one of the above, shorter than its fixed fields
        }
        // HEARTBEAT, RANKING: ignored
    }

    /** ACK (docs/protocol.md 5.5): timestamp 4, room 12, epoch 20, seq 24, flags 32. */
    private void onAck(ByteBuf b, int ri) {
        long ts = b.getLong(ri + 4);
        long room = b.getLong(ri + 12);
        boolean retry = (b.getByte(ri + 32) & 1) != 0;
        if (sender != null) {
            sender.onAck(ts, room, b.getUnsignedInt(ri + 20), b.getLong(ri + 24), retry);
            return;
        }
        stats.increment(Counter.ACKED);
        if (retry) {
            stats.increment(Counter.ACKED_RETRY);
        }
        if (clock.measured(ts)) {
            stats.increment(Counter.ACKED_MEASURED);
        }
        long idx = room - roomBase;
        if (idx >= 0 && idx < stats.acceptedByRoom.length()) {
            stats.acceptedByRoom.incrementAndGet((int) idx);
            stats.recordAck((int) idx, b.getUnsignedInt(ri + 20), b.getLong(ri + 24));
        }
    }

    /** ERROR (docs/protocol.md 5.6): code 4, ref type 6, ref timestamp 7, room 15, retry after 23. */
    private void onError(ChannelHandlerContext ctx, ByteBuf b, int ri) {
        int code = b.getUnsignedShort(ri + 4);
        int refType = b.getUnsignedByte(ri + 6);
        long refTs = b.getLong(ri + 7);
        long room = b.getLong(ri + 15);
        long retryAfterMs = b.getUnsignedInt(ri + 23);
        if (sender != null && refType == FrameType.BULLET.code()) {
            sender.onError(code, refTs, retryAfterMs);
            return;
        }
        if (control != null && refType == FrameType.CREATE_ROOM.code()) {
            control.refused(room, code, retryAfterMs);
            return;
        }
        if (role == Role.VIEWER && refType == FrameType.JOIN.code()) {
            if (Sender.retriable(code) && joinRetries < Sender.RETRY_LIMIT) {
                joinRetries++;
                stats.retry(code);
                Channel ch = ctx.channel();
                ctx.executor().schedule(() -> {
                    if (ch.isActive() && !closing) {
                        writeJoin(ch);
                    }
                }, retryAfterMs > 0 ? retryAfterMs : Sender.DEFAULT_RETRY_AFTER_MS, TimeUnit.MILLISECONDS);
                return;
            }
            stats.error(code);
            ready.completeExceptionally(new IllegalStateException("JOIN refused: error " + code));
            if (viewer != null) {
                closing = true; // no reconnect: the node said no
                ctx.close();
                viewer.refused(this, code);
            }
            return;
        }
        stats.error(code);
        if (role == Role.VIEWER && !ready.isDone()) {
            ready.completeExceptionally(new IllegalStateException("JOIN refused: error " + code));
        }
    }

    /** REDIRECT / MOVED (docs/protocol.md 5.8): room 4, kind 12, epoch 13, address 17 (u16 length + UTF-8). */
    private void onRedirect(ChannelHandlerContext ctx, ByteBuf b, int ri, int len) {
        long room = b.getLong(ri + 4);
        boolean moved = b.getUnsignedByte(ri + 12) == RedirectDecoder.KIND_MOVED;
        int n = b.getUnsignedShort(ri + RedirectDecoder.ADDRESS_OFFSET);
        if (RedirectDecoder.ADDRESS_OFFSET + 2 + n > len) {
            stats.increment(Counter.DECODE_FAILURES);
            return;
        }
        // a String per redirect: rare, off the per-bullet path
        String address = b.toString(ri + RedirectDecoder.ADDRESS_OFFSET + 2, n, StandardCharsets.UTF_8);
        if (sender != null) {
            sender.onRedirect(link, room, address);
            return;
        }
        if (control != null) {
            control.redirected(room, address);
            return;
        }
        if (role != Role.VIEWER || cursor == null || room != roomId || redirectTo != null) {
            stats.error(Sender.REDIRECT_NOT_FOLLOWED);
            return;
        }
        stats.increment(moved ? Counter.MOVED : Counter.REDIRECTS_FOLLOWED);
        URI to = wsUri(address);
        if (to == null || ++cursor.hops > HOP_LIMIT) {
            stats.error(Sender.REDIRECT_NOT_FOLLOWED); // a bad address, or a loop: give up rather than spin
            closing = true;
            ready.completeExceptionally(new IllegalStateException("redirect not followed: " + address));
            ctx.close();
            if (viewer != null) {
                viewer.refused(this, Sender.REDIRECT_NOT_FOLLOWED);
            }
            return;
        }
        redirectTo = to;
        ready.complete(this); // answered: the connection did its part (the JOINED comes from the owner)
        ctx.close();
    }

    /** A ws:// URL with a host and port, or null. */
    static URI wsUri(String address) {
        try {
            URI u = new URI(address);
            return "ws".equalsIgnoreCase(u.getScheme()) && u.getHost() != null && u.getPort() > 0 ? u : null;
        } catch (URISyntaxException e) {
            return null;
        }
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
        int skip = cursor == null ? 0 : cursor.onBatch(epoch, first, count, stats);
        int fresh = count - skip;
        stats.add(Counter.DELIVERED, fresh);
        long nowMicros = clock.epochMicros();
        if (clock.measuredNow(nowMicros)) {
            stats.add(Counter.DELIVERED_MEASURED, fresh);
        }
        if (!sampled || fresh == 0) {
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
        stats.add(Counter.DELIVERED_SAMPLED, fresh);
        long samples = 0;
        int index = 0;
        while (d.next()) {
            if (index++ < skip) {
                continue; // a duplicate: its latency was recorded when it first came
            }
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
        if (redirectTo != null) {
            if (viewer != null && !closing) {
                viewer.redirected(this, redirectTo); // not a disconnect: the node sent us on
            }
        } else if (!ready.isDone()) {
            failed(new IllegalStateException("closed before it was ready"));
        } else if (ready.isCompletedExceptionally()) {
            // failed() already reported this connection (an exception before it was ready, then this
            // close): reporting it again as a disconnect made the viewer reconnect twice, and two
            // connections resuming from one cursor delivered everything twice
        } else if (!closing) {
            stats.increment(Counter.DISCONNECTS);
            if (sender != null) {
                sender.linkDown(link, this);
            }
            if (viewer != null) {
                viewer.lost(this);
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

    /** Closes without counting a disconnect (and without reconnecting). */
    void close() {
        closing = true;
        Channel ch = channel;
        if (ch != null) {
            ch.close();
        }
    }
}
