package dev.danmaku.engine.it;

import dev.danmaku.codec.AckDecoder;
import dev.danmaku.codec.FrameDecoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.JoinedDecoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RELIABILITY scenario 1 (and 2 across a crash): kill -9 the node while five senders send, restart
 * it on the same data directory and ports, and check that every ACKed bullet is in the room in
 * order, that viewers resume exactly, and that a retry of an unacknowledged bullet is stored once.
 *
 * <p>The journal runs in its default mode (page cache): that survives kill -9, not power loss.
 */
class CrashRecoveryIT {
    private static final long ROOM = 4242;
    private static final int SENDERS = 5;
    private static final int VIEWERS = 3;

    @Test
    @Timeout(90)
    void shouldKeepEveryAckedBulletAcrossKillNineAndResumeViewersExactly(@TempDir Path dir) throws Exception {
        SplittableRandom random = ItSupport.random("CrashRecoveryIT");
        long sendMs = 1000 + random.nextInt(1000);
        List<WsTestClient> clients = new ArrayList<>();
        // History and the duplicate window must cover the whole run (retry after restart needs the window).
        try (ChildNode node = new ChildNode(dir.resolve("node"), "rooms.history-size=100000",
                "filter.dedup-window-ms=300000", "batch.interval-ms=5")) {
            node.start(30_000);
            WsTestClient setup = track(clients, WsTestClient.connect(node.wsUri(), true));
            ItSupport.createRoom(setup, ROOM);

            List<Viewer> viewers = new ArrayList<>();
            for (int i = 0; i < VIEWERS; i++) {
                Viewer v = new Viewer(track(clients, WsTestClient.connect(node.wsUri(), true)));
                v.client().join(ROOM, 0);
                ItSupport.awaitJoined(v, 10_000);
                viewers.add(v);
            }
            long epoch = viewers.get(0).joined.epoch();

            List<Sender> senders = new ArrayList<>();
            for (int i = 0; i < SENDERS; i++) {
                long user = 1000 + i;
                long salt = random.nextLong();
                senders.add(new Sender(track(clients, WsTestClient.connect(node.wsUri(), true)), ROOM, user, 16,
                        Long.MAX_VALUE, n -> "u" + user + "-" + n + "-" + Long.toHexString(salt)));
            }
            senders.forEach(Sender::start);
            Thread.sleep(sendMs);

            int exit = node.kill9();
            long killedAt = System.currentTimeMillis();
            for (Sender s : senders) {
                s.stop();
            }
            for (Sender s : senders) {
                s.join(10_000);
            }
            assertEquals(137, exit, "kill -9 exit code (128 + SIGKILL)");
            int acked = senders.stream().mapToInt(s -> s.acks.size()).sum();
            int sent = senders.stream().mapToInt(s -> s.sent.size()).sum();
            int errors = senders.stream().mapToInt(s -> s.errors.size()).sum();
            System.err.printf("CrashRecoveryIT: sent %d bullets in %d ms, %d ACKed, %d refused, %d in flight at kill%n",
                    sent, sendMs, acked, errors, sent - acked - errors);
            assertTrue(acked > 100, "too few ACKs before the kill to mean anything: " + acked);
            for (Sender s : senders) {
                for (Sender.Ack a : s.acks.values()) {
                    assertFalse(a.retry(), "no retries were sent before the crash");
                }
            }
            // What each viewer had before the crash: a gapless prefix from 1.
            long[] lastSeen = new long[VIEWERS];
            for (int i = 0; i < VIEWERS; i++) {
                Viewer v = viewers.get(i);
                v.drain(100);
                List<Long> seqs = v.sequences();
                for (int k = 0; k < seqs.size(); k++) {
                    assertEquals(k + 1, seqs.get(k), "viewer " + i + " live stream before the crash has a gap");
                }
                lastSeen[i] = seqs.size();
            }

            node.start(30_000);
            System.err.printf("CrashRecoveryIT: restarted %d ms after the kill%n", System.currentTimeMillis() - killedAt);

            // (a) a fresh viewer resumes from 0 and gets the whole room; every ACK is in it.
            Viewer fresh = new Viewer(track(clients, WsTestClient.connect(node.wsUri(), true)));
            fresh.client().resume(ROOM, epoch, 0);
            Viewer.JoinedSnapshot fj = ItSupport.awaitJoined(fresh, 10_000);
            assertEquals(JoinedDecoder.STATUS_RECOVERED, fj.status(), "resume from 0 after restart: " + fj);
            assertEquals(epoch, fj.epoch(), "the epoch survives a restart with the journal intact");
            fresh.readUntil((int) fj.lastSeq(), 20_000);
            long n = ItSupport.checkRoom(fresh.bullets, senders);
            assertEquals(fj.lastSeq(), n, "fresh viewer got the room up to JOINED's last seq");
            long maxAcked = senders.stream().flatMap(s -> s.acks.values().stream()).mapToLong(Sender.Ack::seq)
                    .max().orElse(0);
            assertTrue(n >= maxAcked, "room ends at " + n + " before the last ACK " + maxAcked);
            System.err.printf("CrashRecoveryIT: recovered room holds %d bullets (%d ACKed, %d journaled unACKed)%n",
                    n, acked, n - acked);

            // (b) each earlier viewer resumes from its own last sequence and gets exactly the rest.
            for (int i = 0; i < VIEWERS; i++) {
                Viewer r = new Viewer(track(clients, WsTestClient.connect(node.wsUri(), true)));
                r.client().resume(ROOM, epoch, lastSeen[i]);
                Viewer.JoinedSnapshot rj = ItSupport.awaitJoined(r, 10_000);
                assertEquals(JoinedDecoder.STATUS_RECOVERED, rj.status(), "viewer " + i + " resume: " + rj);
                assertEquals(lastSeen[i] + 1, rj.nextSeq(), "viewer " + i + " resumes right after its last seq");
                r.readUntil((int) (n - lastSeen[i]), 20_000);
                r.drain(100);
                List<Viewer.Delivered> whole = new ArrayList<>(viewers.get(i).bullets);
                whole.addAll(r.bullets);
                assertEquals(fresh.bullets, whole, "viewer " + i + " (had " + lastSeen[i]
                        + ") before + after resume must be exactly the room");
            }

            // (c) a sender retries a bullet it never got an ACK for: stored once, whatever happened to it.
            Sender owner = null;
            long retryTs = -1;
            for (Sender s : senders) {
                for (Map.Entry<Long, String> e : s.sent.entrySet()) {
                    if (!s.acks.containsKey(e.getKey()) && !s.errors.containsKey(e.getKey())
                            && (retryTs == -1 || e.getKey() < retryTs)) {
                        owner = s;
                        retryTs = e.getKey();
                    }
                }
            }
            boolean unacked = owner != null;
            if (!unacked) {
                // Nothing was in flight at the kill (unlikely): retry an ACKed bullet instead.
                owner = senders.get(0);
                retryTs = owner.acks.keySet().stream().mapToLong(Long::longValue).max().orElseThrow();
            }
            String retryContent = owner.sent.get(retryTs);
            long journaledAt = 0;
            for (Viewer.Delivered d : fresh.bullets) {
                if (d.user() == owner.user() && d.timestamp() == retryTs) {
                    journaledAt = d.seq();
                }
            }
            WsTestClient retrier = track(clients, WsTestClient.connect(node.wsUri(), true));
            retrier.bullet(retryTs, ROOM, owner.user(), "u" + owner.user(), retryContent, "");
            FrameDecoder d = FrameDecoder.forClient();
            retrier.await(FrameType.ACK, d, 10_000);
            AckDecoder ack = d.ack();
            System.err.printf("CrashRecoveryIT: retried %s bullet ts %d of user %d (journaled at %d): ACK seq %d retry %s%n",
                    unacked ? "an unACKed" : "an ACKed", retryTs, owner.user(), journaledAt, ack.sequence(),
                    ack.retry());
            assertEquals(retryTs, ack.timestamp());
            if (journaledAt > 0) {
                assertTrue(ack.retry(), "a journaled bullet's retry is flagged RETRY");
                assertEquals(journaledAt, ack.sequence(), "a retry gets the original sequence");
                assertEquals(epoch, ack.epoch());
            } else {
                assertFalse(ack.retry(), "a bullet that was never journaled is stored now, not flagged RETRY");
                assertEquals(n + 1, ack.sequence(), "a never-journaled bullet gets the next sequence");
            }
            // The same retry once more: now it must be a RETRY of whatever the first answer said.
            retrier.bullet(retryTs, ROOM, owner.user(), "u" + owner.user(), retryContent, "");
            retrier.await(FrameType.ACK, d, 10_000);
            assertTrue(d.ack().retry(), "a second retry is flagged RETRY");
            long storedAt = ack.sequence();
            assertEquals(storedAt, d.ack().sequence());
            owner.acks.put(retryTs, new Sender.Ack(ack.epoch(), storedAt, false));

            // The whole room once more: the retried bullet is in it exactly once.
            Viewer last = new Viewer(track(clients, WsTestClient.connect(node.wsUri(), true)));
            last.client().resume(ROOM, epoch, 0);
            Viewer.JoinedSnapshot lj = ItSupport.awaitJoined(last, 10_000);
            last.readUntil((int) lj.lastSeq(), 20_000);
            long n2 = ItSupport.checkRoom(last.bullets, senders);
            assertEquals(journaledAt > 0 ? n : n + 1, n2, "the retry adds at most one bullet");
            assertEquals(fresh.bullets, last.bullets.subList(0, (int) n), "the room's past does not change");
        } finally {
            clients.forEach(WsTestClient::close);
        }
    }

    private static WsTestClient track(List<WsTestClient> clients, WsTestClient c) {
        clients.add(c);
        return c;
    }
}
