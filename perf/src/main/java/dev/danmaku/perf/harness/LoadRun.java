package dev.danmaku.perf.harness;

import dev.danmaku.perf.harness.Stats.Counter;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.SystemNanoClock;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One generator process's share of a run: its viewers (global viewer index mod processes) and its
 * senders (sender index mod processes), the fixed schedule, a sample every second, the drain at the
 * end, and the loss check ({@link DeliveryCheck}) once the drain is over. The caller's thread drives
 * {@link #connect} and {@link #run}; each sender runs on the event loop its connections share (a 1 ms
 * tick per loop); a progress thread samples the counters; a reconnect thread opens the connections
 * that replace lost or redirected ones (a connect may block, the loops must not).
 *
 * <p>In a cluster (several {@code --node}s, rooms hashed to nodes) a viewer first JOINs its room at
 * node {@code room mod n} and follows REDIRECT; a MOVED (the room migrated) or a lost connection makes
 * it reconnect (to the MOVED address, else the same node) and JOIN with RESUME from its cursor, so that
 * the report can show that every viewer resumed and no ACKed bullet was lost across a rebalance.
 */
public final class LoadRun implements AutoCloseable {
    /** The fixed schedule: bullet i is due at start + i / rate. Immutable; shared by the loops. */
    static final class Schedule {
        final Scenario scenario;
        final Stats stats;
        final MessageMix mix;
        final long startNanos;
        final long startEpochMicros;
        final double nanosPerBullet;
        final double microsPerBullet;
        final long total;
        final int senders;

        Schedule(Scenario scenario, Stats stats, MessageMix mix, RunClock clock, long startEpochMs) {
            this.scenario = scenario;
            this.stats = stats;
            this.mix = mix;
            this.startEpochMicros = startEpochMs * 1_000;
            this.startNanos = clock.nanosAt(startEpochMicros);
            this.nanosPerBullet = 1e9 / scenario.rate();
            this.microsPerBullet = 1e6 / scenario.rate();
            this.total = (long) Math.floor(scenario.rate() * (scenario.warmupS() + scenario.durationS()));
            this.senders = scenario.senders();
        }

        long intendedNanos(long i) {
            return startNanos + (long) (i * nanosPerBullet);
        }

        long intendedEpochMs(long i) {
            return (startEpochMicros + (long) (i * microsPerBullet)) / 1_000;
        }
    }

    /** Consecutive failed reconnects of a viewer before it is given up. */
    static final int MAX_VIEWER_FAILURES = 20;
    /** Delay before a viewer reconnects after losing its connection, ms (times its consecutive failures). */
    static final long RECONNECT_DELAY_MS = 100;

