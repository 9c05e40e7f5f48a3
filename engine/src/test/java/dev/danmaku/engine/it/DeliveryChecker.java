package dev.danmaku.engine.it;

import dev.danmaku.codec.BatchDecoder;
import dev.danmaku.codec.BulletView;
import dev.danmaku.codec.FrameDecoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.JoinedDecoder;
import dev.danmaku.codec.Protocol;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A compact viewer-side oracle for one room, for tests with many viewers or large bullets: it keeps
 * per sequence only the user and timestamp, plus a running hash of everything delivered (so two
 * viewers can be compared for the same order and content without keeping the content), and records
 * every gap, duplicate or epoch change it sees. Runs on its own thread over a {@link WsTestClient}.
 *
 * <p>Fields are written by its thread; read them after {@link #stop()} (which joins), except
 * {@link #lastSeq()}, which is safe to poll.
 */
public final class DeliveryChecker implements Runnable {
    private final WsTestClient client;
    private final long room;
    private final FrameDecoder decoder = FrameDecoder.forClient();
    private final Thread thread;
    private volatile boolean stop;
    private volatile long lastSeq;
    private long epoch = -1;
    private long firstSeq = -1;
    private long[] users = new long[1024];
    private long[] timestamps = new long[1024];
    private int count;
    private long hash = 1;
    public final List<String> problems = new ArrayList<>();
    public Viewer.JoinedSnapshot joined;
    /** ERROR frames received (codes). */
    public final List<Integer> errorCodes = new ArrayList<>();

    public DeliveryChecker(WsTestClient client, long room, String name) {
        this.client = client;
        this.room = room;
        this.thread = new Thread(this, "checker-" + name);
        this.thread.setDaemon(true);
    }

    public DeliveryChecker start() {
        thread.start();
        return this;
    }

    @Override
    public void run() {
        try {
            while (!stop) {
                byte[] f = client.poll(20);
                if (f != null) {
                    take(f);
                }
            }
            byte[] f;
            while ((f = client.poll(0)) != null) {
                take(f);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            problem("checker failed: " + t);
        }
    }

    private void problem(String p) {
        if (problems.size() < 20) {
            problems.add(p);
        }
    }

    private void take(byte[] f) {
        int status = decoder.decode(new UnsafeBuffer(f), 0, f.length);
        if (status != Protocol.OK) {
            problem("invalid frame from node: code " + status);
            return;
        }
        if (decoder.type() == FrameType.JOINED) {
            JoinedDecoder j = decoder.joined();
            joined = new Viewer.JoinedSnapshot(j.epoch(), j.status(), j.lastSequence(), j.nextSequence());
        } else if (decoder.type() == FrameType.ERROR) {
            errorCodes.add(decoder.error().code());
        } else if (decoder.type() == FrameType.BATCH) {
            BatchDecoder b = decoder.batch();
            if (b.roomId() != room) {
                return;
            }
            if (epoch == -1) {
                epoch = b.epoch();
            } else if (epoch != b.epoch()) {
                problem("epoch changed from " + epoch + " to " + b.epoch());
            }
            while (b.next()) {
                BulletView e = b.entry();
                long seq = e.sequence();
                if (firstSeq == -1) {
                    firstSeq = seq;
                } else if (seq != lastSeq + 1) {
                    problem((seq <= lastSeq ? "duplicate/backwards " : "gap ") + lastSeq + " -> " + seq);
                }
                if (count == users.length) {
                    users = Arrays.copyOf(users, count * 2);
                    timestamps = Arrays.copyOf(timestamps, count * 2);
                }
                users[count] = e.userId();
                timestamps[count] = e.timestamp();
                count++;
                hash = 31 * (31 * (31 * hash + seq) + e.userId()) + e.timestamp();
                hash = 31 * hash + e.content().hashCode();
                lastSeq = seq;
            }
        }
    }

    /** Last sequence received (0 before any); any thread. */
    public long lastSeq() {
        return lastSeq;
    }

    /** Stops and joins the thread (draining what is queued). */
    public void stop() throws InterruptedException {
        stop = true;
        thread.join(10_000);
    }

    public long epoch() {
        return epoch;
    }

    public long firstSeq() {
        return firstSeq;
    }

    public int count() {
        return count;
    }

    public long hash() {
        return hash;
    }

    /** User of the bullet with sequence {@code seq}, or -1 if not received. */
    public long userAt(long seq) {
        long i = seq - firstSeq;
        return firstSeq < 0 || i < 0 || i >= count ? -1 : users[(int) i];
    }

    /** Timestamp of the bullet with sequence {@code seq}, or -1 if not received. */
    public long timestampAt(long seq) {
        long i = seq - firstSeq;
        return firstSeq < 0 || i < 0 || i >= count ? -1 : timestamps[(int) i];
    }
}
