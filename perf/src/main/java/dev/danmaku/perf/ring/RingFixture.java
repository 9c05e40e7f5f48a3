package dev.danmaku.perf.ring;

import dev.danmaku.codec.BatchEncoder;
import dev.danmaku.codec.ErrorCode;
import dev.danmaku.codec.FrameEncoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.engine.config.NodeConfig;
import dev.danmaku.engine.filter.AdmitCounters;
import dev.danmaku.engine.filter.CurrentBanList;
import dev.danmaku.engine.filter.DuplicateFilter;
import dev.danmaku.engine.filter.SensitiveWordFilter;
import dev.danmaku.engine.journal.Journal;
import dev.danmaku.engine.journal.JournalConfig;
import dev.danmaku.engine.ring.RingEvent;
import dev.danmaku.engine.ring.Stages;
import dev.danmaku.engine.stage.AdmitHandler;
import dev.danmaku.engine.stage.ChronicleAppender;
import dev.danmaku.engine.stage.DecodeHandler;
import dev.danmaku.engine.stage.FanoutHandler;
import dev.danmaku.engine.stage.JournalHandler;
import dev.danmaku.engine.stage.StageMetrics;
import dev.danmaku.engine.transport.Connection;
import dev.danmaku.engine.transport.Egress;
import dev.danmaku.engine.transport.WsServer;
import dev.danmaku.perf.codec.ChatCorpus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.SystemNanoClock;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The node's four stages assembled exactly as {@code Node} assembles them, minus the WebSocket server
 * and the admin API: a real Chronicle journal in a temporary directory, a real {@link Egress} over one
 * real Netty event loop (epoll when available, like the node), and connections whose channels are
 * {@link DiscardingSink}s. Configuration: the node defaults ({@link NodeConfig#defaults()}), with
 * the sensitive-word list of {@code config/words.txt} when the benchmark runs from the repository
 * root, except the per-user and per-address rate limits, raised so that the benchmark's senders are
 * never limited (see {@link #config}).
 *
 * <p>Rates: at 5 M bullets/s each of {@code users} users sends about 5 M / users per second.
 *
 * <p>Not thread-safe: built and closed by one thread; the stages then belong to whichever single
 * thread drives them (the JMH thread, or the Disruptor's stage thread).
 */
final class RingFixture implements AutoCloseable {
    /** Sender connections, each with its own address (per-address limiter keys); a power of two. */
    static final int SENDERS = 4096;
    /** The one room every bullet goes to. */
    static final long ROOM = ChatCorpus.DEFAULT_ROOM_ID;

    final NodeConfig config;
    final EpochClock epochClock = SystemEpochClock.INSTANCE;
    final NanoClock nanoClock = SystemNanoClock.INSTANCE;
    final Path dir;
    final Journal journal;
    final EventLoopGroup group;
    final Egress egress;
    final BatchEncoder encoder;
    final StageMetrics metrics = new StageMetrics();
    final AdmitCounters admitCounters = new AdmitCounters();
    final DecodeHandler decode;
    final AdmitHandler admit;
    final JournalHandler sequencer;
    final FanoutHandler fanout;
    /** The fan-out stage as the node wires it (fan-out plus delivery timing). */
    final dev.danmaku.engine.stage.DeliveryTimingHandler fanoutStage;
    final DuplicateFilter dedup;
    final boolean words;
    final DiscardingSink senderSink = new DiscardingSink();
    final Connection[] senders = new Connection[SENDERS];
    final DiscardingSink[] viewerSinks;
    final Connection[] viewers;
    final BulletFrames frames;

    /**
     * The node defaults, except: user rate 1,000/s (burst 1,000) and address rate 1,000,000/s
     * (burst 1,000,000). At 5 M bullets/s each of the {@link BulletFrames#USERS} users sends about
     * 5/s and each of the {@link #SENDERS} addresses about 1,200/s: the defaults (10/s and 100/s)
     * would pass the users but limit the addresses. Every limiter still looks up and updates its key.
     */
    static NodeConfig config(NodeConfig.WaitStrategy wait) {
        return config(wait, "");
    }

    /**
     * {@link #config(NodeConfig.WaitStrategy)} with {@code overrides} applied last: semicolon-separated
     * {@code key=value} pairs of the node's keys, as {@code --set} takes them (for experiments such as
     * {@code batch.compression-threshold=2147483647}, compression off).
     */
    static NodeConfig config(NodeConfig.WaitStrategy wait, String overrides) {
        NodeConfig.Builder b = NodeConfig.builder()
                .set(NodeConfig.USER_RATE, 1_000).set(NodeConfig.USER_BURST, 1_000)
                .set(NodeConfig.IP_RATE, 1_000_000).set(NodeConfig.IP_BURST, 1_000_000)
                .set(NodeConfig.RING_WAIT, wait)
                .set(NodeConfig.RING_THREADS, NodeConfig.StageThreads.FUSED);
        for (String pair : overrides.split(";")) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("set: expected key=value, got '" + pair + "'");
            }
            b.set(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip(), "benchmark parameter set");
        }
        return b.build();
    }

    RingFixture(NodeConfig config, int viewerCount, int users) {
        this.config = config;
        this.frames = new BulletFrames(ROOM, users);
        try {
            dir = Files.createTempDirectory("danmaku-ring-bench");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        journal = Journal.open(JournalConfig.defaults(dir.resolve("journal"))
                .withRollCycle(config.get(NodeConfig.JOURNAL_ROLL))
                .withSyncPolicy(config.get(NodeConfig.JOURNAL_SYNC))
                .withRetainedCycles(config.get(NodeConfig.JOURNAL_RETENTION)));
        group = new MultiThreadIoEventLoopGroup(1,
                Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        egress = new Egress(WsServer.loops(group), config.get(NodeConfig.EGRESS_QUEUE), PooledByteBufAllocator.DEFAULT,
                nanoClock, TimeUnit.MILLISECONDS.toNanos(config.get(NodeConfig.SLOW_VIEWER_TIMEOUT_MS)));

        // The same construction as the node's (engine.ring.Stages).
        SensitiveWordFilter wordFilter = loadWords(config.get(NodeConfig.WORDS_FILE));
        words = wordFilter != null;
        Stages stages = Stages.build(config, journal, new ChronicleAppender(journal), egress, epochClock, nanoClock,
                metrics, admitCounters, new CurrentBanList(), wordFilter, null);
        encoder = stages.encoder();
        fanout = stages.fanout();
        fanoutStage = stages.delivery();
        dedup = stages.dedup();
        sequencer = stages.sequencer();
        admit = stages.admit();
        decode = stages.decode();

        for (int i = 0; i < SENDERS; i++) {
            int ipv4 = 0x0A00_0000 | (i + 1); // 10.0.x.y
            senders[i] = new Connection(i + 1, senderSink.channel, 0, ipv4 & 0xFFFF_FFFFL, ipv4, "10.0.0." + i);
        }
        viewerSinks = new DiscardingSink[viewerCount];
        viewers = new Connection[viewerCount];
        for (int i = 0; i < viewerCount; i++) {
            viewerSinks[i] = new DiscardingSink();
            int ipv4 = 0x0B00_0000 | (i + 1);
            viewers[i] = new Connection(100_000 + i, viewerSinks[i].channel, 0, ipv4 & 0xFFFF_FFFFL, ipv4,
                    "11.0.0." + i);
        }
    }

    private static SensitiveWordFilter loadWords(String file) {
        if (file.isEmpty() || !Files.isRegularFile(Path.of(file))) {
            return null;
        }
        try {
            return SensitiveWordFilter.load(Path.of(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Fills {@code e} with a CREATE_ROOM (viewer &lt; 0) or a JOIN of viewer {@code viewer}. */
    void fillSetup(RingEvent e, int viewer, long nowMs) {
        Connection c = viewer < 0 ? senders[0] : viewers[viewer];
        e.reset(RingEvent.KIND_FRAME, c, nanoClock.nanoTime());
        e.frameLength = viewer < 0
                ? FrameEncoder.roomRequest(e.frame, 0, FrameType.CREATE_ROOM, nowMs, 1, ROOM)
                : FrameEncoder.join(e.frame, 0, nowMs, 2 + viewer, ROOM, 0, 0, 0, 0);
        e.userId = viewer < 0 ? 1 : 2 + viewer;
        e.userLevel = BulletFrames.LEVEL;
    }

    /** A CREATE_ROOM (viewer &lt; 0) or JOIN frame as a buffer, for {@code tryPublishFrame}. */
    ByteBuf setupFrame(int viewer, long nowMs) {
        RingEvent scratch = new RingEvent();
        fillSetup(scratch, viewer, nowMs);
        return Unpooled.wrappedBuffer(scratch.frame.byteArray(), 0, scratch.frameLength);
    }

    /** Frames written to viewers (batches, rankings) so far. */
    long viewerFrames() {
        long n = 0;
        for (DiscardingSink s : viewerSinks) {
            n += s.frames();
        }
        return n;
    }

    /** Bullets rejected so far, all codes. */
    long rejected() {
        long n = 0;
        for (long r : metrics.rejects) {
            n += r;
        }
        return n;
    }

    /** The non-zero reject counters, for reports. */
    String rejectSummary() {
        StringBuilder sb = new StringBuilder();
        for (int code = 0; code < metrics.rejects.length; code++) {
            if (metrics.rejects[code] != 0) {
                ErrorCode known = ErrorCode.of(code);
                sb.append(known == null ? String.valueOf(code) : known.name()).append('=')
                        .append(metrics.rejects[code]).append(' ');
            }
        }
        return sb.length() == 0 ? "none" : sb.toString().trim();
    }

    @Override
    public void close() {
        egress.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        senderSink.close();
        for (DiscardingSink s : viewerSinks) {
            s.close();
        }
        encoder.close();
        journal.close();
        frames.release();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