    private final Scenario sc;
    private final int part;
    private final int parts;
    private final Stats stats;
    private final RunClock clock = new RunClock();
    private final LoadClient client;
    private final List<Viewer> viewers = new ArrayList<>();
    private final List<Sender> senders = new ArrayList<>();
    private final java.util.concurrent.ScheduledExecutorService reconnector =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "perf-reconnect");
                t.setDaemon(true);
                return t;
            });
    private volatile boolean running;
    private volatile boolean closed;
    private volatile Throwable tickFailure;
    private long connectNanos;

    /** Opens senders' links: at once on the caller's thread, else (from a loop, or later) on the reconnector. */
    private final Sender.Links links = new Sender.Links() {
        @Override
        public void open(URI address, Peer peer, EventLoop loop, long delayMs) {
            if (delayMs <= 0 && !loop.inEventLoop()) {
                connectLink(address, peer, loop);
                return;
            }
            try {
                reconnector.schedule(() -> connectLink(address, peer, loop), delayMs, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closing) {
                // the run is closing: the link stays down
            }
        }

        @Override
        public boolean running() {
            return running;
        }
    };

    public LoadRun(Scenario sc, int part, int parts) throws Exception {
        this.sc = sc;
        this.part = part;
        this.parts = parts;
        this.stats = new Stats(sc.rooms());
        this.client = new LoadClient(sc.ioThreads, sc.sourceAddresses);
    }

    public Stats stats() {
        return stats;
    }

    /**
     * Creates every room of the scenario on its node (CREATE_ROOM is idempotent), following REDIRECTs
     * to the owners ({@link RoomCreator}).
     */
    public static void createRooms(Scenario sc) throws Exception {
        try (RoomCreator c = new RoomCreator(sc)) {
            c.createAll();
        }
    }

    /** Opens this part's viewers (and waits for their first JOINED, through redirects), then its senders. */
    public void connect() throws Exception {
        long t0 = System.nanoTime();
        int global = 0;
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (int r = 0; r < sc.rooms(); r++) {
            int sampled = sc.sampled(r);
            for (int v = 0; v < sc.viewersByRoom[r]; v++, global++) {
                if (global % parts != part) {
                    continue;
                }
                Viewer viewer = new Viewer(r, v < sampled, sc.nodeOf(r));
                viewers.add(viewer);
                pending.add(viewer.joined);
                viewer.connect();
            }
        }
        List<Peer> senderLinks = new ArrayList<>();
        RouteHints hints = new RouteHints(sc.rooms());
        for (int s = 0; s < sc.senders(); s++) {
            if (s % parts != part) {
                continue;
            }
            // all of a sender's links on one loop: its pending ring and owner map have one thread
            Sender sender = new Sender(s, sc.userBase + s, client.group().next(), sc, stats, clock, links,
                    SystemNanoClock.INSTANCE);
            sender.routeHints(hints);
            senders.add(sender);
            for (Peer p : sender.links()) {
                pending.add(p.ready());
                senderLinks.add(p);
            }
        }
        int failed = 0;
        Throwable first = null;
        for (CompletableFuture<?> f : pending) {
            try {
                f.get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                failed++;
                first = first == null ? e : first;
            }
        }
        connectNanos = System.nanoTime() - t0;
        if (failed > 0) {
            System.err.println("perf: " + failed + " of " + pending.size() + " connections failed (first: "
                    + (first.getCause() != null ? first.getCause() : first) + ")");
            for (Peer p : senderLinks) {
                if (!p.ready().isDone() || p.ready().isCompletedExceptionally()) {
                    throw new IllegalStateException("a sender could not connect: " + first);
                }
            }
        }
    }

    /** Connects a sender's link; a connect that cannot start is reported on the link's loop. */
    private void connectLink(URI address, Peer peer, EventLoop loop) {
        if (closed) {
            return;
        }
        try {
            client.connect(address, peer, loop);
        } catch (Exception e) {
            loop.execute(() -> peer.failed(e));
        }
    }

    /**
     * One viewer across its connections: its cursor (position, epochs, hops), the node it talks to now and
     * what happens when a connection ends. The hooks run on the current connection's loop, one connection
     * at a time; connects run on the caller's thread (the first) or the reconnect thread.
     */
    final class Viewer implements Peer.ViewerListener {
        final int room;
        final boolean sampled;
        final ViewerCursor cursor;
        /** Completes with the first JOINED (exceptionally if the viewer never got one). */
        final CompletableFuture<Void> joined = new CompletableFuture<>();
        private volatile URI node;
        private volatile Peer current;
        private int failures;
        private int rotation;

        Viewer(int room, boolean sampled, URI node) {
            this.room = room;
            this.sampled = sampled;
            this.cursor = new ViewerCursor(room);
            this.node = node;
        }

        void connect() throws InterruptedException {
            if (closed) {
                return;
            }
            Peer p = new Peer(Peer.Role.VIEWER, stats, clock, room, sc.roomId(room), sc.roomBase, sampled, cursor);
            p.viewer = this;
            current = p;
            try {
                client.connect(node, p);
            } catch (IllegalStateException e) {
                p.failed(e);
            }
        }

        /** Connects again after {@code delayMs} on the reconnect thread. */
        private void connectLater(long delayMs, boolean reconnect) {
            if (closed) {
                return;
            }
            try {
                reconnector.schedule(() -> {
                    try {
                        if (reconnect) {
                            stats.increment(Counter.RECONNECTS);
                        }
                        connect();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, delayMs, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closing) {
                // the run is closing: no more connections
            }
        }

        @Override
        public synchronized void joined(Peer p) {
            failures = 0;
            joined.complete(null);
        }

        @Override
        public void lost(Peer p) {
            if (running && p == current) {
                connectLater(RECONNECT_DELAY_MS, true);
            }
        }

        @Override
        public synchronized void failed(Peer p, Throwable cause) {
            if (!running) {
                joined.completeExceptionally(cause); // while connecting (or after the run): counted, not retried
                return;
            }
            if (p != current) {
                return; // an older connection's news: the viewer has moved on (one connection at a time)
            }
            if (++failures > MAX_VIEWER_FAILURES) {
                return; // given up: its position stays behind and the loss check shows it
            }
            if (failures % 3 == 0 && sc.nodes.size() > 1) {
                // its node may be gone: another one of the cluster answers with a REDIRECT to the owner
                node = sc.nodes.get((room + ++rotation) % sc.nodes.size());
            }
            connectLater(RECONNECT_DELAY_MS * failures, true);
        }

        @Override
        public void refused(Peer p, int code) {
            joined.completeExceptionally(new IllegalStateException("JOIN refused: error " + code + " "
                    + Report.errorName(code)));
        }

        @Override
        public void redirected(Peer p, URI to) {
            if (p != current) {
                return; // an older connection's news: the viewer has moved on (one connection at a time)
            }
            node = to;
            connectLater(0, false); // at once: MOVED and REDIRECT are not failures
        }

        void close() {
            Peer p = current;
            if (p != null) {
                p.close();
            }
        }
    }

    /**
     * Runs the schedule from {@code startEpochMs} (the same instant in every process), samples
     * every second into {@code onSecond}, then drains, and returns this part's result.
     */
    public PartResult run(long startEpochMs, Consumer<PartResult.Second> onSecond) throws InterruptedException {
        MessageMix mix = new MessageMix(sc.mix, sc.messageBytes, 42);
        Schedule schedule = new Schedule(sc, stats, mix, clock, startEpochMs);
        long measureStartMs = startEpochMs + sc.warmupS() * 1_000L;
        clock.window(measureStartMs, measureStartMs + sc.durationS() * 1_000L);
        running = true;
        Map<EventExecutor, List<Sender>> byLoop = new IdentityHashMap<>();
        for (Sender s : senders) {
            byLoop.computeIfAbsent(s.loop, l -> new ArrayList<>()).add(s);
        }
        List<ScheduledFuture<?>> ticks = new ArrayList<>();
        long firstTickDelay = Math.max(0, schedule.startNanos - System.nanoTime());
        for (Map.Entry<EventExecutor, List<Sender>> e : byLoop.entrySet()) {
            Sender[] mine = e.getValue().toArray(new Sender[0]);
            ticks.add(e.getKey().scheduleAtFixedRate(() -> {
                long now = System.nanoTime();
                try {
                    for (Sender s : mine) {
                        s.sendDue(schedule, now);
                    }
                } catch (RuntimeException ex) {
                    // a throwing task would silently cancel the schedule: report it once, keep ticking
                    if (tickFailure == null) {
                        tickFailure = ex;
                        System.err.println("perf: sender tick failed: " + ex);
                    }
                }
            }, firstTickDelay, 1_000_000, TimeUnit.NANOSECONDS));
        }

        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        PartResult result = new PartResult(sc.rooms());
        long cpu0 = os.getProcessCpuTime();
        long wall0 = System.nanoTime();
        long[] last = new long[Counter.values().length];
        long lastCpu = cpu0;
        Histogram interval = null;
        long endNanos = schedule.intendedNanos(schedule.total);
        long drainDeadline = Long.MAX_VALUE;
        long lastChange = System.nanoTime();
        long lastDelivered = -1;
        for (int t = 1; ; t++) {
            long wake = schedule.startNanos + t * 1_000_000_000L;
            sleepUntil(wake);
            long[] now = new long[last.length];
            long[] delta = new long[last.length];
            for (Counter c : Counter.values()) {
                now[c.ordinal()] = stats.get(c);
                delta[c.ordinal()] = now[c.ordinal()] - last[c.ordinal()];
            }
            System.arraycopy(now, 0, last, 0, now.length);
            interval = stats.intervalLatency(interval);
            Histogram copy = interval.copy();
            result.latency.add(copy);
            long cpu = os.getProcessCpuTime();
            PartResult.Second sec = new PartResult.Second(t, delta, stats.open.get(), cpu - lastCpu, copy);
            lastCpu = cpu;
            result.maxOpen = Math.max(result.maxOpen, stats.open.get());
            result.seconds.add(sec);
            onSecond.accept(sec);
            long n = System.nanoTime();
            if (n >= endNanos) {
                if (drainDeadline == Long.MAX_VALUE) {
                    drainDeadline = n + sc.drainMs * 1_000_000L;
                }
                long delivered = stats.get(Counter.DELIVERED);
                if (delivered != lastDelivered) {
                    lastDelivered = delivered;
                    lastChange = n;
                }
                boolean acked = stats.get(Counter.ACKED) + stats.get(Counter.ERRORS) >= stats.get(Counter.SENT);
                if ((acked && n - lastChange >= 500_000_000L && n - endNanos >= 1_000_000_000L) || n >= drainDeadline) {
                    break;
                }
            }
        }
        running = false;
        ticks.forEach(f -> f.cancel(false));
        // a last look at what arrived since the last full second
        interval = stats.intervalLatency(interval);
        result.latency.add(interval);
        for (Counter c : Counter.values()) {
            result.counters[c.ordinal()] = stats.get(c);
        }
        for (int i = 0; i < result.errors.length; i++) {
            result.errors[i] = stats.errors.get(i);
        }
        for (int r = 0; r < result.acceptedByRoom.length; r++) {
            result.acceptedByRoom[r] = stats.acceptedByRoom.get(r);
        }
        for (int i = 0; i < result.retried.length; i++) {
            result.retried[i] = stats.retried.get(i);
        }
        result.delivery = deliveryCheck();
        result.cpuNanos = os.getProcessCpuTime() - cpu0;
        result.wallNanos = System.nanoTime() - wall0;
        result.connectNanos = connectNanos;
        result.viewers = viewers.size();
        result.sampledViewers = viewers.stream().filter(v -> v.sampled).count();
        result.senderConnections = senders.stream().mapToLong(Sender::linkCount).sum();
        return result;
    }

    /** This process's ACKs and its viewers' final positions, after the drain. */
    DeliveryCheck deliveryCheck() {
        DeliveryCheck check = new DeliveryCheck(sc.rooms());
        check.addAcks(stats);
        long[] epochs = new long[ViewerCursor.EPOCH_SLOTS];
        long[] seqs = new long[ViewerCursor.EPOCH_SLOTS];
        for (Viewer v : viewers) {
            v.cursor.lastSeq(); // volatile read first: the slots written before it are visible
            int n = v.cursor.delivered(epochs, seqs);
            check.addViewer(v.room, epochs, seqs, n);
        }
        return check;
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long d;
        while ((d = nanoTime - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(d, 50_000_000L));
        }
    }

    @Override
    public void close() {
        running = false;
        closed = true;
        reconnector.shutdownNow();
        viewers.forEach(Viewer::close);
        senders.forEach(Sender::close); // Peer.close is thread-safe; a link opened meanwhile closes with the loops
        client.close();
    }
}
