package dev.danmaku.engine.transport;

import dev.danmaku.codec.BatchLayout;
import dev.danmaku.codec.ErrorCode;
import dev.danmaku.codec.FrameEncoder;
import dev.danmaku.codec.FrameType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundInvoker;
import io.netty.channel.EventLoop;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;
import org.HdrHistogram.Recorder;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The fan-out stage's way out: one bounded single-producer queue per Netty event loop. The stage
 * enqueues (target, frame) pairs, and {@link #flush()} schedules at most one drain task per loop; the
 * task writes every frame with one flush per channel. A broadcast frame is encoded once and written
 * to every viewer of that loop as a retained duplicate.
 *
 * <p>ACKs take a cheaper path ({@link #beginSmall}, {@link #unicastSmall}): their bytes go into a
 * slab and the pair is (connection, slab), with the frame's place in a side ring the loop reads in
 * the same order; the loop cuts the frame.
 *
 * <p>Producer side ({@link #unicast}, {@link #unicastSmall}, {@link #broadcast}, {@link #flush}): the fan-out stage thread
 * only. Consumer side: each loop drains its own queue. When a queue is full the frame is dropped and
 * counted ({@link #dropped()}): a viewer then sees a sequence gap it can resume from, a sender
 * retries its unacknowledged bullet. A viewer whose channel is not writable skips the batch
 * ({@link #skipped()}); one that stays unwritable past the slow-viewer timeout is closed with
 * SLOW_CONSUMER ({@link #slowClosed()}).
 *
 * <p>Send-to-display latency: for a broadcast BATCH the fan-out thread looks up the receive time of
 * the batch's oldest bullet ({@link Origins}) and queues it beside the frame; the loop records
 * receive-to-flush into {@link #deliveryLatency} once per batch (its first viewer on that loop).
 */
public final class Egress {
    private final LoopQueue[] loops;
    private final ByteBufAllocator allocator;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final AtomicLong slowClosed = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    /** WebSocket frame bytes (header and payload) written to channels, every viewer counted. */
    private final AtomicLong writtenBytes = new AtomicLong();
    /** Marks "no receive time known" in {@link Origins#originNanos}. */
    public static final long NO_ORIGIN = Long.MIN_VALUE;
    /** Largest latency {@link #deliveryLatency} holds, ns (larger samples are clamped): 60 s. */
    public static final long MAX_LATENCY_NS = 60_000_000_000L;
    /**
     * Receive of a batch's oldest bullet to the flush of its first write, ns; one sample per
     * broadcast BATCH and event loop. Written by every event loop (a {@link Recorder} takes
     * concurrent writers, allocation-free at a fixed range), read by the metrics endpoint.
     */
    public final Recorder deliveryLatency = new Recorder(MAX_LATENCY_NS, 3);
    /** Fan-out thread: where a BATCH's oldest bullet's receive time comes from (null: not measured). */
    private Origins origins;

    /** Receive time of the oldest bullet of a room's batch. Fan-out thread. */
    public interface Origins {
        /** The receive time (ns) of bullet {@code firstSequence} of {@code roomId}, or {@link #NO_ORIGIN}. */
        long originNanos(long roomId, long firstSequence);
    }
    /** Largest frame {@link #beginSmall} takes: its WebSocket header is 2 bytes. */
    public static final int MAX_SMALL_FRAME = 125;
    static final int SLAB_BYTES = 16 * 1024;
    /** Fan-out thread only: the slab small frames are written to, and how much of it is used. */
    private Slab slab;
    private int slabUsed;

    public Egress(EventLoop[] eventLoops, int queueCapacity, ByteBufAllocator allocator, NanoClock clock,
                  long slowViewerTimeoutNs) {
        this.allocator = allocator;
        this.loops = new LoopQueue[eventLoops.length];
        for (int i = 0; i < eventLoops.length; i++) {
            loops[i] = new LoopQueue(eventLoops[i], queueCapacity, clock, slowViewerTimeoutNs);
        }
    }

    /** Sets where broadcast batches find their oldest bullet's receive time; before the ring starts. */
    public void origins(Origins origins) {
        this.origins = origins;
    }

    /** Allocates a buffer for a frame of at most {@code maxFrameLength} bytes, room left for the WebSocket header. */
    public ByteBuf allocate(int maxFrameLength) {
        ByteBuf buf = allocator.directBuffer(WsFraming.MAX_HEADER + maxFrameLength);
        buf.writerIndex(WsFraming.MAX_HEADER);
        buf.readerIndex(WsFraming.MAX_HEADER);
        return buf;
    }

    /**
     * Starts a small frame (at most {@value #MAX_SMALL_FRAME} bytes: ACKs) in the current slab and wraps
     * {@code view} over its payload; send it with {@link #unicastSmall}. Fan-out thread only.
     *
     * <p>Why: a pooled buffer per ACK cost about 10 % of the stage thread per bullet (the stage thread's
     * pool cache never refills, since the loops free the buffers, so every ACK took the arena path)
     * plus a buffer object. A slab is one pooled allocation for about 400 ACKs. The stage thread only
     * writes the bytes and queues (connection, slab, offset); the event loop cuts the slice it writes
     * ({@code retainedSlice}, from its own recycler, released on the same thread, so the slice objects
     * are reused instead of allocated: cut on the stage thread and released on the loop they were
     * not, 5-6 B per bullet). The slab's memory returns to the pool when its last ACK is written.
     */
    public void beginSmall(UnsafeBuffer view, int maxFrameLength) {
        if (maxFrameLength > MAX_SMALL_FRAME) {
            throw new IllegalArgumentException("not a small frame: " + maxFrameLength);
        }
        if (slab == null || SLAB_BYTES - slabUsed < 2 + maxFrameLength) {
            retireSlab();
            slab = new Slab(allocator.directBuffer(SLAB_BYTES, SLAB_BYTES));
            // One reference per frame the slab can hold, taken in one step: the fan-out thread then
            // touches the reference count twice per slab, not once per frame (the loop releases
            // concurrently; a shared counter bounced between the cores per ACK cost more than it saved).
            slab.buf.retain(Slab.MAX_FRAMES);
            slabUsed = 0;
        }
        view.wrap(slab.buf.memoryAddress() + slabUsed + 2, maxFrameLength);
    }

    /**
     * Queues the small frame begun by {@link #beginSmall} ({@code length} payload bytes were written)
     * for {@code target}. Fan-out thread.
     */
    public boolean unicastSmall(Connection target, int length) {
        int start = slabUsed;
        WsFraming.writeHeader(slab.buf, start, length);
        slabUsed = start + 2 + length;
        LoopQueue q = loops[target.loopIndex()];
        if (q.queue.remainingCapacity() < 2) {
            dropped.incrementAndGet();
            return false;
        }
        slab.frames++;
        q.smallFrames[(int) (q.smallTail++ & q.smallMask)] = ((long) start << 32) | (2 + length);
        q.queue.offer(target);
        q.queue.offer(slab);
        q.dirty = true;
        return true;
    }

    /** A slab of small frames as queued: the loop finds the frame's offset and length in its side ring. */
    static final class Slab {
        /** Most frames one slab can hold (each has a 2-byte header). */
        static final int MAX_FRAMES = SLAB_BYTES / 2;
        final ByteBuf buf;
        /** Fan-out thread: frames queued from this slab (each consumes one reserved reference). */
        int frames;

        Slab(ByteBuf buf) {
            this.buf = buf;
        }
    }

    /** Gives back the current slab's unused references and the fan-out thread's own. */
    private void retireSlab() {
        if (slab != null) {
            slab.buf.release(Slab.MAX_FRAMES - slab.frames + 1);
            slab = null;
        }
    }

    /** The current slab's buffer (tests). */
    ByteBuf slab() {
        return slab == null ? null : slab.buf;
    }

    /** Releases the slab; after the fan-out stage has stopped. */
    public void close() {
        retireSlab();
    }

    /**
     * Wraps {@code view} over the writable part of {@code buf} (as returned by {@link #allocate}) so a
     * codec encoder can write the frame at offset 0.
     */
    public static void wrapForEncode(UnsafeBuffer view, ByteBuf buf) {
        view.wrap(buf.memoryAddress() + WsFraming.MAX_HEADER, buf.capacity() - WsFraming.MAX_HEADER);
    }

    /** Finishes a frame of {@code length} bytes written through {@link #wrapForEncode}: prepends the WebSocket header. */
    public static ByteBuf seal(ByteBuf buf, int length) {
        int header = WsFraming.headerLength(length);
        int start = WsFraming.MAX_HEADER - header;
        WsFraming.writeHeader(buf, start, length);
        buf.setIndex(start, WsFraming.MAX_HEADER + length);
        return buf;
    }

    /** Queues one frame for one connection; takes ownership of {@code frame}. Fan-out thread. */
    public boolean unicast(Connection target, ByteBuf frame) {
        LoopQueue q = loops[target.loopIndex()];
        if (q.queue.remainingCapacity() < 2) {
            frame.release();
            dropped.incrementAndGet();
            return false;
        }
        q.queue.offer(target);
        q.queue.offer(frame);
        q.dirty = true;
        return true;
    }

    /** Queues a last frame for a connection and closes it once written; takes ownership of {@code frame}. */
    public boolean unicastAndClose(Connection target, ByteBuf frame) {
        LoopQueue q = loops[target.loopIndex()];
        if (q.queue.remainingCapacity() < 2) {
            frame.release();
            dropped.incrementAndGet();
            target.channel().close();
            return false;
        }
        q.queue.offer(new CloseAfterWrite(target));
        q.queue.offer(frame);
        q.dirty = true;
        return true;
    }

    /** Marks a unicast after which the connection is closed (rare: protocol errors). */
    private record CloseAfterWrite(Connection connection) {
    }

    /**
     * Queues one frame for every viewer in {@code viewers} (all on loop {@code loopIndex}); takes one
     * reference of {@code frame}. {@code viewers} must not be modified afterwards (copy-on-write).
     */
    public boolean broadcast(int loopIndex, Connection[] viewers, ByteBuf frame) {
        LoopQueue q = loops[loopIndex];
        if (q.queue.remainingCapacity() < 2) {
            frame.release();
            dropped.addAndGet(viewers.length);
            return false;
        }
        q.origins[(int) (q.originTail++ & q.smallMask)] = originOf(frame);
        q.queue.offer(viewers);
        q.queue.offer(frame);
        q.dirty = true;
        return true;
    }

    /** The receive time of a broadcast BATCH's oldest bullet, or {@link #NO_ORIGIN} (other frames, unknown). */
    private long originOf(ByteBuf frame) {
        Origins o = origins;
        // Frames from allocate(): the payload starts at MAX_HEADER whatever the header's length.
        int at = WsFraming.MAX_HEADER;
        if (o == null || frame.writerIndex() < at + BatchLayout.HEADER_LENGTH
                || frame.getUnsignedByte(at + 3) != FrameType.BATCH.code()) {
            return NO_ORIGIN;
        }
        return o.originNanos(frame.getLong(at + BatchLayout.ROOM_OFFSET), frame.getLong(at + BatchLayout.FIRST_SEQ_OFFSET));
    }

    /** Schedules a drain on every loop that got work since the last call. Fan-out thread. */
    public void flush() {
        for (LoopQueue q : loops) {
            if (q.dirty) {
                q.dirty = false;
                if (q.scheduled.compareAndSet(false, true)) {
                    q.loop.execute(q);
                }
            }
        }
    }

    public int loopCount() {
        return loops.length;
    }

    /** Frames (per target connection) dropped because a loop's queue was full. */
    public long dropped() {
        return dropped.get();
    }

    /** Batches a viewer skipped because its channel was not writable. */
    public long skipped() {
        return skipped.get();
    }

    /** Viewers closed as SLOW_CONSUMER. */
    public long slowClosed() {
        return slowClosed.get();
    }

    /** Frames written to channels (each viewer counts). */
    public long written() {
        return written.get();
    }

    /** WebSocket frame bytes written to channels (header and payload; each viewer counts). */
    public long writtenBytes() {
        return writtenBytes.get();
    }

    /** Frames queued and not yet drained, all loops. */
    public int queued() {
        int n = 0;
        for (LoopQueue q : loops) {
            n += q.queue.size() / 2;
        }
        return n;
    }

    private final class LoopQueue implements Runnable {
        final EventLoop loop;
        final OneToOneConcurrentArrayQueue<Object> queue;
        final AtomicBoolean scheduled = new AtomicBoolean();
        final NanoClock clock;
        final long slowTimeoutNs;
        final List<Connection> toFlush = new ArrayList<>();
        /** Fan-out thread only. */
        boolean dirty;
        /**
         * (offset &lt;&lt; 32 | length) of each queued small frame, in queue order: written by the fan-out
         * thread before it offers the pair (the offer publishes it), read by the loop after polling.
         * As long as the queue holds pairs, so it can never overrun.
         */
        final long[] smallFrames;
        final long smallMask;
        /** Fan-out thread only. */
        long smallTail;
        /** Loop only. */
        long smallHead;
        /**
         * Receive time of each queued broadcast's oldest bullet ({@link #NO_ORIGIN} if none), in queue
         * order; written by the fan-out thread before it offers the pair, like {@link #smallFrames}.
         */
        final long[] origins;
        /** Fan-out thread only. */
        long originTail;
        /** Loop only. */
        long originHead;
        /** Loop only: origins of the batches written in this drain, recorded after the flush. */
        final long[] drained = new long[256];

        LoopQueue(EventLoop loop, int capacity, NanoClock clock, long slowTimeoutNs) {
            this.loop = loop;
            this.queue = new OneToOneConcurrentArrayQueue<>(capacity * 2);
            this.smallFrames = new long[org.agrona.BitUtil.findNextPositivePowerOfTwo(queue.capacity())];
            this.smallMask = smallFrames.length - 1;
            this.origins = new long[smallFrames.length];
            this.clock = clock;
            this.slowTimeoutNs = slowTimeoutNs;
        }

        @Override
        public void run() {
            scheduled.set(false);
            long now = clock.nanoTime();
            long writes = 0;
            long bytes = 0;
            int timed = 0;
            // A (target, frame) pair is two offers: take only pairs the producer has completed. Polling
            // the target alone could run ahead of the frame's offer and desynchronise the queue for good.
            while (queue.size() >= 2) {
                Object target = queue.poll();
                Object polled = queue.poll();
                ByteBuf frame;
                if (polled instanceof Slab slabbed) {
                    long ref = smallFrames[(int) (smallHead++ & smallMask)];
                    frame = slabbed.buf.retainedSlice((int) (ref >>> 32), (int) ref);
                    slabbed.buf.release();
                } else {
                    frame = (ByteBuf) polled;
                }
                if (target instanceof Connection c) {
                    Channel ch = c.channel();
                    if (ch.isActive()) {
                        ChannelOutboundInvoker out = c.out();
                        bytes += frame.readableBytes();
                        out.write(frame, out.voidPromise());
                        markFlush(c);
                        writes++;
                    } else {
                        frame.release();
                    }
                } else if (target instanceof CloseAfterWrite close) {
                    Channel ch = close.connection().channel();
                    if (ch.isActive()) {
                        bytes += frame.readableBytes();
                        ch.writeAndFlush(frame).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
                        writes++;
                    } else {
                        frame.release();
                    }
                } else {
                    long origin = origins[(int) (originHead++ & smallMask)];
                    int length = frame.readableBytes();
                    for (Connection c : (Connection[]) target) {
                        Channel ch = c.channel();
                        if (!ch.isActive()) {
                            continue;
                        }
                        if (ch.isWritable()) {
                            c.slowSinceNanos = 0;
                            ChannelOutboundInvoker out = c.out();
                            out.write(frame.retainedDuplicate(), out.voidPromise());
                            markFlush(c);
                            writes++;
                            bytes += length;
                            if (origin != NO_ORIGIN) {
                                timed = timed(origin, timed);
                                origin = NO_ORIGIN; // the first write of this batch on this loop only
                            }
                        } else {
                            skipped.incrementAndGet();
                            if (c.slowSinceNanos == 0) {
                                c.slowSinceNanos = now;
                            } else if (now - c.slowSinceNanos - slowTimeoutNs > 0) {
                                closeSlow(c);
                            }
                        }
                    }
                    frame.release();
                }
            }
            for (int i = 0, n = toFlush.size(); i < n; i++) {
                Connection c = toFlush.get(i);
                c.flushPending = false;
                c.out().flush();
            }
            toFlush.clear();
            if (timed > 0) {
                long flushed = clock.nanoTime();
                for (int i = 0; i < timed; i++) {
                    deliveryLatency.recordValue(Math.min(Math.max(0, flushed - drained[i]), MAX_LATENCY_NS));
                }
            }
            written.addAndGet(writes);
            writtenBytes.addAndGet(bytes);
        }

        /** Keeps a batch's origin until the flush; records at once when the drain holds too many. */
        private int timed(long origin, int timed) {
            if (timed == drained.length) {
                deliveryLatency.recordValue(Math.min(Math.max(0, clock.nanoTime() - origin), MAX_LATENCY_NS));
                return timed;
            }
            drained[timed] = origin;
            return timed + 1;
        }

        private void markFlush(Connection c) {
            if (!c.flushPending) {
                c.flushPending = true;
                toFlush.add(c);
            }
        }

        private void closeSlow(Connection c) {
            c.slowSinceNanos = 0;
            slowClosed.incrementAndGet();
            Channel ch = c.channel();
            ByteBuf err = allocate(64 + ErrorCode.SLOW_CONSUMER.message().length());
            UnsafeBuffer view = new UnsafeBuffer(0, 0);
            wrapForEncode(view, err);
            int n = FrameEncoder.error(view, 0, ErrorCode.SLOW_CONSUMER, 0, 0, 0, 1000);
            ch.writeAndFlush(seal(err, n), ch.voidPromise());
            ch.close();
        }
    }
}
