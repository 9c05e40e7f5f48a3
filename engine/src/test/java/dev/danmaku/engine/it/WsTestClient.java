package dev.danmaku.engine.it;

import dev.danmaku.codec.FrameDecoder;
import dev.danmaku.codec.FrameEncoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.Protocol;
import org.agrona.concurrent.UnsafeBuffer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A raw protocol client for tests (the JDK's WebSocket client): sends any bytes, including invalid
 * frames, and queues every binary message received. Not a product client (that is
 * tools' DanmakuClient): no reconnect, no resume, no timestamps of its own.
 */
public final class WsTestClient implements AutoCloseable {
    private final WebSocket ws;
    private final BlockingQueue<byte[]> frames = new LinkedBlockingQueue<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[Protocol.MAX_CLIENT_FRAME_LENGTH]);
    private final AtomicLong clock = new AtomicLong(System.currentTimeMillis());
    private final boolean reading;

    private WsTestClient(WebSocket ws, boolean reading) {
        this.ws = ws;
        this.reading = reading;
    }

    /** Connects; {@code reading = false} never requests messages (a viewer that stops reading). */
    public static WsTestClient connect(URI uri, boolean reading) throws Exception {
        Holder h = new Holder();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(uri, h).get(10, TimeUnit.SECONDS);
        WsTestClient c = new WsTestClient(ws, reading);
        h.client = c;
        if (reading) {
            ws.request(Long.MAX_VALUE);
        }
        return c;
    }

    public static WsTestClient connect(int port) throws Exception {
        return connect(URI.create("ws://127.0.0.1:" + port + "/ws"), true);
    }

    private static final class Holder implements WebSocket.Listener {
        WsTestClient client;
        private ByteBuffer partial;

        @Override
        public void onOpen(WebSocket webSocket) {
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            ByteBuffer all = data;
            if (partial != null) {
                ByteBuffer joined = ByteBuffer.allocate(partial.remaining() + data.remaining());
                joined.put(partial).put(data).flip();
                all = joined;
                partial = null;
            }
            if (!last) {
                partial = ByteBuffer.allocate(all.remaining()).put(all).flip();
                return null;
            }
            byte[] bytes = new byte[all.remaining()];
            all.get(bytes);
            client.frames.add(bytes);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            client.closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            client.closed.complete(-1);
        }
    }

    /** A strictly increasing timestamp near now (distinct per bullet, as the protocol asks). */
    public long nextTimestamp() {
        return clock.updateAndGet(t -> Math.max(t + 1, System.currentTimeMillis()));
    }

    public void send(byte[] frame) throws Exception {
        ws.sendBinary(ByteBuffer.wrap(frame), true).get(5, TimeUnit.SECONDS);
    }

    public void sendText(String text) throws Exception {
        ws.sendText(text, true).get(5, TimeUnit.SECONDS);
    }

    private byte[] copy(int n) {
        byte[] b = new byte[n];
        scratch.getBytes(0, b);
        return b;
    }

    public synchronized long bullet(long room, long user, String name, String content, String color) throws Exception {
        long ts = nextTimestamp();
        bullet(ts, room, user, name, content, color);
        return ts;
    }

    public synchronized void bullet(long ts, long room, long user, String name, String content, String color)
            throws Exception {
        send(copy(FrameEncoder.bullet(scratch, 0, ts, user, room, name, content, color)));
    }

    public synchronized void roomRequest(FrameType type, long room, long user) throws Exception {
        send(copy(FrameEncoder.roomRequest(scratch, 0, type, nextTimestamp(), user, room)));
    }

    public synchronized void join(long room, int history) throws Exception {
        send(copy(FrameEncoder.join(scratch, 0, nextTimestamp(), 0, room, 0, 0, 0, history)));
    }

    public synchronized void resume(long room, long epoch, long lastSeq) throws Exception {
        send(copy(FrameEncoder.join(scratch, 0, nextTimestamp(), 0, room, 1, epoch, lastSeq, 0)));
    }

    public synchronized void auth(String token) throws Exception {
        send(copy(FrameEncoder.auth(scratch, 0, nextTimestamp(), token)));
    }

    /** The next frame received, or null after the timeout. */
    public byte[] poll(long timeoutMs) throws InterruptedException {
        return frames.poll(timeoutMs, TimeUnit.MILLISECONDS);
    }

    /** Waits for the next frame of {@code type} (skipping others, e.g. RANKING), decoded into {@code d}. */
    public byte[] await(FrameType type, FrameDecoder d, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            byte[] f = left <= 0 ? null : frames.poll(left, TimeUnit.MILLISECONDS);
            if (f == null) {
                throw new AssertionError("no " + type + " within " + timeoutMs + " ms");
            }
            int status = d.decode(new UnsafeBuffer(f), 0, f.length);
            if (status != Protocol.OK) {
                throw new AssertionError("node sent an invalid frame: code " + status);
            }
            if (d.type() == type) {
                return f;
            }
        }
    }

    /** Frames queued and not yet taken. */
    public int pending() {
        return frames.size();
    }

    /** Completes with the close status (or -1 on error) when the node closes the connection. */
    public CompletableFuture<Integer> closed() {
        return closed;
    }

    @Override
    public void close() {
        ws.abort();
    }
}
