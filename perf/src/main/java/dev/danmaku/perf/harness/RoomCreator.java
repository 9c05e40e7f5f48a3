package dev.danmaku.perf.harness;

import dev.danmaku.perf.harness.Stats.Counter;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Creates a scenario's rooms before the run (CREATE_ROOM is idempotent): room i is asked of node
 * {@code i mod n} over one control connection per node address; a REDIRECT re-sends it to the owner
 * (a connection opened for that address if needed), at most {@value Sender#HOP_LIMIT} hops per room; a
 * BUSY, ROOM_MOVING or CLUSTER_UNAVAILABLE is re-sent to the same node after its retry-after hint, at most
 * {@value Sender#RETRY_LIMIT} times; any other refusal fails the run with the node's code. The caller's
 * thread sends and waits; the connections' event loop reports to it, and a helper thread does the
 * re-sends (a connect may block). Not on any hot path.
 */
final class RoomCreator implements Peer.ControlListener, AutoCloseable {
    private final Scenario sc;
    private final LoadClient client;
    private final Stats stats;
    private final RunClock clock = new RunClock();
    private final Map<URI, Peer> control = new HashMap<>();
    private final Map<Long, CompletableFuture<Boolean>> created = new ConcurrentHashMap<>();
    private final Map<Long, URI> askedAt = new ConcurrentHashMap<>();
    private final Map<Long, Integer> hops = new ConcurrentHashMap<>();
    private final Map<Long, Integer> retries = new ConcurrentHashMap<>();
    private final ScheduledExecutorService helper = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "perf-create-rooms");
        t.setDaemon(true);
        return t;
    });

    RoomCreator(Scenario sc) throws Exception {
        this.sc = sc;
        this.client = new LoadClient(1, 0);
        this.stats = new Stats(sc.rooms());
    }

    /** Creates every room; throws if one was refused or not answered within 20 s. */
    void createAll() throws Exception {
        List<CompletableFuture<Boolean>> done = new ArrayList<>();
        for (int r = 0; r < sc.rooms(); r++) {
            long room = sc.roomId(r);
            CompletableFuture<Boolean> f = new CompletableFuture<>();
            created.put(room, f);
            done.add(f);
            send(room, sc.nodeOf(r));
            if (done.size() % 1000 == 0) {
                done.get(done.size() - 1).get(20, TimeUnit.SECONDS);
            }
        }
        for (int r = 0; r < done.size(); r++) {
            if (!done.get(r).get(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("room " + sc.roomId(r) + " was not created (errors "
                        + stats.get(Counter.ERRORS) + ")");
            }
        }
    }

    /** Redirects followed and retries made (for tests). */
    long redirects() {
        return stats.get(Counter.REDIRECTS_FOLLOWED);
    }

    long retries() {
        return stats.get(Counter.RETRIES);
    }

    private void send(long room, URI node) throws Exception {
        askedAt.put(room, node);
        connection(node).createRoom(room);
    }

    private synchronized Peer connection(URI node) throws Exception {
        Peer p = control.get(node);
        if (p == null) {
            p = new Peer(Peer.Role.CONTROL, stats, clock, -1, 0, sc.roomBase, false, null);
            p.control = this;
            client.connect(node, p);
            p.ready().get(20, TimeUnit.SECONDS);
            control.put(node, p);
        }
        return p;
    }

    @Override
    public void roomInfo(long room, boolean exists) {
        CompletableFuture<Boolean> f = created.get(room);
        if (f != null) {
            f.complete(exists);
        }
    }

    @Override
    public void redirected(long room, String address) {
        CompletableFuture<Boolean> f = created.get(room);
        if (f == null || f.isDone()) {
            return;
        }
        URI to = Peer.wsUri(address);
        if (to == null || hops.merge(room, 1, Integer::sum) > Sender.HOP_LIMIT) {
            stats.error(Sender.REDIRECT_NOT_FOLLOWED);
            f.completeExceptionally(new IllegalStateException("room " + Long.toUnsignedString(room)
                    + ": redirect to '" + address + "' not followed (bad address or more than " + Sender.HOP_LIMIT
                    + " hops)"));
            return;
        }
        stats.increment(Counter.REDIRECTS_FOLLOWED);
        helper.execute(() -> resend(room, to, f));
    }

    @Override
    public void refused(long room, int code, long retryAfterMs) {
        CompletableFuture<Boolean> f = created.get(room);
        if (f == null || f.isDone()) {
            return;
        }
        URI node = askedAt.get(room);
        if (Sender.retriable(code) && node != null && retries.merge(room, 1, Integer::sum) <= Sender.RETRY_LIMIT) {
            stats.retry(code);
            helper.schedule(() -> resend(room, node, f),
                    retryAfterMs > 0 ? retryAfterMs : Sender.DEFAULT_RETRY_AFTER_MS, TimeUnit.MILLISECONDS);
            return;
        }
        stats.error(code);
        f.completeExceptionally(new IllegalStateException("room " + Long.toUnsignedString(room)
                + " was not created: error " + code + " " + Report.errorName(code)));
    }

    private void resend(long room, URI node, CompletableFuture<Boolean> f) {
        try {
            send(room, node);
        } catch (Exception e) {
            f.completeExceptionally(e);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            control.values().forEach(Peer::close);
        }
        helper.shutdownNow();
        client.close();
    }
}
