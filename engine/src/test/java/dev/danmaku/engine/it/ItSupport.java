package dev.danmaku.engine.it;

import dev.danmaku.codec.FrameDecoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.RoomInfoDecoder;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/** Small shared steps of the integration tests: rooms, joins, seeds and the delivery oracle. */
final class ItSupport {
    private ItSupport() {
    }

    /** A seeded random; the seed is {@code -Ddanmaku.seed} or fresh, and always printed. */
    static SplittableRandom random(String test) {
        String given = System.getProperty("danmaku.seed");
        long seed = given != null && !given.isBlank() ? Long.parseLong(given.trim()) : System.nanoTime();
        System.err.println(test + ": seed " + seed + " (rerun with -Ddanmaku.seed=" + seed + ")");
        return new SplittableRandom(seed);
    }

    /** Creates {@code room} through {@code c} and waits for ROOM_INFO. */
    static void createRoom(WsTestClient c, long room) throws Exception {
        c.roomRequest(FrameType.CREATE_ROOM, room, 1);
        FrameDecoder d = FrameDecoder.forClient();
        c.await(FrameType.ROOM_INFO, d, 10_000);
        RoomInfoDecoder info = d.roomInfo();
        if (info.roomId() != room || (info.flags() & RoomInfoDecoder.FLAG_EXISTS) == 0) {
            throw new AssertionError("room " + room + " not created: flags " + info.flags());
        }
    }

    /** Reads {@code v} until its JOINED has arrived. */
    static Viewer.JoinedSnapshot awaitJoined(Viewer v, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (v.joined == null && System.currentTimeMillis() < deadline) {
            v.drain(50);
        }
        if (v.joined == null) {
            throw new AssertionError("no JOINED within " + timeoutMs + " ms");
        }
        return v.joined;
    }

    /** Waits until every checker has reached {@code seq}; returns false on timeout. */
    static boolean awaitSeq(List<DeliveryChecker> checkers, long seq, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        for (DeliveryChecker c : checkers) {
            while (c.lastSeq() < seq) {
                if (System.currentTimeMillis() > deadline) {
                    return false;
                }
                Thread.sleep(10);
            }
        }
        return true;
    }

    /**
     * The delivery oracle over a room's full contents as one viewer received them from sequence 1:
     * gapless 1..N in one epoch, no (user, timestamp) twice, every ACK at its sequence with the
     * sender's user and timestamp, and every delivered bullet one that some sender sent, with
     * that content. Returns N.
     */
    static long checkRoom(List<Viewer.Delivered> room, List<Sender> senders) {
        Map<Long, Sender> byUser = new HashMap<>();
        for (Sender s : senders) {
            byUser.put(s.user(), s);
        }
        Set<String> seen = new HashSet<>();
        long epoch = room.isEmpty() ? 0 : room.get(0).epoch();
        for (int i = 0; i < room.size(); i++) {
            Viewer.Delivered d = room.get(i);
            if (d.seq() != i + 1 || d.epoch() != epoch) {
                throw new AssertionError("room not gapless in one epoch at index " + i + ": " + d);
            }
            if (!seen.add(d.user() + "/" + d.timestamp())) {
                throw new AssertionError("bullet twice in the room: " + d);
            }
            Sender s = byUser.get(d.user());
            if (s == null || !d.content().equals(s.sent.get(d.timestamp()))) {
                throw new AssertionError("delivered a bullet nobody sent: " + d);
            }
        }
        for (Sender s : senders) {
            for (Map.Entry<Long, Sender.Ack> a : s.acks.entrySet()) {
                long seq = a.getValue().seq();
                if (a.getValue().epoch() != epoch || seq < 1 || seq > room.size()) {
                    throw new AssertionError("ACKed bullet missing: user " + s.user() + " ts " + a.getKey() + " acked as "
                            + a.getValue() + ", room has " + room.size() + " in epoch " + epoch);
                }
                Viewer.Delivered d = room.get((int) seq - 1);
                if (d.user() != s.user() || d.timestamp() != a.getKey()) {
                    throw new AssertionError("ACK " + a.getValue() + " of user " + s.user() + " ts " + a.getKey()
                            + " but the room has " + d + " there");
                }
            }
        }
        return room.size();
    }
}
