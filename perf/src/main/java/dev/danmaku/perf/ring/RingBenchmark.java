package dev.danmaku.perf.ring;

import dev.danmaku.engine.config.NodeConfig;
import dev.danmaku.engine.ring.EngineWiring;
import dev.danmaku.engine.ring.FusedStages;
import dev.danmaku.engine.ring.RingEvent;
import dev.danmaku.engine.room.Room;
import io.netty.buffer.ByteBuf;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/**
 * Bullets through the whole stage chain in one process: decode, admit, journal (a real Chronicle
 * document per ring batch), fan-out (ACK to the sender, the room's history, leaderboard and batches,
 * broadcast through a real {@code Egress} to {@code viewers} viewers). One operation = one bullet.
 *
 * <ul>
 *   <li>{@link #stages}: the JMH thread is the stage thread. It runs the four stage objects through the
 *       engine's own {@code FusedStages} (what the fused wiring runs), without the Disruptor: for a
 *       ring batch of {@link #BATCH} bullets, fill each slot as {@code tryPublishFrame} would, then
 *       run the batch stage by stage (prefetch pass and events of decode, admit, journal with its
 *       one commit, then fan-out and its Egress flush). Every 5 ms of wall
 *       time a TICK goes through the chain too, as the node's ticker sends one (interval / 2).</li>
 *   <li>{@link #disruptor}: the real {@code EngineWiring}, fused layout, with a ticker; the JMH thread is
 *       the producer (an I/O thread's role) and publishes with {@code tryPublishFrame}, spinning while
 *       the ring is full. With the ring full the publish rate equals the stage thread's rate.</li>
 * </ul>
 *
 * Each iteration prints what the chain did (accepted, rejected by code, ACKs and viewer frames
 * written, Egress drops), so a throughput number can be checked against the work actually done.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RingBenchmark {
    /** Bullets per ring batch in {@link #stages}: one journal document, one fan-out pass. */
    public static final int BATCH = 100;

    /** The fused stage chain driven directly by the JMH thread. */
    @State(Scope.Thread)
    public static class Stages {
        @Param({"0", "10"})
        public int viewers;

        /** Distinct senders (primes): ChatCorpus-sized (tables fit in cache) and a busy node's million. */
        @Param({"10007", "1000003"})
        public int users;

        /** Node settings over the fixture's, {@code key=value;...} (empty: none); see {@code RingFixture.config}. */
        @Param({""})
        public String set = "";

        RingFixture f;
        FusedStages stages;
        /** Preallocated slots, as many as the node's ring; used round robin, BATCH at a time. */
        RingEvent[] ring;
        int cursor;
        final RingEvent[] batch = new RingEvent[BATCH + 1];
        final RingEvent tick = new RingEvent();
        long next;
        long nextTickNs;
        long tickNs;
        final Snapshot last = new Snapshot();

        @Setup(Level.Trial)
        public void setUp() {
            f = new RingFixture(RingFixture.config(NodeConfig.WaitStrategy.YIELDING, set), viewers, users);
            stages = new FusedStages(f.decode, f.admit, f.sequencer, f.fanoutStage, (stage, t) -> {
                throw new IllegalStateException("stage " + stage + " failed", t);
            });
            ring = new RingEvent[f.config.get(NodeConfig.RING_SIZE)];
            for (int i = 0; i < ring.length; i++) {
                ring[i] = new RingEvent();
            }
            long interval = f.config.get(NodeConfig.BATCH_INTERVAL_MS);
            tickNs = TimeUnit.MILLISECONDS.toNanos(interval == 0 ? 50 : Math.max(1, interval / 2));
            // The room and its viewers, through the chain like any frame.
            for (int v = -1; v < viewers; v++) {
                f.fillSetup(ring[0], v, f.epochClock.time());
                run(ring, 0, 1);
            }
            Room room = f.fanout.rooms().get(RingFixture.ROOM);
            if (room == null || room.viewerCount() != viewers) {
                throw new IllegalStateException("setup failed: room " + room + ", rejects " + f.rejectSummary());
            }
            last.take(this.f);
        }

        /** One ring batch: BATCH bullets (and a TICK when due), through the engine's own fused runner. */
        void batch() {
            long nowNs = f.nanoClock.nanoTime();
            long nowMs = f.epochClock.time();
            int n = 0;
            if (nowNs - nextTickNs >= 0) {
                nextTickNs = nowNs + tickNs;
                tick.reset(RingEvent.KIND_TICK, null, nowNs);
                batch[n++] = tick;
            }
            RingEvent[] r = ring;
            int c = cursor;
            for (int i = 0; i < BATCH; i++) {
                RingEvent e = r[c];
                c = (c + 1) & (r.length - 1);
                long k = next++;
                f.frames.fill(e, k, f.senders[(int) (k & (RingFixture.SENDERS - 1))], nowNs, nowMs);
                batch[n++] = e;
            }
            cursor = c;
            run(batch, 0, n);
        }

        private void run(RingEvent[] events, int from, int to) {
            if (from != 0) {
                throw new IllegalArgumentException("batches start at 0");
            }
            stages.run(events, to);
        }

        @TearDown(Level.Iteration)
        public void report() {
            last.report("stages viewers=" + viewers + " users=" + users + (set.isEmpty() ? "" : " set=" + set), f, next);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException {
            // Let the event loop drain what is queued before it shuts down.
            Thread.sleep(100);
            last.report("stages final viewers=" + viewers + " users=" + users, f, next);
            f.close();
        }
    }

    /** The real Disruptor ring (fused layout); the JMH thread publishes. */
    @State(Scope.Thread)
    public static class Disruptor {
        @Param({"0", "10"})
        public int viewers;

        @Param({"YIELDING", "BLOCKING"})
        public NodeConfig.WaitStrategy wait;

        RingFixture f;
        EngineWiring wiring;
        long next;
        long nowMs;
        /** Failed tryPublishFrame calls (the node would answer BUSY). */
        long busy;
        final Snapshot last = new Snapshot();

        @Setup(Level.Trial)
        public void setUp() throws InterruptedException {
            f = new RingFixture(RingFixture.config(wait), viewers, BulletFrames.USERS);
            wiring = new EngineWiring(f.config, f.nanoClock, f.metrics, f.decode, f.admit, f.sequencer, f.fanoutStage);
            long interval = f.config.get(NodeConfig.BATCH_INTERVAL_MS);
            wiring.start(interval == 0 ? 50 : Math.max(1, interval / 2));
            for (int v = -1; v < viewers; v++) {
                ByteBuf frame = f.setupFrame(v, f.epochClock.time());
                long user = v < 0 ? 1 : 2 + v;
                if (!wiring.tryPublishFrame(v < 0 ? f.senders[0] : f.viewers[v], frame, user, BulletFrames.LEVEL)) {
                    throw new IllegalStateException("ring full during setup");
                }
                wiring.drain(5_000);
            }
            Room room = f.fanout.rooms().get(RingFixture.ROOM);
            if (room == null || room.viewerCount() != viewers) {
                throw new IllegalStateException("setup failed: room " + room + ", rejects " + f.rejectSummary());
            }
            nowMs = f.epochClock.time();
            last.take(f);
        }

        /** Publishes bullet {@code next}, spinning while the ring is full. */
        void publish() {
            long k = next++;
            if ((k & 1023) == 0) {
                nowMs = f.epochClock.time();
            }
            ByteBuf frame = f.frames.buf(k, nowMs);
            while (!wiring.tryPublishFrame(f.senders[(int) (k & (RingFixture.SENDERS - 1))], frame,
                    f.frames.userId(k), BulletFrames.LEVEL)) {
                busy++;
                Thread.onSpinWait();
            }
        }

        @TearDown(Level.Iteration)
        public void report() {
            last.report("disruptor wait=" + wait + " viewers=" + viewers + " busySpins=" + busy
                    + " ringFree=" + wiring.remainingCapacity(), f, next);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException {
            wiring.drain(10_000);
            Thread.sleep(100);
            last.report("disruptor final wait=" + wait + " viewers=" + viewers, f, next);
            wiring.close();
            f.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void stages(Stages s) {
        s.batch();
    }

    @Benchmark
    public void disruptor(Disruptor s) {
        s.publish();
    }

    /** Counters at the previous report, to print per-iteration deltas (reads racy, for reports only). */
    static final class Snapshot {
        long nanos;
        long submitted;
        long accepted;
        long rejected;
        long acks;
        long viewerFrames;
        long batches;
        long commits;
        /** CPU time of the reporting thread (in {@code stages}, the stage thread), ns; -1 if unsupported. */
        long cpuNanos;

        void take(RingFixture f) {
            nanos = System.nanoTime();
            cpuNanos = threadCpuNanos();
            accepted = f.metrics.accepted;
            rejected = f.rejected();
            acks = f.senderSink.frames();
            viewerFrames = f.viewerFrames();
            batches = f.metrics.batches;
            commits = f.metrics.journalCommits;
        }

        void report(String label, RingFixture f, long submittedNow) {
            long t = System.nanoTime();
            long acceptedNow = f.metrics.accepted;
            double seconds = (t - nanos) / 1e9;
            long cpu = threadCpuNanos();
            long acceptedDelta = acceptedNow - accepted;
            // CPU ns of this thread per accepted bullet: meaningful in stages, where this thread runs the chain;
            // far less sensitive than ops/s to other processes taking the shared cores.
            System.out.printf("%n[ring] %s: cpuNsPerBullet=%.1f cpuShare=%.2f", label,
                    acceptedDelta == 0 || cpu < 0 ? -1.0 : (cpu - cpuNanos) / (double) acceptedDelta,
                    cpu < 0 ? -1.0 : (cpu - cpuNanos) / (double) (t - nanos));
            System.out.printf(" submitted=%d accepted=%d (%.0f/s) rejected=%d senderFrames=%d "
                            + "viewerFrames=%d batches=%d commits=%d egressDropped=%d skipped=%d queued=%d "
                            + "dedupEvictedLive=%d words=%s rejects{%s}%n",
                    submittedNow - submitted, acceptedNow - accepted, (acceptedNow - accepted) / seconds,
                    f.rejected() - rejected, f.senderSink.frames() - acks, f.viewerFrames() - viewerFrames,
                    f.metrics.batches - batches, f.metrics.journalCommits - commits, f.egress.dropped(),
                    f.egress.skipped(), f.egress.queued(), f.dedup.evictedLiveCount(), f.words, f.rejectSummary());
            submitted = submittedNow;
            take(f);
        }

        private static long threadCpuNanos() {
            java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
            return mx.isCurrentThreadCpuTimeSupported() ? mx.getCurrentThreadCpuTime() : -1;
        }
    }
}
