package dev.danmaku.engine.it;

import dev.danmaku.codec.AckDecoder;
import dev.danmaku.codec.BatchDecoder;
import dev.danmaku.codec.ErrorCode;
import dev.danmaku.codec.FrameDecoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.JoinedDecoder;
import dev.danmaku.codec.Protocol;
import dev.danmaku.codec.RedirectDecoder;
import org.agrona.concurrent.UnsafeBuffer;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test-side protocol peers that follow a cluster's REDIRECT and MOVED by the rules of
 * docs/protocol.md 5.8, written independently of the product client so they can check it: a
 * sender that gets every bullet acknowledged exactly once (re-sending with the same timestamp after
 * a redirect, a ROOM_MOVING or a lost connection) and a viewer that resumes across moves and
 * checks that what it is delivered is one gapless, duplicate-free sequence.
 */
public final class FollowingPeers {
    private FollowingPeers() {
    }

    /**
     * Connects to {@code preferred}, else (it died) after a 100 ms pause to each seed in turn; null if
     * none answers. {@code fellBack[0]} tells whether a seed was used (the redirect chain starts over).
     */
    static WsTestClient connect(URI preferred, List<URI> seeds, boolean[] fellBack) throws InterruptedException {
        List<URI> all = new ArrayList<>();
        all.add(preferred);
        all.addAll(seeds);
        fellBack[0] = false;
        for (URI u : all) {
            try {
                return WsTestClient.connect(u, true);
            } catch (Exception e) {
                fellBack[0] = true; // down: back off, try the next one
                Thread.sleep(100);
            }
        }
        return null;
    }

    /** Sends {@code count} bullets to one room, one at a time, each until acknowledged. Own thread. */
    public static final class Sender implements Runnable {
        private final long room;
        private final long user;
        private final int count;
        private final long pauseMs;
        private final Thread thread;
        private volatile URI address;
        private volatile boolean stop;
        private volatile Throwable failure;
        /** Timestamp -> (epoch << 40 | seq) of its ACK; one entry per bullet. */
        public final Map<Long, long[]> acks = new ConcurrentHashMap<>();
        public final AtomicInteger redirects = new AtomicInteger();
        public final AtomicInteger retries = new AtomicInteger();
        public final AtomicInteger retryAcks = new AtomicInteger();
        public final List<String> errors = Collections.synchronizedList(new ArrayList<>());

        /** Other nodes to try when the current one does not answer (its owner died). */
        public volatile List<URI> seeds = List.of();

        public Sender(URI address, long room, long user, int count, long pauseMs) {
            this.address = address;
            this.room = room;
            this.user = user;
            this.count = count;
            this.pauseMs = pauseMs;
            this.thread = new Thread(this, "sender-" + Long.toUnsignedString(room));
            this.thread.setDaemon(true);
        }

        public Sender start() {
            thread.start();
            return this;
        }

        public void stop() {
            stop = true;
        }

        public void join(long ms) throws InterruptedException {
            thread.join(ms);
        }

        public Throwable failure() {
            return failure;
        }

