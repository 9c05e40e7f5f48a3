package dev.danmaku.engine.it;

import dev.danmaku.codec.BatchDecoder;
import dev.danmaku.codec.BulletView;
import dev.danmaku.codec.FrameDecoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.JoinedDecoder;
import dev.danmaku.codec.Protocol;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.List;

/** Collects the bullets a {@link WsTestClient} receives for a room, in arrival order. */
public final class Viewer {
    /** One delivered bullet. */
    public record Delivered(long epoch, long seq, long user, long timestamp, String content) {
    }

    private final WsTestClient client;
    private final FrameDecoder decoder = FrameDecoder.forClient();
    public final List<Delivered> bullets = new ArrayList<>();
    public final List<byte[]> others = new ArrayList<>();
    public JoinedSnapshot joined;

    /** What JOINED said. */
    public record JoinedSnapshot(long epoch, int status, long lastSeq, long nextSeq) {
    }

    public Viewer(WsTestClient client) {
        this.client = client;
    }

    public WsTestClient client() {
        return client;
    }

    /** Reads frames until {@code count} bullets have arrived or the timeout passes; returns bullets seen. */
    public int readUntil(int count, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (bullets.size() < count) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                break;
            }
            byte[] f = client.poll(left);
            if (f == null) {
                break;
            }
            take(f);
        }
        return bullets.size();
    }

    /** Drains what has arrived within {@code quietMs}. */
    public void drain(long quietMs) throws InterruptedException {
        byte[] f;
        while ((f = client.poll(quietMs)) != null) {
            take(f);
        }
    }

    private void take(byte[] f) {
        int status = decoder.decode(new UnsafeBuffer(f), 0, f.length);
        if (status != Protocol.OK) {
            throw new AssertionError("invalid frame from node: " + status);
        }
        if (decoder.type() == FrameType.BATCH) {
            BatchDecoder b = decoder.batch();
            while (b.next()) {
                BulletView e = b.entry();
                bullets.add(new Delivered(b.epoch(), e.sequence(), e.userId(), e.timestamp(), e.content()));
            }
        } else if (decoder.type() == FrameType.JOINED) {
            JoinedDecoder j = decoder.joined();
            joined = new JoinedSnapshot(j.epoch(), j.status(), j.lastSequence(), j.nextSequence());
        } else {
            others.add(f);
        }
    }

    /** Sequences received, in order. */
    public List<Long> sequences() {
        List<Long> s = new ArrayList<>();
        for (Delivered d : bullets) {
            s.add(d.seq());
        }
        return s;
    }
}
