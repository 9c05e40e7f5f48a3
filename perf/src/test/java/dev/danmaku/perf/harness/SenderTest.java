package dev.danmaku.perf.harness;

import dev.danmaku.codec.BulletDecoder;
import dev.danmaku.codec.ErrorCode;
import dev.danmaku.codec.Protocol;
import dev.danmaku.perf.harness.Stats.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A sender's routing and re-sends without sockets: its links are {@link EmbeddedChannel}s, the answers
 * are fed in by hand, on the test thread (standing in for the sender's loop).
 */
class SenderTest {
    private static final URI NODE_A = URI.create("ws://127.0.0.1:7000/ws");
    private static final URI NODE_B = URI.create("ws://127.0.0.1:7002/ws");
    private static final URI OWNER = URI.create("ws://127.0.0.1:7004/ws");
    private static final int ROOMS = 4;

    /** One written BULLET. */
    record Sent(int link, long timestamp, long room) {
    }

    /** Records the links the sender asks to open; the test brings them up. */
    final class Links implements Sender.Links {
        final List<URI> opened = new ArrayList<>();
        final List<Long> delays = new ArrayList<>();
        boolean running = true;

        @Override
        public void open(URI address, Peer peer, EventLoop loop, long delayMs) {
            opened.add(address);
            delays.add(delayMs);
        }

        @Override
        public boolean running() {
            return running;
        }
    }

    private final Links links = new Links();
    private final List<EmbeddedChannel> channels = new ArrayList<>();
    private Scenario sc;
    private Stats stats;
    private Sender sender;
    private LoadRun.Schedule schedule;
    /** The sender's clock: the tests move it. */
    private long now;
    private final NanoClock clock = () -> now;

    private Scenario scenario(double rate, int durationS) {
        Scenario s = new Scenario();
        s.nodes = new ArrayList<>(List.of(NODE_A, NODE_B));
        s.rooms = ROOMS;
        s.viewersPerRoom = 0;
        s.senders = 1;
        s.rate = rate;
        s.durationS = durationS;
        s.warmupS = 0;
        return s.resolve();
    }

    private void start(double rate, int durationS) {
        sc = scenario(rate, durationS);
        stats = new Stats(ROOMS);
        RunClock runClock = new RunClock();
        EmbeddedChannel loopOwner = new EmbeddedChannel();
        channels.add(loopOwner);
        sender = new Sender(0, 5_000_001L, loopOwner.eventLoop(), sc, stats, runClock, links, this.clock);
        for (int k = 0; k < sender.linkCount(); k++) {
            up(k);
        }
        schedule = new LoadRun.Schedule(sc, stats, new MessageMix(sc.mix, sc.messageBytes, 42), runClock,
                System.currentTimeMillis());
        now = schedule.startNanos;
    }

    @BeforeEach
    void defaults() {
        start(1_000, 10);
    }

    @AfterEach
    void release() {
        for (EmbeddedChannel ch : channels) {
            ch.finishAndReleaseAll();
        }
    }

    /** Gives link k a live channel and tells the sender. */
    private EmbeddedChannel up(int k) {
        Peer p = sender.links()[k];
        EmbeddedChannel ch = new EmbeddedChannel();
        channels.add(ch);
        p.channel = ch;
        sender.linkUp(k, p);
        return ch;
    }

    /** Moves the clock to bullet {@code n - 1}'s time (if later) and ticks: bullets up to index n are due. */
    private void sendUpTo(long n) {
        now = Math.max(now, schedule.intendedNanos(n - 1));
        sender.sendDue(schedule, now);
    }

    /** Moves the clock by {@code ms} and ticks. */
    private void after(long ms) {
        now += ms * 1_000_000L;
        sender.sendDue(schedule, now);
    }

    /** Everything written since the last call, per link. */
    private List<Sent> written() {
        List<Sent> out = new ArrayList<>();
        Peer[] all = sender.links();
        for (int k = 0; k < all.length; k++) {
            if (!(all[k].channel instanceof EmbeddedChannel ch)) {
                continue;
            }
            for (Object m = ch.readOutbound(); m != null; m = ch.readOutbound()) {
                BinaryWebSocketFrame f = (BinaryWebSocketFrame) m;
                ByteBuf b = f.content();
                byte[] bytes = new byte[b.readableBytes()];
                b.getBytes(b.readerIndex(), bytes);
                f.release();
                BulletDecoder d = new BulletDecoder();
                assertThat(d.wrap(new UnsafeBuffer(bytes), 0, bytes.length)).isEqualTo(Protocol.OK);
                out.add(new Sent(k, d.timestamp(), d.roomId()));
            }
        }
        return out;
    }

    private int roomIndex(long roomId) {
        return (int) (roomId - sc.roomBase);
    }

    @Test
    void shouldRouteEachRoomToItsDefaultNodeAsBeforeClusters() {
        sendUpTo(40);
        List<Sent> w = written();
        assertThat(w).hasSize(40);
        for (Sent s : w) {
            assertThat(s.link()).as("room %d", s.room()).isEqualTo(roomIndex(s.room()) % 2);
        }
        assertThat(stats.get(Counter.SENT)).isEqualTo(40);
        assertThat(sender.pending()).isEqualTo(40);
        assertThat(w.stream().map(Sent::timestamp).distinct().count()).as("distinct idempotency keys").isEqualTo(40);
    }

    @Test
    void shouldSendARoomsFirstBulletToTheOwnerAnotherSenderLearnedAndShareWhatItLearns() {
        RouteHints hints = new RouteHints(ROOMS);
        sender.routeHints(hints);
        // Another sender of this process was redirected for room 0 (default link A) to node B.
        hints.learned(0, NODE_B.toString());
        sendUpTo(40);
        for (Sent s : written()) {
            assertThat(s.link()).as("room %d", s.room()).isEqualTo(roomIndex(s.room()) == 0 ? 1 : roomIndex(s.room()) % 2);
        }
        assertThat(stats.get(Counter.REDIRECTS_FOLLOWED)).as("no detour").isZero();
        // What this sender learns, the others find.
        sender.onRedirect(0, sc.roomBase + 2, OWNER.toString());
        assertThat(hints.get(2)).isEqualTo(OWNER.toString());
    }

    @Test
    void shouldResendARedirectedRoomsBulletsToItsOwnerWithTheirTimestampsAndRouteItThereAfterwards() {
        sendUpTo(40);
        List<Sent> first = written();
        Sent any = first.get(0);
        long room = any.room();
        List<Long> redirectedTs = first.stream().filter(s -> s.room() == room).map(Sent::timestamp).toList();
        sender.onRedirect(any.link(), room, OWNER.toString());
        assertThat(links.opened).containsExactly(NODE_A, NODE_B, OWNER);
        assertThat(written()).as("the owner's link is still connecting: nothing written").isEmpty();
        sendUpTo(80); // new bullets of the room wait for the owner's link too, the others go out
        List<Sent> meanwhile = written();
        assertThat(meanwhile).allSatisfy(s -> assertThat(s.room()).isNotEqualTo(room));
        assertThat(stats.get(Counter.UNSENT)).isZero();
        up(2);
        List<Sent> resent = written();
        assertThat(resent).allSatisfy(s -> {
            assertThat(s.link()).isEqualTo(2);
            assertThat(s.room()).isEqualTo(room);
        });
        assertThat(resent.stream().map(Sent::timestamp).toList()).as("same keys, in order")
                .startsWith(redirectedTs.toArray(new Long[0]));
        assertThat(stats.get(Counter.REDIRECTS_FOLLOWED)).isEqualTo(1);
        // a second REDIRECT from the old link (for another of those bullets) re-sends nothing twice
        sender.onRedirect(any.link(), room, OWNER.toString());
        assertThat(written()).isEmpty();
        sendUpTo(120);
        for (Sent s : written()) {
            assertThat(s.link()).isEqualTo(s.room() == room ? 2 : roomIndex(s.room()) % 2);
        }
        // the owner acknowledges one of them; then the old owner's late ACK for the same bullet arrives
        long ts = redirectedTs.get(0);
        sender.onAck(ts, room, 1026, 7, true);
        sender.onAck(ts, room, 1, 7, false);
        assertThat(stats.get(Counter.ACKED)).isEqualTo(1);
        assertThat(stats.get(Counter.ACKED_RETRY)).isEqualTo(1);
        assertThat(stats.get(Counter.ACKS_REPEATED)).isEqualTo(1);
        assertThat(stats.acceptedByRoom.get(roomIndex(room))).isEqualTo(1);
    }

    @Test
    void shouldResendABulletAnsweredRoomMovingAfterTheHintAndGiveUpAfterTheLimit() {
        start(0.1, 1000); // one bullet in 10 s: none other comes due during the retries (40 x 50 ms)
        sendUpTo(1);
        Sent s = written().get(0);
        sender.onError(ErrorCode.ROOM_MOVING.code(), s.timestamp(), 30);
        after(29);
        assertThat(written()).as("not before the hint").isEmpty();
        after(1);
        assertThat(written()).containsExactly(s);
        assertThat(stats.get(Counter.RETRIES)).isEqualTo(1);
        assertThat(stats.retried.get(ErrorCode.ROOM_MOVING.code())).isEqualTo(1);
        for (int i = 1; i < Sender.RETRY_LIMIT; i++) {
            sender.onError(ErrorCode.BUSY.code(), s.timestamp(), 0); // no hint: the default delay
            after(Sender.DEFAULT_RETRY_AFTER_MS);
            assertThat(written()).containsExactly(s);
        }
        sender.onError(ErrorCode.CLUSTER_UNAVAILABLE.code(), s.timestamp(), 1);
        assertThat(stats.get(Counter.ERRORS)).as("the retries ran out").isEqualTo(1);
        assertThat(stats.errors.get(ErrorCode.CLUSTER_UNAVAILABLE.code())).isEqualTo(1);
        assertThat(stats.get(Counter.RETRIES)).isEqualTo(Sender.RETRY_LIMIT);
        assertThat(sender.pending()).isZero();
        after(100);
        assertThat(written()).isEmpty();
    }

    @Test
    void shouldTakeTheFirstAnswerOfABulletTheRedirectSentTwice() {
        sendUpTo(1);
        Sent s = written().get(0);
        // the old owner journaled it but its ACK is still on the way when a REDIRECT (for a later bullet) comes
        sender.onRedirect(s.link(), s.room(), OWNER.toString());
        up(2);
        assertThat(written()).containsExactly(new Sent(2, s.timestamp(), s.room()));
        sender.onAck(s.timestamp(), s.room(), 1, 1, false); // the old owner's ACK
        sender.onError(ErrorCode.ROOM_MOVING.code(), s.timestamp(), 40); // the new owner, still installing
        assertThat(stats.get(Counter.ACKED)).isEqualTo(1);
        assertThat(stats.get(Counter.ERRORS)).isZero();
        assertThat(stats.get(Counter.RETRIES)).isZero();
        assertThat(stats.get(Counter.LATE_ANSWERS)).isEqualTo(1);
        after(100);
        assertThat(written()).as("answered: never sent again").extracting(Sent::timestamp)
                .doesNotContain(s.timestamp());
    }

    @Test
    void shouldCountANonRetriableErrorOnceAndForgetTheBullet() {
        sendUpTo(1);
        Sent s = written().get(0);
        sender.onError(ErrorCode.SENSITIVE_WORD.code(), s.timestamp(), 0);
        assertThat(stats.get(Counter.ERRORS)).isEqualTo(1);
        assertThat(stats.get(Counter.RETRIES)).isZero();
        assertThat(sender.pending()).isZero();
    }

    @Test
    void shouldGiveUpABulletRedirectedInALoopAfterTheHopLimit() {
        sendUpTo(1);
        Sent s = written().get(0);
        int from = s.link();
        int other = 1 - from;
        String[] to = {s.link() == 0 ? NODE_B.toString() : NODE_A.toString(),
                s.link() == 0 ? NODE_A.toString() : NODE_B.toString()};
        int hops = 0;
        while (stats.get(Counter.ERRORS) == 0 && hops < 20) {
            sender.onRedirect(hops % 2 == 0 ? from : other, s.room(), to[hops % 2]);
            hops++;
            List<Sent> w = written();
            if (stats.get(Counter.ERRORS) == 0) {
                assertThat(w).extracting(Sent::timestamp).containsExactly(s.timestamp());
            } else {
                assertThat(w).isEmpty();
            }
        }
        assertThat(hops).isEqualTo(Sender.HOP_LIMIT + 1);
        assertThat(stats.errors.get(Sender.REDIRECT_NOT_FOLLOWED)).isEqualTo(1);
        assertThat(sender.pending()).isZero();
    }

    @Test
    void shouldNotFollowARedirectToABadAddress() {
        sendUpTo(1);
        Sent s = written().get(0);
        sender.onRedirect(s.link(), s.room(), "http://nowhere");
        assertThat(stats.errors.get(Sender.REDIRECT_NOT_FOLLOWED)).isEqualTo(1);
        assertThat(stats.get(Counter.REDIRECTS_FOLLOWED)).isZero();
        assertThat(links.opened).hasSize(2);
    }

    @Test
    void shouldCountUnsentWhenThePendingRingIsFull() {
        start(10, 200); // 10/s: the ring holds its minimum, 1,024
        for (int n = 100; n <= 1_100; n += 100) {
            sendUpTo(n);
            written(); // flushed and read, as the socket would: the channel stays writable
        }
        assertThat(stats.get(Counter.SENT)).isEqualTo(1_024);
        assertThat(stats.get(Counter.UNSENT)).isEqualTo(1_100 - 1_024);
        sender.onAck(schedule.intendedEpochMs(0), sc.roomId(sc.roomOf(0)), 1, 1, false);
        sendUpTo(1_101);
        assertThat(stats.get(Counter.SENT)).as("an ACK frees a slot").isEqualTo(1_025);
    }

    @Test
    void shouldResendWhatALostLinkHadInFlightWhenItComesBack() {
        sendUpTo(20);
        List<Sent> first = written();
        List<Long> onA = first.stream().filter(s -> s.link() == 0).map(Sent::timestamp).toList();
        Peer lost = sender.links()[0];
        sender.linkDown(0, lost);
        assertThat(stats.get(Counter.RECONNECTS)).isEqualTo(1);
        assertThat(links.opened).hasSize(3);
        assertThat(links.delays.get(2)).isEqualTo(Sender.RELINK_DELAY_MS);
        assertThat(sender.links()[0]).as("a new connection for the link").isNotSameAs(lost);
        sendUpTo(40);
        List<Sent> meanwhile = written();
        assertThat(meanwhile).allSatisfy(s -> assertThat(s.link()).isEqualTo(1));
        up(0);
        List<Sent> back = written();
        assertThat(back.stream().map(Sent::timestamp).toList()).startsWith(onA.toArray(new Long[0]));
        assertThat(stats.get(Counter.UNSENT)).isZero();
        assertThat(stats.get(Counter.SENT)).as("a re-send is no new bullet").isEqualTo(40);
    }

    @Test
    void shouldSizeThePendingRingByTheSendersRate() {
        assertThat(Sender.pendingCapacity(1)).isEqualTo(1 << 10);
        assertThat(Sender.pendingCapacity(500)).isEqualTo(1 << 13);
        assertThat(Sender.pendingCapacity(1e9)).isEqualTo(1 << 16);
    }
}
