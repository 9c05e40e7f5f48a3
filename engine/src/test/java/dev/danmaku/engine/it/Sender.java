package dev.danmaku.engine.it;

import dev.danmaku.codec.AckDecoder;
import dev.danmaku.codec.ErrorDecoder;
import dev.danmaku.codec.FrameDecoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.Protocol;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

/**
 * A sender for integration tests, run on its own thread: keeps up to {@code window} bullets
 * unacknowledged, each with a distinct timestamp, and records what it sent and every answer (ACK
 * or ERROR) by timestamp. It stops when {@link #stop()} is called, after {@code max} bullets, or when
 * the connection fails (a killed node); answers already received are still recorded.
 *
 * <p>The maps may be read from any thread; {@link #outstanding()} is approximate while it runs.
 */
public final class Sender implements Runnable {
    /** An ACK as received: epoch, sequence, and whether it carried the RETRY flag. */
    public record Ack(long epoch, long seq, boolean retry) {
    }

    private final WsTestClient client;
    private final long room;
    private final long user;
    private final int window;
    private final long max;
    private final LongFunction<String> content;
    private final FrameDecoder decoder = FrameDecoder.forClient();
    /** timestamp -> content, for every bullet handed to the socket (or attempted). */
    public final Map<Long, String> sent = new ConcurrentHashMap<>();
    public final Map<Long, Ack> acks = new ConcurrentHashMap<>();
    /** timestamp -> error code. */
    public final Map<Long, Integer> errors = new ConcurrentHashMap<>();
    private volatile boolean stop;
    private volatile boolean done;
    private volatile Throwable failure;
    private volatile int outstanding;
    private final Thread thread;

    /**
     * @param content the content of the n-th bullet (n from 0); must make (user, content) unique
     *                within the node's duplicate window
     */
    public Sender(WsTestClient client, long room, long user, int window, long max, LongFunction<String> content) {
        this.client = client;
        this.room = room;
        this.user = user;
        this.window = window;
        this.max = max;
        this.content = content;
        this.thread = new Thread(this, "sender-" + user);
        this.thread.setDaemon(true);
    }

    public Sender start() {
        thread.start();
        return this;
    }

    public long user() {
        return user;
    }

    public WsTestClient client() {
        return client;
    }

    @Override
    public void run() {
        long n = 0;
        try {
            while (!stop && n < max && !client.closed().isDone()) {
                if (outstanding < window) {
                    long ts = client.nextTimestamp();
                    String c = content.apply(n++);
                    sent.put(ts, c);
                    outstanding++;
                    client.bullet(ts, room, user, "u" + user, c, "");
                }
                byte[] f = client.poll(outstanding < window ? 0 : 20);
                while (f != null) {
                    take(f);
                    f = client.poll(0);
                }
            }
            // Collect the answers to what is still in flight.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(stop ? 1 : 10);
            while (outstanding > 0 && System.nanoTime() - deadline < 0 && !client.closed().isDone()) {
                byte[] f = client.poll(20);
                if (f != null) {
                    take(f);
                }
            }
        } catch (Throwable t) {
            if (!stop) {
                failure = t;
            }
        } finally {
            // Whatever arrived before the connection died still counts.
            byte[] f;
            try {
                while ((f = client.poll(50)) != null) {
                    take(f);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            done = true;
        }
    }

    private void take(byte[] f) {
        int status = decoder.decode(new UnsafeBuffer(f), 0, f.length);
        if (status != Protocol.OK) {
            throw new AssertionError("node sent an invalid frame: " + status);
        }
        if (decoder.type() == FrameType.ACK) {
            AckDecoder a = decoder.ack();
            if (a.roomId() == room && acks.putIfAbsent(a.timestamp(), new Ack(a.epoch(), a.sequence(), a.retry())) == null) {
                outstanding--;
            }
        } else if (decoder.type() == FrameType.ERROR) {
            ErrorDecoder e = decoder.error();
            if (e.refType() == FrameType.BULLET.code()) {
                errors.put(e.refTimestamp(), e.code());
                outstanding--;
            }
        }
    }

    /** Asks the thread to stop sending (it still collects answers briefly). */
    public void stop() {
        stop = true;
    }

    /** Waits for the thread; rethrows its failure, if any (a lost connection after {@link #stop()} is not one). */
    public void join(long timeoutMs) throws InterruptedException {
        thread.join(timeoutMs);
        if (thread.isAlive()) {
            throw new AssertionError(thread.getName() + " did not finish within " + timeoutMs + " ms");
        }
    }

    /** The thread's failure (e.g. the connection broke), or null. */
    public Throwable failure() {
        return failure;
    }

    public boolean done() {
        return done;
    }

    public int outstanding() {
        return outstanding;
    }
}
