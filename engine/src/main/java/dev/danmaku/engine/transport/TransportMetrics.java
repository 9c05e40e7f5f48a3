package dev.danmaku.engine.transport;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Connection-level counters, updated by Netty I/O threads (hence adders), read by the metrics endpoint. */
public final class TransportMetrics {
    public final AtomicLong open = new AtomicLong();
    public final LongAdder accepted = new LongAdder();
    public final LongAdder refusedPerAddress = new LongAdder();
    public final LongAdder refusedOrigin = new LongAdder();
    public final LongAdder handshakeTimeouts = new LongAdder();
    public final LongAdder idleTimeouts = new LongAdder();
    public final LongAdder busy = new LongAdder();
    public final LongAdder framesIn = new LongAdder();
    /** WebSocket frame bytes received (header with the client's mask, and payload) of data frames. */
    public final LongAdder receivedBytes = new LongAdder();
    public final LongAdder oversized = new LongAdder();
    public final LongAdder authOk = new LongAdder();
    public final LongAdder authFailed = new LongAdder();
    public final LongAdder unauthenticated = new LongAdder();
}
