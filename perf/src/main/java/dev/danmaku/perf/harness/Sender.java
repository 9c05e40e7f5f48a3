package dev.danmaku.perf.harness;

import dev.danmaku.codec.FrameEncoder;
import dev.danmaku.perf.harness.Stats.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;

/**
 * One sending user: bullets i with {@code i mod senders == index}, each written when its intended
 * time (the fixed schedule: start + i / rate) has come, with that intended time as its timestamp.
 * It holds one connection per node (a bullet goes to its room's node). Driven by the 1 ms tick of
 * one event loop; never touched by another thread. Allocation: one pooled buffer per bullet.
 */
final class Sender {
    private static final int CONTENT_AT = 1024;
    private static final int NAME_AT = 1900;

    final int index;
    final long userId;
    final Peer[] byNode;
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[2048]);
    private final int nameLength;
    private final int colorLength;
    private long next;
    private long lastTimestamp;

    Sender(int index, long userId, Peer[] byNode) {
        this.index = index;
        this.userId = userId;
        this.byNode = byNode;
        this.next = index;
        byte[] name = ("perf-" + index).getBytes(StandardCharsets.UTF_8);
        byte[] color = "#FFFFFF".getBytes(StandardCharsets.UTF_8);
        scratch.putBytes(NAME_AT, name);
        scratch.putBytes(NAME_AT + name.length, color);
        nameLength = name.length;
        colorLength = color.length;
    }

    /** Writes every bullet due at {@code nowNanos}; returns how many were written. */
    int sendDue(LoadRun.Schedule s, long nowNanos) {
        int written = 0;
        Channel last = null;
        while (next < s.total && s.intendedNanos(next) <= nowNanos) {
            long i = next;
            next += s.senders;
            s.stats.increment(Counter.OFFERED);
            int room = s.scenario.roomOf(i);
            Channel ch = byNode[room % byNode.length].channel;
            if (ch == null || !ch.isActive() || !ch.isWritable()) {
                s.stats.increment(Counter.UNSENT); // counted, never silent: a dropped offer fails saturate
                continue;
            }
            long ts = s.intendedEpochMs(i);
            if (ts <= lastTimestamp) {
                ts = lastTimestamp + 1; // protocol: a sender's timestamps are distinct (its idempotency key)
            }
            lastTimestamp = ts;
            int contentLength = s.mix.write(scratch, CONTENT_AT, i);
            int n = FrameEncoder.bullet(scratch, 0, ts, userId, s.scenario.roomId(room), scratch, NAME_AT, nameLength,
                    CONTENT_AT, contentLength, NAME_AT + nameLength, colorLength);
            ByteBuf out = ch.alloc().buffer(n);
            out.writeBytes(scratch.byteArray(), 0, n);
            ch.write(new BinaryWebSocketFrame(out), ch.voidPromise());
            s.stats.increment(Counter.SENT);
            written++;
            if (last != null && last != ch) {
                last.flush();
            }
            last = ch;
        }
        if (last != null) {
            last.flush();
        }
        return written;
    }

    boolean done(LoadRun.Schedule s) {
        return next >= s.total;
    }
}