        @Override
        public void run() {
            FrameDecoder d = FrameDecoder.forClient();
            WsTestClient c = null;
            boolean[] fellBack = new boolean[1];
            long ts = 0;
            try {
                for (int i = 0; i < count && !stop; i++) {
                    ts = Math.max(ts + 1, System.currentTimeMillis()); // distinct per bullet, near now
                    int hops = 0;
                    while (!stop) {
                        if (c == null) {
                            c = connect(address, seeds, fellBack);
                            if (c == null) {
                                continue;
                            }
                            if (fellBack[0]) {
                                hops = 0;
                            }
                        }
                        try {
                            c.bullet(ts, room, user, "u" + user, "b" + i, "");
                        } catch (Exception e) {
                            c.close();
                            c = null;
                            address = seeds.isEmpty() ? address : seeds.get(i % seeds.size());
                            retries.incrementAndGet();
                            continue;
                        }
                        byte[] f = awaitAnswer(c, d, ts);
                        if (f == null) {
                            c.close();
                            c = null; // lost answer: reconnect and retry the same bullet
                            if (!seeds.isEmpty()) {
                                address = seeds.get((int) (retries.get() % seeds.size()));
                            }
                            retries.incrementAndGet();
                            continue;
                        }
                        if (d.type() == FrameType.ACK) {
                            AckDecoder a = d.ack();
                            acks.put(ts, new long[]{a.epoch(), a.sequence()});
                            if ((a.flags() & AckDecoder.FLAG_RETRY) != 0) {
                                retryAcks.incrementAndGet();
                            }
                            break;
                        }
                        if (d.type() == FrameType.REDIRECT) {
                            if (++hops > 10) {
                                throw new AssertionError("redirect loop for room " + room + " at " + address);
                            }
                            address = URI.create(d.redirect().address());
                            redirects.incrementAndGet();
                            c.close();
                            c = null;
                            continue;
                        }
                        int code = d.error().code();
                        ErrorCode e = ErrorCode.of(code);
                        if (e != null && e.retriable()) {
                            retries.incrementAndGet();
                            Thread.sleep(Math.max(20, Math.min(500, d.error().retryAfterMs())));
                            continue;
                        }
                        errors.add("bullet " + i + ": error " + code);
                        break;
                    }
                    Thread.sleep(pauseMs);
                }
            } catch (Throwable t) {
                failure = t;
            } finally {
                if (c != null) {
                    c.close();
                }
            }
        }

        /** The ACK, ERROR or REDIRECT answering the bullet {@code ts}; null after 5 s or a close. */
        private static byte[] awaitAnswer(WsTestClient c, FrameDecoder d, long ts) throws InterruptedException {
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (System.nanoTime() - deadline < 0) {
                byte[] f = c.poll(100);
                if (f == null) {
                    if (c.closed().isDone()) {
                        return null;
                    }
                    continue;
                }
                if (d.decode(new UnsafeBuffer(f), 0, f.length) != Protocol.OK) {
                    throw new AssertionError("invalid frame from the node");
                }
                switch (d.type()) {
                    case ACK -> {
                        if (d.ack().timestamp() == ts) {
                            return f;
                        }
                    }
                    case REDIRECT -> {
                        return f;
                    }
                    case ERROR -> {
                        if (d.error().refTimestamp() == ts || d.error().code() >= 400) {
                            return f;
                        }
                    }
                    default -> {
                    }
                }
            }
            return null;
        }
    }

    /** Watches one room across moves; records every problem it sees. Own thread. */
    public static final class Viewer implements Runnable {
        private final long room;
        private final Thread thread;
        private volatile URI address;
        private volatile boolean stop;
        private volatile Throwable failure;
        private long epoch = -1;
        private long lastSeq = -1;
        private long joinedEpoch;
        private volatile long delivered;
        private volatile long last;
        private volatile boolean joined;
        /** Every sequence delivered, in order. */
        public final List<Long> seqs = Collections.synchronizedList(new ArrayList<>());
        public final List<String> problems = Collections.synchronizedList(new ArrayList<>());
        public final AtomicInteger moved = new AtomicInteger();
        public final AtomicInteger redirects = new AtomicInteger();
        public final AtomicInteger recovered = new AtomicInteger();
        public final AtomicInteger epochsCrossed = new AtomicInteger();
        /** Explicit breaks: (epoch, last seq held, new epoch, next seq) of each JOINED NOT_RECOVERED. */
        public final List<long[]> notRecovered = Collections.synchronizedList(new ArrayList<>());
        /** Every (epoch, seq) delivered, as "EPOCH:SEQ". */
        public final java.util.Set<String> deliveredKeys = ConcurrentHashMap.newKeySet();
        /** Other nodes to try when the current one does not answer. */
        public volatile List<URI> seeds = List.of();
        /** A NOT_RECOVERED answer is expected (an owner died) rather than a problem. */
        public volatile boolean allowNotRecovered;

        public Viewer(URI address, long room) {
            this.address = address;
            this.room = room;
            this.thread = new Thread(this, "viewer-" + Long.toUnsignedString(room));
            this.thread.setDaemon(true);
        }

        public Viewer start() {
            thread.start();
            return this;
        }

        public void stop() throws InterruptedException {
            stop = true;
            thread.join(10_000);
        }

        public long lastSeq() {
            return last;
        }

