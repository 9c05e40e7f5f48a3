package dev.danmaku.perf.harness;

import dev.danmaku.codec.BatchLayout;
import dev.danmaku.codec.ErrorCode;
import dev.danmaku.codec.FrameEncoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.JoinDecoder;
import dev.danmaku.codec.JoinedDecoder;
import dev.danmaku.codec.Protocol;
import dev.danmaku.codec.RedirectDecoder;
import dev.danmaku.perf.harness.Stats.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A viewer connection ({@link Peer}, role VIEWER) on an {@link EmbeddedChannel}: what it JOINs with, how
 * it follows MOVED and REDIRECT, retries ROOM_MOVING, and counts a resume across a move.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class PeerViewerTest {
    private static final long ROOM = 1_000_001L;
    private static final String OWNER = "ws://127.0.0.1:7002/ws";

    /** What the connection told its viewer. */
    static final class Events implements Peer.ViewerListener {
        final List<String> seen = new ArrayList<>();
        URI to;

        @Override
        public void joined(Peer p) {
            seen.add("joined");
        }

        @Override
        public void lost(Peer p) {
            seen.add("lost");
        }

        @Override
        public void failed(Peer p, Throwable cause) {
            seen.add("failed");
        }

        @Override
        public void refused(Peer p, int code) {
            seen.add("refused " + code);
        }

        @Override
        public void redirected(Peer p, URI where) {
            seen.add("redirected");
            to = where;
        }
    }

    private final Stats stats = new Stats(1);
    private final ViewerCursor cursor = new ViewerCursor(0);
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void release() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    private EmbeddedChannel connect(Events events) {
        Peer p = new Peer(Peer.Role.VIEWER, stats, new RunClock(), 0, ROOM, ROOM, false, cursor);
        p.viewer = events;
        EmbeddedChannel ch = new EmbeddedChannel(p);
        channels.add(ch);
        ch.pipeline().fireUserEventTriggered(WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE);
        return ch;
    }

    /** The JOIN the connection wrote: {flags, epoch, lastSeq}. */
    private static long[] join(EmbeddedChannel ch) {
        BinaryWebSocketFrame f = ch.readOutbound();
        ByteBuf b = f.content();
        assertThat(b.readableBytes()).isEqualTo(JoinDecoder.LENGTH);
        assertThat(b.getByte(3)).isEqualTo((byte) FrameType.JOIN.code());
        assertThat(b.getLong(20)).isEqualTo(ROOM);
        long[] j = {b.getUnsignedByte(JoinDecoder.FLAGS_OFFSET), b.getUnsignedInt(JoinDecoder.EPOCH_OFFSET),
                b.getLong(JoinDecoder.LAST_SEQ_OFFSET)};
        f.release();
        return j;
    }

    private static void in(EmbeddedChannel ch, UnsafeBuffer b, int n) {
        ch.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(b.byteArray(), 0, n)));
    }

    private static void joined(EmbeddedChannel ch, long epoch, int status, long nextSeq) {
        UnsafeBuffer b = new UnsafeBuffer(new byte[64]);
        in(ch, b, FrameEncoder.joined(b, 0, ROOM, epoch, status, nextSeq - 1, nextSeq));
    }

    /** A BATCH header (a non-sampled viewer reads nothing else). */
    private static void batch(EmbeddedChannel ch, long epoch, long first, int count) {
        UnsafeBuffer b = new UnsafeBuffer(new byte[BatchLayout.HEADER_LENGTH]);
        header(b, epoch, first, count);
        in(ch, b, BatchLayout.HEADER_LENGTH);
    }

    private static void header(UnsafeBuffer b, long epoch, long first, int count) {
        b.putShort(0, (short) Protocol.MAGIC, Protocol.ORDER);
        b.putByte(2, (byte) Protocol.VERSION);
        b.putByte(3, (byte) FrameType.BATCH.code());
        b.putLong(BatchLayout.ROOM_OFFSET, ROOM, Protocol.ORDER);
        b.putInt(BatchLayout.EPOCH_OFFSET, (int) epoch, Protocol.ORDER);
        b.putLong(BatchLayout.FIRST_SEQ_OFFSET, first, Protocol.ORDER);
        b.putShort(BatchLayout.COUNT_OFFSET, (short) count, Protocol.ORDER);
    }

    private static void redirect(EmbeddedChannel ch, int kind, long epoch, String address) {
        UnsafeBuffer b = new UnsafeBuffer(new byte[512]);
        in(ch, b, FrameEncoder.redirect(b, 0, ROOM, kind, epoch, address));
    }

    @Test
    void shouldJoinLiveFirstThenFollowMovedAndResumeAcrossTheMoveWithoutABreak() {
        Events events = new Events();
        EmbeddedChannel a = connect(events);
        assertThat(join(a)).as("a live JOIN, as before clusters").containsExactly(0, 0, 0);
        joined(a, 3, JoinedDecoder.STATUS_LIVE, 1);
        batch(a, 3, 1, 5);
        // MOVED and, read in the same go, a batch the viewer must not take from the connection it is leaving
        UnsafeBuffer moved = new UnsafeBuffer(new byte[512]);
        int n = FrameEncoder.redirect(moved, 0, ROOM, RedirectDecoder.KIND_MOVED, 3, OWNER);
        UnsafeBuffer late = new UnsafeBuffer(new byte[BatchLayout.HEADER_LENGTH]);
        header(late, 3, 6, 1);
        a.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(moved.byteArray(), 0, n)),
                new BinaryWebSocketFrame(Unpooled.wrappedBuffer(late.byteArray())));
        assertThat(cursor.lastSeq()).isEqualTo(5);
        assertThat(a.isActive()).as("closed to follow the MOVED").isFalse();
        assertThat(events.seen).containsExactly("joined", "redirected");
        assertThat(events.to).isEqualTo(URI.create(OWNER));
        assertThat(stats.get(Counter.MOVED)).isEqualTo(1);
        assertThat(stats.get(Counter.DISCONNECTS)).as("a MOVED is no disconnect").isZero();

        EmbeddedChannel b = connect(events);
        assertThat(join(b)).as("RESUME from (epoch 3, seq 5)").containsExactly(JoinDecoder.FLAG_RESUME, 3, 5);
        joined(b, 1027, JoinedDecoder.STATUS_RECOVERED, 6);
        batch(b, 3, 6, 2);
        batch(b, 1027, 8, 3);
        assertThat(stats.get(Counter.RESUMES)).isEqualTo(1);
        assertThat(stats.get(Counter.DELIVERED)).isEqualTo(10);
        assertThat(stats.get(Counter.GAPS) + stats.get(Counter.EPOCH_CHANGES) + stats.get(Counter.DUPLICATES)).isZero();
        assertThat(cursor.epoch()).isEqualTo(1027);
        assertThat(cursor.lastSeq()).isEqualTo(10);
    }

    @Test
    void shouldReportAConnectionThatFailedBeforeItWasReadyOnceNotAgainWhenItCloses() {
        Events events = new Events();
        EmbeddedChannel a = connect(events);
        join(a);
        // An I/O error before the JOINED: failed() reports it, then the channel closes. Reported twice,
        // the viewer reconnected twice, and two connections resuming from one cursor doubled everything.
        a.pipeline().fireExceptionCaught(new java.io.IOException("connection reset by peer"));
        a.close();
        assertThat(events.seen).containsExactly("failed");
        assertThat(stats.get(Counter.CONNECT_FAILURES)).isEqualTo(1);
        assertThat(stats.get(Counter.DISCONNECTS)).isZero();
    }

    @Test
    void shouldCountDuplicatesOfAReplayAsDuplicatesNotDeliveries() {
        Events events = new Events();
        EmbeddedChannel a = connect(events);
        join(a);
        joined(a, 1, JoinedDecoder.STATUS_LIVE, 1);
        batch(a, 1, 1, 4);
        a.close(); // the node went away
        assertThat(events.seen).containsExactly("joined", "lost");
        assertThat(stats.get(Counter.DISCONNECTS)).isEqualTo(1);
        EmbeddedChannel b = connect(events);
        assertThat(join(b)).containsExactly(JoinDecoder.FLAG_RESUME, 1, 4);
        joined(b, 1, JoinedDecoder.STATUS_RECOVERED, 5);
        batch(b, 1, 3, 4); // resends 3 and 4
        assertThat(stats.get(Counter.DUPLICATES)).isEqualTo(2);
        assertThat(stats.get(Counter.DELIVERED)).isEqualTo(6);
    }

    @Test
    void shouldFollowARedirectAnsweringTheJoinAndStopAfterTheHopLimit() {
        Events events = new Events();
        for (int hop = 1; hop <= Peer.HOP_LIMIT; hop++) {
            EmbeddedChannel ch = connect(events);
            join(ch);
            redirect(ch, RedirectDecoder.KIND_REDIRECT, 0, OWNER);
            assertThat(events.seen.get(events.seen.size() - 1)).isEqualTo("redirected");
        }
        EmbeddedChannel last = connect(events);
        join(last);
        redirect(last, RedirectDecoder.KIND_REDIRECT, 0, OWNER);
        assertThat(events.seen.get(events.seen.size() - 1)).isEqualTo("refused " + Sender.REDIRECT_NOT_FOLLOWED);
        assertThat(stats.get(Counter.REDIRECTS_FOLLOWED)).isEqualTo(Peer.HOP_LIMIT + 1);
        assertThat(stats.errors.get(Sender.REDIRECT_NOT_FOLLOWED)).isEqualTo(1);
        assertThat(last.isActive()).isFalse();
    }

    @Test
    void shouldResetTheHopsOnAJoined() {
        Events events = new Events();
        EmbeddedChannel a = connect(events);
        join(a);
        redirect(a, RedirectDecoder.KIND_REDIRECT, 0, OWNER);
        assertThat(cursor.hops).isEqualTo(1);
        EmbeddedChannel b = connect(events);
        join(b);
        joined(b, 2, JoinedDecoder.STATUS_LIVE, 1);
        assertThat(cursor.hops).isZero();
    }

    @Test
    void shouldRetryAJoinAnsweredRoomMovingAfterTheHint() throws Exception {
        Events events = new Events();
        EmbeddedChannel a = connect(events);
        join(a);
        UnsafeBuffer b = new UnsafeBuffer(new byte[128]);
        in(a, b, FrameEncoder.error(b, 0, ErrorCode.ROOM_MOVING, FrameType.JOIN.code(), 1, ROOM, 20));
        assertThat((Object) a.readOutbound()).as("not at once").isNull();
        Thread.sleep(30);
        a.runScheduledPendingTasks();
        assertThat(join(a)).containsExactly(0, 0, 0);
        assertThat(stats.get(Counter.RETRIES)).isEqualTo(1);
        assertThat(stats.get(Counter.ERRORS)).isZero();
        assertThat(events.seen).isEmpty();
    }

    @Test
    void shouldStopOnAJoinRefusedForGood() {
        Events events = new Events();
        EmbeddedChannel a = connect(events);
        join(a);
        UnsafeBuffer b = new UnsafeBuffer(new byte[128]);
        in(a, b, FrameEncoder.error(b, 0, ErrorCode.ROOM_NOT_FOUND, FrameType.JOIN.code(), 1, ROOM, 0));
        assertThat(events.seen).containsExactly("refused " + ErrorCode.ROOM_NOT_FOUND.code());
        assertThat(stats.get(Counter.ERRORS)).isEqualTo(1);
        assertThat(a.isActive()).isFalse();
    }
}
