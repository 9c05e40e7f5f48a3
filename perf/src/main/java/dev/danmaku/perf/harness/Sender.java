package dev.danmaku.perf.harness;

import dev.danmaku.codec.ErrorCode;
import dev.danmaku.codec.FrameEncoder;
import dev.danmaku.perf.harness.Stats.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import org.agrona.collections.Int2IntHashMap;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;

/**
 * One sending user: bullets i with {@code i mod senders == index}, each written when its intended
 * time (the fixed schedule: start + i / rate) has come, with that intended time as its timestamp.
 *
 * <h2>Owner: one event loop</h2>
 * Everything here belongs to {@link #loop}: the 1 ms tick that calls {@link #sendDue}, and every
 * connection of this sender, which is registered on that same loop, so the ACK, ERROR and REDIRECT
 * handlers ({@link Peer}) call in on it too. Other threads only open connections for it (through
 * {@link Links}, since a connect may block).
 *
 * <h2>Links: one connection per node address</h2>
 * Links 0..n-1 are the {@code --node} URLs; room r is first sent to link {@code r mod n} (as before
 * clusters). A REDIRECT for room r (docs/protocol.md 5.8) opens a link to its address if there is none
 * yet (at most {@value #MAX_LINKS}) and records r's owner in a small primitive map (room index -> link;
 * no allocation per lookup, empty on one node). A link that closes while the run is on is re-opened after
 * {@value #RELINK_DELAY_MS} ms x failures, at most {@value #MAX_LINK_FAILURES} times in a row; its
 * unanswered bullets wait and are re-sent on it (same timestamp: the node re-acknowledges a bullet it
 * journaled with RETRY).
 *
 * <h2>Pending bullets: a bounded ring</h2>
 * Every written bullet stays in a preallocated ring (power of two, about 10 s of this sender's rate,
 * 1,024-65,536) until its ACK or final ERROR: timestamps grow, so the ring is sorted and an answer is
 * found by binary search. When the ring is full a due bullet is not sent and counted
 * {@link Counter#UNSENT} (the same outcome as an unwritable connection). An entry's content is
 * regenerated from its bullet index ({@link MessageMix} is deterministic), so a re-send costs no copy:
 * <ul>
 *   <li>REDIRECT for room r on link L: every unanswered bullet of r sent on L goes to the owner's link,
 *       same timestamp ({@link Counter#REDIRECTS_FOLLOWED}); after {@value #HOP_LIMIT} hops a bullet
 *       is given up as error 990 (a loop), never re-sent forever.</li>
 *   <li>ERROR BUSY, ROOM_MOVING or CLUSTER_UNAVAILABLE: re-sent after the retry-after hint
 *       ({@value #DEFAULT_RETRY_AFTER_MS} ms if none), at most {@value #RETRY_LIMIT} times
 *       ({@link Counter#RETRIES}); then it counts as that error.</li>
 *   <li>An ACK or a final ERROR completes the bullet once ({@link Counter#ACKED}, {@link Counter#ERRORS});
 *       a later answer to a re-sent bullet (the old and the new owner both answered it) counts
 *       {@link Counter#ACKS_REPEATED} or {@link Counter#LATE_ANSWERS} instead. Every ACK's (room, epoch,
 *       seq) goes to {@link Stats#recordAck} for the loss check.</li>
 * </ul>
 * Allocation on the hot path: one pooled buffer and one frame object per bullet written, as before.
 */
final class Sender {
    /** Node addresses a sender connects to at most. */
    static final int MAX_LINKS = 16;
    /** REDIRECTs one bullet follows; past it the bullet counts as error 990. */
    static final int HOP_LIMIT = 5;
    /** Re-sends of one bullet after retriable errors; past it the error counts. */
    static final int RETRY_LIMIT = 40; // at the nodes' 100 ms hint: 4 s, past a handover's ROOM_MOVING (up to ~1 s)
    /** Retry delay when a retriable ERROR gives no hint, ms. */
    static final long DEFAULT_RETRY_AFTER_MS = 50;
    /** Consecutive failed (re)connects of one link before it is given up. */
    static final int MAX_LINK_FAILURES = 10;
    /** Delay before re-opening a lost link, ms, times its consecutive failures. */
    static final long RELINK_DELAY_MS = 100;
    /** Pseudo error code: a REDIRECT not followed (bad address, too many hops or links). */
    static final int REDIRECT_NOT_FOLLOWED = 990;
    /** Pseudo error code: a bullet written, never answered, whose link was given up. */
    static final int LINK_LOST = 998;

