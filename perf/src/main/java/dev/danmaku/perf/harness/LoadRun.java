package dev.danmaku.perf.harness;

import dev.danmaku.perf.harness.Stats.Counter;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import org.HdrHistogram.Histogram;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One generator process's share of a run: its viewers (global viewer index mod processes) and its
 * senders (sender index mod processes), the fixed schedule, a sample every second, the drain at the
 * end. The caller's thread drives {@link #connect} and {@link #run}; the senders run on their
 * connections' event loops (a 1 ms tick per loop); a progress thread samples the counters.
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

    private final Scenario sc;
    private final int part;
    private final int parts;
    private final Stats stats;
    private final RunClock clock = new RunClock();
    private final LoadClient client;
    private final List<Peer> viewers = new ArrayList<>();
    private final List<Sender> senders = new ArrayList<>();
    private final List<Peer> senderPeers = new ArrayList<>();
    private final java.util.concurrent.ScheduledExecutorService reconnector =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "perf-reconnect");
                t.setDaemon(true);
                return t;
            });
    private volatile boolean running;
    private volatile Throwable tickFailure;
    private long connectNanos;

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

    /** Creates every room of the scenario on its node (CREATE_ROOM is idempotent). */
    public static void createRooms(Scenario sc) throws Exception {
        try (LoadClient c = new LoadClient(1, 0)) {
            Stats s = new Stats(sc.rooms());
            RunClock clock = new RunClock();
            List<Peer> control = new ArrayList<>();
            for (URI node : sc.nodes) {
                Peer p = new Peer(Peer.Role.CONTROL, s, clock, -1, 0, sc.roomBase, false, null);
                c.connect(node, p);
                p.ready().get(20, TimeUnit.SECONDS);
                control.add(p);
            }
            List<CompletableFuture<Boolean>> done = new ArrayList<>();
            for (int r = 0; r < sc.rooms(); r++) {
                done.add(control.get(r % control.size()).createRoom(sc.roomId(r)));
                if (done.size() % 1000 == 0) {
                    done.get(done.size() - 1).get(20, TimeUnit.SECONDS);
                }
            }
            for (int r = 0; r < done.size(); r++) {
                if (!done.get(r).get(20, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("room " + sc.roomId(r) + " was not created (errors "
                            + s.get(Counter.ERRORS) + ")");
                }
            }
            control.forEach(Peer::close);
        }
    }

    /** Opens this part's viewers (and waits for their JOINED), then its senders. */
    public void connect() throws Exception {
        long t0 = System.nanoTime();
        int global = 0;
        List<CompletableFuture<Peer>> pending = new ArrayList<>();
        for (int r = 0; r < sc.rooms(); r++) {
            int sampled = sc.sampled(r);
            for (int v = 0; v < sc.viewersByRoom[r]; v++, global++) {
                if (global % parts != part) {
                    continue;
                }
                Peer p = viewer(r, v < sampled, null);
                viewers.add(p);
                pending.add(p.ready());
            }
        }
        for (int s = 0; s < sc.senders(); s++) {
            if (s % parts != part) {
                continue;
            }
            Peer[] byNode = new Peer[sc.nodes.size()];
            for (int n = 0; n < byNode.length; n++) {
                byNode[n] = new Peer(Peer.Role.SENDER, stats, clock, -1, 0, sc.roomBase, false, null);
                client.connect(sc.nodes.get(n), byNode[n]);
                pending.add(byNode[n].ready());
                senderPeers.add(byNode[n]);
            }
            senders.add(new Sender(s, sc.userBase + s, byNode));
        }
        int failed = 0;
        Throwable first = null;
        for (CompletableFuture<Peer> f : pending) {
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
            for (Sender s : senders) {
                for (Peer p : s.byNode) {
                    if (!p.ready().isDone() || p.ready().isCompletedExceptionally()) {
                        throw new IllegalStateException("a sender could not connect: " + first);
                    }
                }
            }
        }
    }

    private Peer viewer(int room, boolean sampled, long[] cursor) throws InterruptedException {
        Peer p = new Peer(Peer.Role.VIEWER, stats, clock, room, sc.roomId(room), sc.roomBase, sampled, cursor);
        p.onDisconnect(() -> {
            if (running) {
                reconnect(room, sampled, p.cursor);
            }
        });
        client.connect(sc.nodeOf(room), p);
        return p;
    }

    private void reconnect(int room, boolean sampled, long[] cursor) {
        // Not on an event loop: connect() may block while connects are in flight, and those need the loops.
        reconnector.schedule(() -> {
            try {
                Peer p = viewer(room, sampled, cursor);
                stats.increment(Counter.RECONNECTS);
                synchronized (viewers) {
                    viewers.add(p);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, 100, TimeUnit.MILLISECONDS);
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
            EventLoop loop = s.byNode[0].channel.eventLoop();
            byLoop.computeIfAbsent(loop, l -> new ArrayList<>()).add(s);
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
        result.cpuNanos = os.getProcessCpuTime() - cpu0;
        result.wallNanos = System.nanoTime() - wall0;
        result.connectNanos = connectNanos;
        result.viewers = viewers.size();
        result.sampledViewers = viewers.stream().filter(p -> p.sampled).count();
        result.senderConnections = senderPeers.size();
        return result;
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
        synchronized (viewers) {
            viewers.forEach(Peer::close);
        }
        senderPeers.forEach(Peer::close);
        reconnector.shutdownNow();
        client.close();
    }
}