        /** True once the first JOINED arrived (live from then on). */
        public boolean joined() {
            return joined;
        }

        public long delivered() {
            return delivered;
        }

        public Throwable failure() {
            return failure;
        }

        @Override
        public void run() {
            FrameDecoder d = FrameDecoder.forClient();
            WsTestClient c = null;
            boolean[] fellBack = new boolean[1];
            int hops = 0;
            try {
                while (!stop) {
                    if (c == null) {
                        c = connect(address, seeds, fellBack);
                        if (c == null) {
                            continue;
                        }
                        if (fellBack[0]) {
                            hops = 0;
                        }
                        if (epoch < 0) {
                            c.join(room, 0);
                        } else {
                            c.resume(room, epoch, lastSeq);
                        }
                    }
                    byte[] f = c.poll(100);
                    if (f == null) {
                        if (c.closed().isDone()) {
                            c = null; // reconnect and resume
                            if (!seeds.isEmpty()) {
                                address = seeds.get((int) (System.nanoTime() % seeds.size()));
                            }
                            Thread.sleep(50);
                        }
                        continue;
                    }
                    if (d.decode(new UnsafeBuffer(f), 0, f.length) != Protocol.OK) {
                        problems.add("invalid frame");
                        continue;
                    }
                    switch (d.type()) {
                        case JOINED -> {
                            hops = 0;
                            JoinedDecoder j = d.joined();
                            joinedEpoch = j.epoch();
                            joined = true;
                            if (epoch < 0) {
                                epoch = j.epoch();
                                lastSeq = j.nextSequence() - 1;
                            } else if (j.status() == JoinedDecoder.STATUS_RECOVERED) {
                                recovered.incrementAndGet();
                            } else {
                                if (j.status() == JoinedDecoder.STATUS_NOT_RECOVERED && allowNotRecovered) {
                                    notRecovered.add(new long[]{epoch, lastSeq, j.epoch(), j.nextSequence()});
                                } else {
                                    problems.add("JOINED status " + j.status() + " resuming from " + epoch + "/" + lastSeq);
                                }
                                epoch = j.epoch();
                                lastSeq = j.nextSequence() - 1;
                            }
                        }
                        case BATCH -> onBatch(d.batch());
                        case REDIRECT -> {
                            RedirectDecoder r = d.redirect();
                            if (r.kind() == RedirectDecoder.KIND_MOVED) {
                                moved.incrementAndGet();
                            } else {
                                redirects.incrementAndGet();
                                if (++hops > 10) {
                                    throw new AssertionError("redirect loop for room " + room);
                                }
                            }
                            address = URI.create(r.address());
                            c.close();
                            c = null;
                        }
                        case ERROR -> {
                            ErrorCode e = ErrorCode.of(d.error().code());
                            if (e == null || !e.retriable()) {
                                problems.add("error " + d.error().code());
                            }
                            c.close();
                            c = null;
                            Thread.sleep(Math.max(20, Math.min(500, d.error().retryAfterMs())));
                        }
                        default -> {
                        }
                    }
                }
            } catch (Throwable t) {
                failure = t;
            } finally {
                if (c != null) {
                    c.close();
                }
            }
        }

        private void onBatch(BatchDecoder b) {
            long first = b.firstSequence();
            int n = b.count();
            if (b.epoch() != epoch) {
                // docs/protocol.md 5.8: continuous iff it follows on and is not above the JOINED epoch.
                if (first == lastSeq + 1 && b.epoch() <= joinedEpoch) {
                    epochsCrossed.incrementAndGet();
                    epoch = b.epoch();
                } else {
                    problems.add("epoch " + epoch + " -> " + b.epoch() + " at " + first + " after " + lastSeq);
                    epoch = b.epoch();
                    lastSeq = first - 1;
                }
            }
            for (int i = 0; i < n; i++) {
                long s = first + i;
                if (s <= lastSeq) {
                    problems.add("duplicate " + s);
                    continue;
                }
                if (s != lastSeq + 1) {
                    problems.add("gap " + (lastSeq + 1) + ".." + (s - 1));
                }
                lastSeq = s;
                seqs.add(s);
                deliveredKeys.add(epoch + ":" + s);
                delivered++;
            }
            last = lastSeq;
        }
    }
}