    /** Opens the sender's connections, off its event loop. */
    interface Links {
        /** Connects {@code peer} to {@code address}, registered on {@code loop}, after {@code delayMs}. */
        void open(URI address, Peer peer, EventLoop loop, long delayMs);

        /** False before the schedule starts and after it ends: no re-sends, no re-opened links. */
        boolean running();
    }

    private static final int CONTENT_AT = 1024;
    private static final int NAME_AT = 1900;
    private static final byte FREE = 0;
    private static final byte INFLIGHT = 1;
    private static final byte WAITING = 2;
    private static final byte FLAG_SENT = 1;

    final int index;
    final long userId;
    final EventLoop loop;
    private final Scenario sc;
    private final Stats stats;
    private final RunClock clock;
    private final Links opener;
    /** The clock of retry and re-send times: the ticks' {@code nowNanos} come from the same one. */
    private final NanoClock nanoClock;
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[2048]);
    private final int nameLength;
    private final int colorLength;
    private long next;
    private long lastTimestamp;
    private LoadRun.Schedule schedule;

    private final Peer[] links = new Peer[MAX_LINKS];
    private final URI[] addresses = new URI[MAX_LINKS];
    private final boolean[] up = new boolean[MAX_LINKS];
    private final boolean[] dead = new boolean[MAX_LINKS];
    private final int[] failures = new int[MAX_LINKS];
    private final int defaultLinks;
    private int linkCount;
    /** Room index -> link of its last known owner, for rooms redirected away from their default link. */
    private final Int2IntHashMap owner = new Int2IntHashMap(-1);
    /** Owners the process's other senders learned (null: learn alone). */
    private RouteHints hints;

    private final int mask;
    private final long[] pTs;
    private final long[] pBullet;
    private final long[] pDue;
    private final int[] pRoom;
    private final byte[] pState;
    private final byte[] pLink;
    private final byte[] pHops;
    private final byte[] pRetries;
    private final byte[] pFlags;
    private long head;
    private long tail;
    private int waiting;

    Sender(int index, long userId, EventLoop loop, Scenario sc, Stats stats, RunClock clock, Links opener,
           NanoClock nanoClock) {
        this.index = index;
        this.userId = userId;
        this.loop = loop;
        this.sc = sc;
        this.stats = stats;
        this.clock = clock;
        this.opener = opener;
        this.nanoClock = nanoClock;
        this.next = index;
        byte[] name = ("perf-" + index).getBytes(StandardCharsets.UTF_8);
        byte[] color = "#FFFFFF".getBytes(StandardCharsets.UTF_8);
        scratch.putBytes(NAME_AT, name);
        scratch.putBytes(NAME_AT + name.length, color);
        nameLength = name.length;
        colorLength = color.length;
        int capacity = pendingCapacity(sc.rate() / sc.senders());
        mask = capacity - 1;
        pTs = new long[capacity];
        pBullet = new long[capacity];
        pDue = new long[capacity];
        pRoom = new int[capacity];
        pState = new byte[capacity];
        pLink = new byte[capacity];
        pHops = new byte[capacity];
        pRetries = new byte[capacity];
        pFlags = new byte[capacity];
        defaultLinks = sc.nodes.size();
        for (URI node : sc.nodes) {
            addresses[linkCount] = node;
            openLink(linkCount++, 0);
        }
    }

    /** About 10 s of a sender's bullets, as a power of two in 1,024..65,536. */
    static int pendingCapacity(double perSecond) {
        long want = (long) Math.min(1 << 16, Math.max(1 << 10, perSecond * 10));
        return Integer.highestOneBit((int) (want - 1)) << 1;
    }

    /** The connections opened so far (the first {@code nodes} are the {@code --node} URLs). */
    Peer[] links() {
        Peer[] l = new Peer[linkCount];
        System.arraycopy(links, 0, l, 0, linkCount);
        return l;
    }

    int linkCount() {
        return linkCount;
    }

    /** Unanswered bullets (written or waiting). */
    long pending() {
        long n = 0;
        for (long i = tail; i < head; i++) {
            n += pState[(int) i & mask] != FREE ? 1 : 0;
        }
        return n;
    }

    /**
     * Writes every bullet due at {@code nowNanos} (of the sender's {@link NanoClock}) and the re-sends whose
     * time has come; returns how many new.
     */
    int sendDue(LoadRun.Schedule s, long nowNanos) {
        schedule = s;
        int touched = waiting > 0 ? resendWaiting(nowNanos) : 0;
        int written = 0;
        while (next < s.total && s.intendedNanos(next) <= nowNanos) {
            long i = next;
            next += s.senders;
            stats.increment(Counter.OFFERED);
            if (head - tail > mask) {
                stats.increment(Counter.UNSENT); // the pending ring is full: counted, never silent
                continue;
            }
            int room = s.scenario.roomOf(i);
            int link = route(room);
            long ts = s.intendedEpochMs(i);
            if (ts <= lastTimestamp) {
                ts = lastTimestamp + 1; // protocol: a sender's timestamps are distinct (its idempotency key)
            }
            Channel ch = links[link].channel;
            if (up[link] && ch != null && ch.isActive()) {
                if (!ch.isWritable()) {
                    stats.increment(Counter.UNSENT); // over the write-buffer mark: a dropped offer fails saturate
                    continue;
                }
                lastTimestamp = ts;
                write(ch, ts, i, room);
                push(ts, i, room, link, INFLIGHT, FLAG_SENT, 0);
                stats.increment(Counter.SENT);
                written++;
                touched |= 1 << link;
            } else if (!dead[link] && opener.running()) {
                lastTimestamp = ts;
                push(ts, i, room, link, WAITING, (byte) 0, nowNanos); // its link is (re)connecting
            } else {
                stats.increment(Counter.UNSENT); // the link is gone for good
            }
        }
        flush(touched);
        return written;
    }

    boolean done(LoadRun.Schedule s) {
        return next >= s.total;
    }

    // ---------------------------------------------------------------- answers (called by the links' Peers)

    /** An ACK on one of this sender's links. */
    void onAck(long ts, long roomId, long epoch, long seq, boolean retry) {
        long roomIndex = roomId - sc.roomBase;
        if (roomIndex >= 0 && roomIndex < sc.rooms()) {
            stats.recordAck((int) roomIndex, epoch, seq);
        }
        long at = find(ts);
        int slot = (int) at & mask;
        if (at < 0 || pState[slot] == FREE) {
            stats.increment(Counter.ACKS_REPEATED);
            return;
        }
        complete(slot);
        stats.increment(Counter.ACKED);
        if (retry) {
            stats.increment(Counter.ACKED_RETRY);
        }
        if (clock.measured(ts)) {
            stats.increment(Counter.ACKED_MEASURED);
        }
        stats.acceptedByRoom.incrementAndGet(pRoom[slot]);
        advance();
    }

    /** An ERROR answering a BULLET with timestamp {@code refTs}. */
    void onError(int code, long refTs, long retryAfterMs) {
        long at = find(refTs);
        int slot = (int) at & mask;
        if (at < 0 || pState[slot] == FREE) {
            // already answered: only a re-send (after a REDIRECT, or a lost link) gets two answers; its first wins
            stats.increment(Counter.LATE_ANSWERS);
            return;
        }
        if (retriable(code) && pRetries[slot] < RETRY_LIMIT && opener.running()) {
            pRetries[slot]++;
            long afterMs = retryAfterMs > 0 ? retryAfterMs : DEFAULT_RETRY_AFTER_MS;
            waitSlot(slot, nanoClock.nanoTime() + afterMs * 1_000_000L);
            stats.retry(code);
            return;
        }
        complete(slot);
        stats.error(code);
        advance();
    }

    /** Shares what this sender learns about room owners with the process's other senders, and uses theirs. */
    void routeHints(RouteHints hints) {
        this.hints = hints;
    }

    /** REDIRECT for {@code roomId} on link {@code from}: the room is owned at {@code address}. */
    void onRedirect(int from, long roomId, String address) {
        long roomIndex = roomId - sc.roomBase;
        if (roomIndex < 0 || roomIndex >= sc.rooms()) {
            stats.error(REDIRECT_NOT_FOLLOWED);
            return;
        }
        int room = (int) roomIndex;
        int target = link(address);
        if (target >= 0) {
            owner.put(room, target);
            stats.increment(Counter.REDIRECTS_FOLLOWED);
            if (hints != null) {
                hints.learned(room, address);
            }
        }
        long now = nanoClock.nanoTime();
        for (long i = tail; i < head; i++) {
            int slot = (int) i & mask;
            if (pState[slot] != INFLIGHT || pLink[slot] != from || pRoom[slot] != room) {
                continue;
            }
            if (target < 0 || ++pHops[slot] > HOP_LIMIT || !opener.running()) {
                complete(slot);
                stats.error(REDIRECT_NOT_FOLLOWED);
                continue;
            }
            pLink[slot] = (byte) target;
            waitSlot(slot, now);
        }
        advance();
        if (waiting > 0) {
            flush(resendWaiting(now));
        }
    }

    /** A link's connection is up (on {@link #loop}). */
    void linkUp(int link, Peer p) {
        if (links[link] != p) {
            return;
        }
        up[link] = true;
        failures[link] = 0;
        if (waiting > 0 && schedule != null) {
            flush(resendWaiting(nanoClock.nanoTime()));
        }
    }

    /** A link's connection closed or could not be opened (on {@link #loop}): its unanswered bullets wait. */
    void linkDown(int link, Peer p) {
        if (links[link] != p) {
            return;
        }
        up[link] = false;
        long now = nanoClock.nanoTime();
        for (long i = tail; i < head; i++) {
            int slot = (int) i & mask;
            if (pState[slot] == INFLIGHT && pLink[slot] == link) {
                waitSlot(slot, now); // its answer, if any, was lost with the connection
            }
        }
        if (!opener.running()) {
            return;
        }
        if (++failures[link] > MAX_LINK_FAILURES) {
            dead[link] = true;
            return;
        }
        stats.increment(Counter.RECONNECTS);
        openLink(link, RELINK_DELAY_MS * failures[link]);
    }

    /** Closes every link without counting disconnects. */
    void close() {
        for (int k = 0; k < linkCount; k++) {
            links[k].close();
        }
    }

    // ---------------------------------------------------------------- internals

    static boolean retriable(int code) {
        return code == ErrorCode.BUSY.code() || code == ErrorCode.ROOM_MOVING.code()
                || code == ErrorCode.CLUSTER_UNAVAILABLE.code();
    }

    private int route(int room) {
        if (!owner.isEmpty()) {
            int l = owner.get(room);
            if (l >= 0) {
                return l;
            }
        }
        if (hints != null) {
            String address = hints.get(room);
            if (address != null) {
                int l = link(address); // parsed once per room and sender: then it is in the owner map
                if (l >= 0) {
                    owner.put(room, l);
                    return l;
                }
            }
        }
        return room % defaultLinks;
    }

    /** The link to {@code address}, opened now if new; -1 if it is no ws:// URL or there are too many links. */
    private int link(String address) {
        URI to;
        try {
            to = new URI(address);
        } catch (URISyntaxException e) {
            return -1;
        }
        if (!"ws".equalsIgnoreCase(to.getScheme()) || to.getHost() == null || to.getPort() <= 0) {
            return -1;
        }
        for (int k = 0; k < linkCount; k++) {
            if (addresses[k].equals(to)) {
                return k;
            }
        }
        if (linkCount == MAX_LINKS) {
            return -1;
        }
        addresses[linkCount] = to;
        openLink(linkCount, 0);
        return linkCount++;
    }

    private void openLink(int k, long delayMs) {
        Peer p = new Peer(Peer.Role.SENDER, stats, clock, -1, 0, sc.roomBase, false, null);
        p.sender = this;
        p.link = k;
        links[k] = p;
        up[k] = false;
        opener.open(addresses[k], p, loop, delayMs);
    }

    private void push(long ts, long bullet, int room, int link, byte state, byte flags, long due) {
        int slot = (int) head & mask;
        pTs[slot] = ts;
        pBullet[slot] = bullet;
        pRoom[slot] = room;
        pLink[slot] = (byte) link;
        pState[slot] = state;
        pHops[slot] = 0;
        pRetries[slot] = 0;
        pFlags[slot] = flags;
        pDue[slot] = due;
        head++;
        if (state == WAITING) {
            waiting++;
        }
    }

    private void waitSlot(int slot, long due) {
        if (pState[slot] != WAITING) {
            pState[slot] = WAITING;
            waiting++;
        }
        pDue[slot] = due;
    }

    private void complete(int slot) {
        if (pState[slot] == WAITING) {
            waiting--;
        }
        pState[slot] = FREE;
    }

    private void advance() {
        while (tail < head && pState[(int) tail & mask] == FREE) {
            tail++;
        }
    }

    /** The ring position of the entry with timestamp {@code ts} (sorted: timestamps only grow), or -1. */
    private long find(long ts) {
        long lo = tail;
        long hi = head - 1;
        while (lo <= hi) {
            long mid = (lo + hi) >>> 1;
            long v = pTs[(int) mid & mask];
            if (v < ts) {
                lo = mid + 1;
            } else if (v > ts) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    /** Writes the waiting bullets whose time has come and whose link is up; returns the links written. */
    private int resendWaiting(long now) {
        LoadRun.Schedule s = schedule;
        if (s == null) {
            return 0;
        }
        int touched = 0;
        int left = waiting;
        for (long i = tail; i < head && left > 0; i++) {
            int slot = (int) i & mask;
            if (pState[slot] != WAITING) {
                continue;
            }
            left--;
            int link = pLink[slot];
            Channel ch = links[link].channel;
            if (pDue[slot] - now > 0 || !up[link] || ch == null || !ch.isActive() || !ch.isWritable()) {
                if (dead[link]) {
                    boolean sent = (pFlags[slot] & FLAG_SENT) != 0;
                    complete(slot);
                    if (sent) {
                        stats.error(LINK_LOST); // written once, unanswered, and its node is gone
                    } else {
                        stats.increment(Counter.UNSENT);
                    }
                }
                continue;
            }
            write(ch, pTs[slot], pBullet[slot], pRoom[slot]);
            pState[slot] = INFLIGHT;
            waiting--;
            if ((pFlags[slot] & FLAG_SENT) == 0) {
                pFlags[slot] |= FLAG_SENT;
                stats.increment(Counter.SENT);
            }
            touched |= 1 << link;
        }
        advance();
        return touched;
    }

    private void write(Channel ch, long ts, long bullet, int room) {
        LoadRun.Schedule s = schedule;
        int contentLength = s.mix.write(scratch, CONTENT_AT, bullet);
        int n = FrameEncoder.bullet(scratch, 0, ts, userId, sc.roomId(room), scratch, NAME_AT, nameLength,
                CONTENT_AT, contentLength, NAME_AT + nameLength, colorLength);
        ByteBuf out = ch.alloc().buffer(n);
        out.writeBytes(scratch.byteArray(), 0, n);
        ch.write(new BinaryWebSocketFrame(out), ch.voidPromise());
    }

    private void flush(int touched) {
        for (int k = 0; touched != 0; k++, touched >>>= 1) {
            if ((touched & 1) != 0) {
                Channel ch = links[k].channel;
                if (ch != null) {
                    ch.flush();
                }
            }
        }
    }
}
