package dev.danmaku.tools.client;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link DanmakuClient} against {@link FakeNode} over real sockets: reconnect, resend, resume, heartbeat, redirect. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ClientSocketTest {
    private static final long ROOM = 9001;

    /** Records what the listener saw (on the client's event loop). */
    static final class Recorder implements DanmakuListener {
        final List<Bullet> bullets = new CopyOnWriteArrayList<>();
        final List<Discontinuity> breaks = new CopyOnWriteArrayList<>();
        final List<Joined> joined = new CopyOnWriteArrayList<>();
        final List<String> reconnecting = new CopyOnWriteArrayList<>();
        final List<ServerError> errors = new CopyOnWriteArrayList<>();
        final List<Redirect> redirects = new CopyOnWriteArrayList<>();
        final CompletableFuture<DanmakuException> closed = new CompletableFuture<>();
        volatile int connects;

        @Override
        public void onBullet(Bullet b) {
            bullets.add(b);
        }

        @Override
        public void onDiscontinuity(Discontinuity d) {
            breaks.add(d);
        }

        @Override
        public void onJoined(Joined j) {
            joined.add(j);
        }

        @Override
        public void onReconnecting(URI uri, String cause, int attempt, int tries, long delayMs) {
            reconnecting.add(attempt + "/" + tries + " " + cause);
        }

        @Override
        public void onConnected(URI uri, boolean reconnect) {
            connects++;
        }

        @Override
        public void onError(ServerError e) {
            errors.add(e);
        }

        @Override
        public void onRedirect(Redirect r) {
            redirects.add(r);
        }

        @Override
        public void onClosed(DanmakuException cause) {
            closed.complete(cause);
        }

        List<Long> seqs() {
            return bullets.stream().map(Bullet::seq).toList();
        }
    }

    private FakeNode node;
    private DanmakuClient client;
    private final Recorder rec = new Recorder();

    @BeforeEach
    void start() throws InterruptedException {
        node = new FakeNode();
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        node.close();
    }

    private static ClientConfig fast() {
        return ClientConfig.defaults().withUserId(7).withConnectTimeoutMs(1000).withBackoff(20, 0.2)
                .withRandom(new SplittableRandom(1));
    }

    private DanmakuClient connect(ClientConfig config) throws Exception {
        client = new DanmakuClient(config, rec);
        client.connect(node.uri()).get(5, TimeUnit.SECONDS);
        // The client's handshake can complete before the peer has registered the connection: a drop
        // issued in between would miss it.
        await(() -> node.connectionCount() >= 1, "the peer to register the connection");
        return client;
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    private static List<Long> range(long from, long to) {
        List<Long> l = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            l.add(i);
        }
        return l;
    }

    @Test
    void shouldCorrelateAcksToBulletsSentFromManyThreads() throws Exception {
        connect(fast());
        List<CompletableFuture<Ack>> acks = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                for (int i = 0; i < 50; i++) {
                    acks.add(client.sendBullet(ROOM, "t" + id, "bullet " + i, "red"));
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        CompletableFuture.allOf(acks.toArray(new CompletableFuture<?>[0])).get(5, TimeUnit.SECONDS);
        List<Long> seqs = acks.stream().map(f -> f.join().seq()).sorted().toList();
        assertThat(seqs).isEqualTo(range(1, 200));
        assertThat(acks.stream().map(f -> f.join().timestamp()).distinct().count()).isEqualTo(200);
        assertThat(node.bulletTimestamps).doesNotHaveDuplicates();
    }

    @Test
    void shouldFailABulletTheNodeRejectsAndKeepTheConnection() throws Exception {
        connect(fast());
        node.rejectContaining = "spam";
        CompletableFuture<Ack> bad = client.sendBullet(ROOM, "", "buy spam", "");
        assertThatThrownBy(() -> bad.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(DanmakuException.class).hasMessageContaining("SENSITIVE_WORD");
        assertThat(client.sendBullet(ROOM, "", "fine", "").get(5, TimeUnit.SECONDS).seq()).isEqualTo(1);
        assertThat(rec.connects).isEqualTo(1);
    }

    @Test
    void shouldResendAnUnackedBulletWithTheSameTimestampAfterReconnect() throws Exception {
        connect(fast());
        node.withholdAcks = true;
        CompletableFuture<Ack> ack = client.sendBullet(ROOM, "me", "survive the drop", "");
        await(() -> node.bulletTimestamps.size() == 1, "the bullet to reach the node");
        node.withholdAcks = false;
        node.dropConnections();
        Ack a = ack.get(5, TimeUnit.SECONDS);
        assertThat(a.retry()).as("the node recognised the resend").isTrue();
        assertThat(a.seq()).isEqualTo(1);
        assertThat(node.bulletTimestamps).containsExactly(a.timestamp(), a.timestamp());
        assertThat(node.journal(ROOM)).hasSize(1);
        assertThat(rec.reconnecting).hasSize(1);
        // A new bullet after the reconnect gets a fresh, larger key.
        assertThat(client.sendBullet(ROOM, "me", "next", "").get(5, TimeUnit.SECONDS).timestamp())
                .isGreaterThan(a.timestamp());
    }

    @Test
    void shouldQueueBulletsWhileReconnectingAndSendThemAfterwards() throws Exception {
        connect(fast().withBackoff(300, 0));
        node.dropConnections();
        await(() -> !rec.reconnecting.isEmpty(), "the client to notice the drop");
        CompletableFuture<Ack> queued = client.sendBullet(ROOM, "", "while down", "");
        assertThat(queued.get(5, TimeUnit.SECONDS).retry()).isFalse();
        assertThat(node.journal(ROOM)).hasSize(1);
    }

    @Test
    void shouldResumeAfterAReconnectWithoutLossOrDuplicates() throws Exception {
        connect(fast());
        client.join(ROOM, 0).get(5, TimeUnit.SECONDS);
        for (int i = 1; i <= 3; i++) {
            node.publish(ROOM, 42, "alice", "b" + i, "white", 1000 + i);
        }
        await(() -> rec.bullets.size() == 3, "3 live bullets");
        node.resumeOverlap = 2; // the node resends seqs 2..3 as well: the client must drop them
        node.dropConnections();
        await(() -> node.connectionCount() == 0, "the drop");
        node.publish(ROOM, 42, "alice", "b4", "white", 1004);
        node.publish(ROOM, 42, "alice", "b5", "white", 1005);
        await(() -> rec.bullets.size() >= 5, "the resumed bullets");
        node.publish(ROOM, 42, "alice", "b6", "white", 1006);
        await(() -> rec.bullets.size() >= 6, "a live bullet after the resume");
        assertThat(rec.seqs()).isEqualTo(range(1, 6));
        assertThat(rec.bullets.get(3).content()).isEqualTo("b4");
        long[] resume = node.joinsReceived.get(1);
        assertThat(resume).containsExactly(ROOM, 1, 1, 3, 0);
        assertThat(rec.joined.get(1).status()).isEqualTo(Joined.Status.RECOVERED);
        assertThat(rec.joined.get(1).resumed()).isTrue();
        assertThat(rec.breaks).isEmpty();
    }

    @Test
    void shouldReportAGapAndResumeToFillIt() throws Exception {
        connect(fast());
        client.join(ROOM, 0).get(5, TimeUnit.SECONDS);
        node.publish(ROOM, 42, "", "b1", "", 1001);
        node.dropFanout = 2; // seqs 2 and 3 are journaled but never reach the viewer
        node.publish(ROOM, 42, "", "b2", "", 1002);
        node.publish(ROOM, 42, "", "b3", "", 1003);
        node.publish(ROOM, 42, "", "b4", "", 1004);
        await(() -> rec.bullets.size() >= 4, "the gap to be filled");
        assertThat(rec.seqs()).isEqualTo(range(1, 4));
        assertThat(rec.breaks).hasSize(1);
        Discontinuity gap = rec.breaks.get(0);
        assertThat(gap.kind()).isEqualTo(Discontinuity.Kind.GAP);
        assertThat(gap.lastSeq()).isEqualTo(1);
        assertThat(gap.nextSeq()).isEqualTo(4);
        assertThat(gap.resuming()).isTrue();
        assertThat(node.joinsReceived.get(1)).containsExactly(ROOM, 1, 1, 1, 0);
        assertThat(rec.connects).as("a gap resumes on the same connection").isEqualTo(1);
    }

    @Test
    void shouldReportAGapTheNodeCannotFillAndGoOn() throws Exception {
        connect(fast());
        client.join(ROOM, 0).get(5, TimeUnit.SECONDS);
        node.publish(ROOM, 42, "", "b1", "", 1001);
        node.brokenResume = true;
        node.skipNext = 1; // seq 2 never exists
        node.publish(ROOM, 42, "", "b3", "", 1003);
        await(() -> rec.breaks.size() == 1, "the gap");
        node.publish(ROOM, 42, "", "b4", "", 1004);
        await(() -> rec.bullets.size() >= 2, "delivery to go on");
        assertThat(rec.breaks).extracting(Discontinuity::kind)
                .containsExactly(Discontinuity.Kind.GAP, Discontinuity.Kind.GAP_SKIPPED);
        assertThat(rec.seqs()).containsExactly(1L, 4L).doesNotContain(2L);
        assertThat(rec.breaks.get(1).describe()).contains("seqs 2..3");
    }

    @Test
    void shouldReportNotRecoveredWhenTheNodeNoLongerHoldsTheMissedBullets() throws Exception {
        connect(fast().withBackoff(300, 0)); // time to trim the history before the client is back
        client.join(ROOM, 0).get(5, TimeUnit.SECONDS);
        node.publish(ROOM, 42, "", "b1", "", 1001);
        node.publish(ROOM, 42, "", "b2", "", 1002);
        await(() -> rec.bullets.size() == 2, "2 bullets");
        node.dropConnections();
        await(() -> node.connectionCount() == 0, "the drop");
        for (int i = 3; i <= 6; i++) {
            node.publish(ROOM, 42, "", "b" + i, "", 1000 + i);
        }
        node.retainFrom(ROOM, 5);
        await(() -> rec.bullets.size() >= 4, "the retained bullets");
        assertThat(rec.breaks).hasSize(1);
        Discontinuity d = rec.breaks.get(0);
        assertThat(d.kind()).isEqualTo(Discontinuity.Kind.NOT_RECOVERED);
        assertThat(d.missing()).isEqualTo(2);
        assertThat(rec.seqs()).containsExactly(1L, 2L, 5L, 6L);
    }

    @Test
    void shouldReportAnEpochChangeAfterANodeRestartThatLostHistory() throws Exception {
        connect(fast());
        client.join(ROOM, 0).get(5, TimeUnit.SECONDS);
        node.publish(ROOM, 42, "", "old", "", 1001);
        await(() -> rec.bullets.size() == 1, "1 bullet");
        node.newEpoch(ROOM);
        node.dropConnections();
        await(() -> rec.breaks.size() == 1, "the epoch change");
        node.publish(ROOM, 42, "", "new", "", 1002);
        await(() -> rec.bullets.size() == 2, "the first bullet of the new epoch");
        assertThat(rec.breaks.get(0).kind()).isEqualTo(Discontinuity.Kind.EPOCH_CHANGED);
        assertThat(rec.breaks.get(0).newEpoch()).isEqualTo(2);
        assertThat(rec.bullets.get(1).epoch()).isEqualTo(2);
        assertThat(rec.bullets.get(1).seq()).isEqualTo(1);
    }

    @Test
    void shouldSendHeartbeatsAndReconnectWhenTheNodeFallsSilent() throws Exception {
        connect(fast().withHeartbeatIntervalMs(50));
        await(() -> node.heartbeats.get() >= 3, "3 heartbeats");
        node.silent = true;
        await(() -> !rec.reconnecting.isEmpty(), "the dead connection to be noticed");
        assertThat(rec.reconnecting.get(0)).contains("no traffic from the node for 150 ms");
        node.silent = false;
        await(() -> rec.connects == 2, "the reconnect");
        // The client may see its handshake done before the test node's handler has counted it.
        await(() -> node.handshakes.get() >= 2, "the node to count the second handshake");
        assertThat(node.handshakes.get()).isEqualTo(2);
    }

    @Test
    void shouldGiveUpAfterTheConfiguredTriesAndFailPendingWork() throws Exception {
        connect(fast());
        node.withholdAcks = true;
        CompletableFuture<Ack> pending = client.sendBullet(ROOM, "", "lost", "");
        await(() -> node.bulletTimestamps.size() == 1, "the bullet to arrive");
        node.close();
        DanmakuException cause = rec.closed.get(5, TimeUnit.SECONDS);
        assertThat(cause).hasMessageContaining("gave up after 3 reconnect attempts");
        assertThat(rec.reconnecting).hasSize(3);
        assertThat(rec.reconnecting.get(2)).startsWith("3/3");
        assertThatThrownBy(() -> pending.get(1, TimeUnit.SECONDS)).cause().isSameAs(cause);
        assertThatThrownBy(() -> client.checkRoom(ROOM).get(1, TimeUnit.SECONDS)).cause()
                .hasMessageContaining("closed");
    }

    @Test
    void shouldFailFastWhenTheFirstConnectIsRefused() throws Exception {
        int port = node.port();
        node.close();
        client = new DanmakuClient(fast(), rec);
        assertThatThrownBy(() -> client.connect(URI.create("ws://127.0.0.1:" + port + "/ws")).get(5, TimeUnit.SECONDS))
                .cause().isInstanceOf(DanmakuException.class).hasMessageStartingWith("cannot connect to ws://127.0.0.1:");
        assertThat(rec.reconnecting).isEmpty();
    }

    @Test
    void shouldFollowARedirectToTheOwnerAndJoinThere() throws Exception {
        try (FakeNode owner = new FakeNode()) {
            owner.publish(ROOM, 42, "", "on the owner", "", 1001);
            node.redirectJoinsTo = owner.uri().toString();
            connect(fast());
            Joined j = client.join(ROOM, 10).get(5, TimeUnit.SECONDS);
            assertThat(j.nextSeq()).isEqualTo(1);
            await(() -> rec.bullets.size() == 1, "history from the owner");
            assertThat(client.uri()).isEqualTo(owner.uri());
            assertThat(owner.joinsReceived.get(0)).containsExactly(ROOM, 0, 0, 0, 10);
            client.close();
            client = null;
        }
    }

    @Test
    void shouldStopAfterTooManyRedirects() throws Exception {
        try (FakeNode other = new FakeNode()) {
            node.redirectJoinsTo = other.uri().toString();
            other.redirectJoinsTo = node.uri().toString();
            connect(fast());
            CompletableFuture<Joined> j = client.join(ROOM, 0);
            assertThat(rec.closed.get(5, TimeUnit.SECONDS)).hasMessageContaining("too many redirects");
            assertThatThrownBy(() -> j.get(1, TimeUnit.SECONDS)).cause().hasMessageContaining("too many redirects");
            client.close();
            client = null;
        }
    }

    @Test
    void shouldAnswerCreateAndCheckByTheirEchoedTimestamps() throws Exception {
        connect(fast());
        CompletableFuture<RoomInfo> before = client.checkRoom(ROOM);
        CompletableFuture<RoomInfo> create = client.createRoom(ROOM);
        CompletableFuture<RoomInfo> again = client.createRoom(ROOM);
        assertThat(before.get(5, TimeUnit.SECONDS).exists()).isFalse();
        assertThat(create.get(5, TimeUnit.SECONDS).created()).isTrue();
        assertThat(again.get(5, TimeUnit.SECONDS).created()).isFalse();
        assertThat(again.get().exists()).isTrue();
        assertThat(client.auth("a.b.c").get(5, TimeUnit.SECONDS).user()).isEqualTo(42);
    }

    // ---------------------------------------------------------------- clusters (docs/protocol.md 5.8)

    @Test
    void shouldResendARedirectedBulletToTheOwnerWithItsTimestampAndBeAckedOnce() throws Exception {
        try (FakeNode owner = new FakeNode()) {
            node.redirectRoom(ROOM, owner.uri().toString());
            connect(fast());
            Ack a = client.sendBullet(ROOM, "me", "to the owner", "").get(5, TimeUnit.SECONDS);
            assertThat(a.seq()).isEqualTo(1);
            assertThat(a.retry()).isFalse();
            assertThat(node.bulletTimestamps).containsExactly(a.timestamp());
            assertThat(owner.bulletTimestamps).as("the same idempotency key at the owner").containsExactly(a.timestamp());
            assertThat(node.journal(ROOM)).isEmpty();
            assertThat(owner.journal(ROOM)).hasSize(1);
            assertThat(client.uri()).isEqualTo(owner.uri());
            assertThat(rec.redirects).hasSize(1);
            assertThat(rec.redirects.get(0).moved()).isFalse();
            assertThat(rec.reconnecting).as("a redirect is followed at once, not as a lost connection").isEmpty();
            client.close();
            client = null;
        }
    }

    @Test
    void shouldCountOneHopForAConnectionWhoseBulletsWereAllRedirected() throws Exception {
        try (FakeNode owner = new FakeNode()) {
            connect(fast());
            node.withholdAcks = true;
            List<CompletableFuture<Ack>> acks = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                acks.add(client.sendBullet(ROOM, "", "b" + i, ""));
            }
            await(() -> node.bulletTimestamps.size() == 5, "5 bullets at the first node");
            node.withholdAcks = false;
            node.redirectRoom(ROOM, owner.uri().toString());
            node.dropConnections(); // the resends all come back REDIRECT: more than maxRedirects of them
            CompletableFuture.allOf(acks.toArray(new CompletableFuture<?>[0])).get(5, TimeUnit.SECONDS);
            assertThat(acks.stream().map(f -> f.join().seq()).sorted().toList()).isEqualTo(range(1, 5));
            assertThat(owner.journal(ROOM)).hasSize(5);
            assertThat(rec.redirects).as("one line per hop").hasSize(1);
            client.close();
            client = null;
        }
    }

    @Test
    void shouldBeAckedWithRetryAndTheOriginalPositionWhenTheOldOwnerHadJournaledIt() throws Exception {
        try (FakeNode owner = new FakeNode()) {
            connect(fast());
            node.withholdAcks = true;
            CompletableFuture<Ack> ack = client.sendBullet(ROOM, "me", "journaled before the move", "");
            await(() -> node.bulletTimestamps.size() == 1, "the bullet to reach the old owner");
            node.moveRoomTo(ROOM, owner);
            node.dropConnections(); // the ACK is lost; the resend meets a REDIRECT
            Ack a = ack.get(5, TimeUnit.SECONDS);
            assertThat(a.retry()).isTrue();
            assertThat(a.epoch()).as("its original position, in the old epoch").isEqualTo(1);
            assertThat(a.seq()).isEqualTo(1);
            assertThat(owner.bulletTimestamps).containsExactly(a.timestamp());
            assertThat(owner.journal(ROOM)).hasSize(1);
            assertThat(owner.retriesAcked.get()).isEqualTo(1);
            client.close();
            client = null;
        }
    }

    @Test
    void shouldResumeAtTheNewOwnerAfterMovedAndDeliverAcrossTheEpochBoundary() throws Exception {
        try (FakeNode owner = new FakeNode()) {
            connect(fast());
            client.join(ROOM, 0).get(5, TimeUnit.SECONDS);
            for (int i = 1; i <= 3; i++) {
                node.publish(ROOM, 42, "", "b" + i, "", 1000 + i);
            }
            await(() -> rec.bullets.size() == 3, "3 bullets at the old owner");
            node.dropFanout = 2; // 4 and 5 are journaled but never reach the viewer before the move
            node.publish(ROOM, 42, "", "b4", "", 1004);
            node.publish(ROOM, 42, "", "b5", "", 1005);
            node.moveRoomTo(ROOM, owner);
            await(() -> owner.joinsReceived.size() == 1, "the resume at the new owner");
            owner.publish(ROOM, 42, "", "b6", "", 1006);
            owner.publish(ROOM, 42, "", "b7", "", 1007);
            await(() -> rec.bullets.size() >= 7, "7 bullets");
            assertThat(rec.seqs()).isEqualTo(range(1, 7));
            assertThat(rec.bullets.stream().map(Bullet::epoch).toList()).containsExactly(1L, 1L, 1L, 1L, 1L, 2L, 2L);
            assertThat(rec.bullets.get(3).content()).isEqualTo("b4");
            assertThat(rec.breaks).as("a move that continues the sequence is no discontinuity").isEmpty();
            assertThat(owner.joinsReceived.get(0)).as("RESUME from (epoch 1, seq 3)").containsExactly(ROOM, 1, 1, 3, 0);
            Joined resumed = rec.joined.get(rec.joined.size() - 1);
            assertThat(resumed.status()).isEqualTo(Joined.Status.RECOVERED);
            assertThat(resumed.epoch()).isEqualTo(2);
            assertThat(resumed.resumed()).isTrue();
            assertThat(rec.redirects).hasSize(1);
            assertThat(rec.redirects.get(0).moved()).isTrue();
            assertThat(rec.redirects.get(0).epoch()).isEqualTo(1);
            assertThat(client.uri()).isEqualTo(owner.uri());
            client.close();
            client = null;
        }
    }

    @Test
    void shouldRetryAResumeAnsweredRoomMovingAndThenDeliverWithoutABreak() throws Exception {
        try (FakeNode owner = new FakeNode()) {
            connect(fast());
            client.join(ROOM, 0).get(5, TimeUnit.SECONDS);
            node.publish(ROOM, 42, "", "b1", "", 1001);
            await(() -> rec.bullets.size() == 1, "1 bullet");
            owner.movingReplies.set(2); // the room is not installed yet when the viewer arrives
            owner.movingRetryAfterMs = 50;
            node.moveRoomTo(ROOM, owner);
            await(() -> owner.joinsReceived.size() == 1, "the resume after two ROOM_MOVING");
            owner.publish(ROOM, 42, "", "b2", "", 1002);
            await(() -> rec.bullets.size() == 2, "the next bullet");
            assertThat(owner.movingAnswered).hasSize(2);
            assertThat(rec.seqs()).containsExactly(1L, 2L);
            assertThat(rec.breaks).isEmpty();
            assertThat(rec.errors).as("retried, not reported").isEmpty();
            client.close();
            client = null;
        }
    }

    @Test
    void shouldStopAfterTooManyRedirectsOfABulletInALoopBetweenTwoNodes() throws Exception {
        try (FakeNode other = new FakeNode()) {
            node.redirectRoom(ROOM, other.uri().toString());
            other.redirectRoom(ROOM, node.uri().toString());
            connect(fast().withMaxRedirects(3));
            CompletableFuture<Ack> ack = client.sendBullet(ROOM, "", "round and round", "");
            assertThatThrownBy(() -> ack.get(5, TimeUnit.SECONDS)).cause().isInstanceOf(DanmakuException.class)
                    .hasMessageContaining("too many redirects").hasMessageContaining("4 hops");
            assertThat(rec.closed.get(1, TimeUnit.SECONDS)).hasMessageContaining("too many redirects");
            List<Long> all = new ArrayList<>(node.bulletTimestamps);
            all.addAll(other.bulletTimestamps);
            assertThat(all).as("sent once, then once per hop followed").hasSize(4).containsOnly(all.get(0));
            client.close();
            client = null;
        }
    }

    @Test
    void shouldRetryABulletAnsweredRoomMovingAfterTheRetryAfterHint() throws Exception {
        connect(fast());
        node.movingReplies.set(2);
        node.movingRetryAfterMs = 150;
        Ack a = client.sendBullet(ROOM, "", "patience", "").get(5, TimeUnit.SECONDS);
        assertThat(a.retry()).isFalse();
        assertThat(node.bulletTimestamps).containsExactly(a.timestamp(), a.timestamp(), a.timestamp());
        List<Long> at = node.bulletArrivalNanos;
        for (int i = 1; i < 3; i++) {
            assertThat(TimeUnit.NANOSECONDS.toMillis(at.get(i) - at.get(i - 1))).as("waited for the hint")
                    .isGreaterThanOrEqualTo(140);
        }
        assertThat(node.journal(ROOM)).hasSize(1);
        assertThat(rec.connects).as("on the same connection").isEqualTo(1);
    }

    @Test
    void shouldFailABulletWhenRoomMovingOutlastsTheRetryBudget() throws Exception {
        connect(fast().withReconnectTries(2));
        node.movingReplies.set(100);
        node.movingRetryAfterMs = 10;
        CompletableFuture<Ack> ack = client.sendBullet(ROOM, "", "never", "");
        assertThatThrownBy(() -> ack.get(5, TimeUnit.SECONDS)).cause().isInstanceOf(DanmakuException.class)
                .hasMessageContaining("ROOM_MOVING");
        assertThat(node.bulletTimestamps).as("the first try and 2 retries").hasSize(3);
    }

    @Test
    void shouldRetryARoomRequestAnsweredClusterUnavailable() throws Exception {
        connect(fast());
        node.movingCode = dev.danmaku.codec.ErrorCode.CLUSTER_UNAVAILABLE;
        node.movingReplies.set(1);
        node.movingRetryAfterMs = 20;
        assertThat(client.createRoom(ROOM).get(5, TimeUnit.SECONDS).created()).isTrue();
        assertThat(node.movingAnswered).hasSize(1);
    }
}
