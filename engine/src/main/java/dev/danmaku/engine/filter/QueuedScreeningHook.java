package dev.danmaku.engine.filter;

import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link ScreeningHook} that runs a {@link Classifier} on its own thread. Three threads touch it:
 * the admit stage ({@link #submit}, {@link #pollVerdicts}; the single producer of submissions and
 * single consumer of verdicts), the screening thread (started by {@link #start()}; the single
 * consumer of submissions and single producer of verdicts), and whoever calls {@link #close()}.
 *
 * <p>Both queues are Agrona {@link OneToOneRingBuffer}s of fixed size in direct memory. Content
 * is copied into the submission ring, so the caller's buffer is free when {@code submit} returns.
 * <pre>
 * submission record (msg type 1)             verdict record (msg type 2), 36 bytes
 * 0       8        16       24               0       8        16       24              32      36
 * +-------+--------+--------+-------------+  +-------+--------+--------+---------------+-------+
 * | ref   | roomId | userId | content ... |  | ref   | roomId | userId | banDurationMs | action|
 * +-------+--------+--------+-------------+  +-------+--------+--------+---------------+-------+
 * </pre>
 *
 * <p><b>Full submission queue: the bullet passes unscreened.</b> {@code submit} returns false and
 * counts it in {@link #passedUnscreenedCount()}; the ring is never held back by a slow classifier.
 * Screening is a second line after the synchronous filters, and a backlog means the classifier
 * cannot keep up anyway; the counter (exported as a metric) is how operators see it. Content longer
 * than {@code maxContentBytes} is passed and counted the same way.
 *
 * <p><b>Full verdict queue:</b> the screening thread waits (backing off) until the admit stage
 * drains it, because a verdict such as a ban is worth more than throughput of screening; while it
 * waits, submissions fill up and pass unscreened. Verdicts still queued or pending at
 * {@link #close()} are dropped and counted.
 *
 * <p>Classifier failures (exceptions) are counted, the last one kept for logs, and the thread goes on.
 */
public final class QueuedScreeningHook implements ScreeningHook, AutoCloseable {
    private static final int SUBMISSION = 1;
    private static final int VERDICT = 2;
    private static final int REF = 0;
    private static final int ROOM = 8;
    private static final int USER = 16;
    private static final int CONTENT = 24;
    private static final int BAN_DURATION = 24;
    private static final int ACTION = 32;
    private static final int VERDICT_LENGTH = 36;

    private final Classifier classifier;
    private final int maxContentBytes;
    private final RingBuffer submissions;
    private final RingBuffer verdicts;

    // Screening thread state.
    private final ScreeningVerdict verdict = new ScreeningVerdict();
    private final UnsafeBuffer verdictScratch = new UnsafeBuffer(new byte[VERDICT_LENGTH]);
    private final IdleStrategy idle = new BackoffIdleStrategy(100, 10, TimeUnit.MICROSECONDS.toNanos(1),
        TimeUnit.MILLISECONDS.toNanos(1));
    private final MessageHandler onSubmission = this::onSubmission;

    // Admit stage state.
    private final MessageHandler onVerdict = this::onVerdict;
    private VerdictHandler verdictHandler;

    private final AtomicLong submitted = new AtomicLong();
    private final AtomicLong passedUnscreened = new AtomicLong();
    private final AtomicLong screened = new AtomicLong();
    private final AtomicLong classifierFailures = new AtomicLong();
    private final AtomicLong verdictsPublished = new AtomicLong();
    private final AtomicLong verdictsDropped = new AtomicLong();
    private volatile Throwable lastClassifierFailure;

    private volatile boolean running;
    private Thread thread;

    /**
     * @param classifier          the classifier, run on the screening thread
     * @param submitCapacityBytes submission ring size, bytes, a power of two; holds about
     *                            {@code capacity / (32 + 8 + len)} bullets
     * @param verdictCapacityBytes verdict ring size, bytes, a power of two
     * @param maxContentBytes     longest content screened; longer content passes unscreened
     */
    public QueuedScreeningHook(
        final Classifier classifier,
        final int submitCapacityBytes,
        final int verdictCapacityBytes,
        final int maxContentBytes) {
        this.classifier = classifier;
        this.maxContentBytes = maxContentBytes;
        this.submissions = ring(submitCapacityBytes);
        this.verdicts = ring(verdictCapacityBytes);
        if (submissions.maxMsgLength() < CONTENT + maxContentBytes || verdicts.maxMsgLength() < VERDICT_LENGTH) {
            throw new IllegalArgumentException("queues too small: a submission of " + (CONTENT + maxContentBytes)
                + " bytes needs submitCapacityBytes >= " + BitUtil.findNextPositivePowerOfTwo(8 * (CONTENT + maxContentBytes)));
        }
    }

    /**
     * Starts the screening thread (a daemon named {@code screening}). Call once.
     *
     * @return this
     */
    public synchronized QueuedScreeningHook start() {
        if (thread != null) {
            throw new IllegalStateException("already started");
        }
        running = true;
        thread = new Thread(this::run, "screening");
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    /** {@inheritDoc} Admit stage thread; never blocks; allocation-free. */
    @Override
    public boolean submit(final long ref, final long roomId, final long userId, final DirectBuffer content,
        final int off, final int len) {
        if (len > maxContentBytes) {
            passedUnscreened.setRelease(passedUnscreened.getPlain() + 1);
            return false;
        }
        final int index = submissions.tryClaim(SUBMISSION, CONTENT + len);
        if (index < 0) {
            passedUnscreened.setRelease(passedUnscreened.getPlain() + 1);
            return false;
        }
        final AtomicBuffer buffer = submissions.buffer();
        buffer.putLong(index + REF, ref);
        buffer.putLong(index + ROOM, roomId);
        buffer.putLong(index + USER, userId);
        buffer.putBytes(index + CONTENT, content, off, len);
        submissions.commit(index);
        submitted.setRelease(submitted.getPlain() + 1);
        return true;
    }

    /**
     * Delivers queued verdicts. Admit stage thread, once per batch; allocation-free.
     *
     * @param handler receives each verdict
     * @param limit   most verdicts to deliver in this call
     * @return verdicts delivered
     */
    public int pollVerdicts(final VerdictHandler handler, final int limit) {
        verdictHandler = handler;
        try {
            return verdicts.read(onVerdict, limit);
        } finally {
            verdictHandler = null;
        }
    }

    /**
     * Stops the screening thread: interrupts a blocked classifier and waits up to 5 s for the thread.
     * Submissions still queued are never screened.
     */
    @Override
    public void close() {
        final Thread t;
        synchronized (this) {
            running = false;
            t = thread;
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (final InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** @return bullets queued for screening */
    public long submittedCount() {
        return submitted.get();
    }

    /** @return bullets passed unscreened because the queue was full or the content too large */
    public long passedUnscreenedCount() {
        return passedUnscreened.get();
    }

    /** @return bullets the classifier finished (with or without a verdict, failures excluded) */
    public long screenedCount() {
        return screened.get();
    }

    /** @return classifier calls that threw */
    public long classifierFailureCount() {
        return classifierFailures.get();
    }

    /** @return verdicts put on the verdict queue */
    public long verdictsPublishedCount() {
        return verdictsPublished.get();
    }

    /** @return verdicts lost because the hook was closed while the verdict queue was full */
    public long verdictsDroppedCount() {
        return verdictsDropped.get();
    }

    /** @return the most recent classifier failure, or null */
    public Throwable lastClassifierFailure() {
        return lastClassifierFailure;
    }

    private void run() {
        while (running) {
            idle.idle(submissions.read(onSubmission, 1));
        }
    }

    private void onSubmission(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length) {
        final long ref = buffer.getLong(index + REF);
        final long roomId = buffer.getLong(index + ROOM);
        final long userId = buffer.getLong(index + USER);
        verdict.reset();
        try {
            classifier.classify(roomId, userId, buffer, index + CONTENT, length - CONTENT, verdict);
        } catch (final Throwable ex) {
            lastClassifierFailure = ex;
            classifierFailures.setRelease(classifierFailures.getPlain() + 1);
            if (ex instanceof InterruptedException && running) {
                Thread.interrupted();
            }
            return;
        }
        screened.setRelease(screened.getPlain() + 1);
        if (verdict.action() == ScreeningVerdict.NONE) {
            return;
        }
        verdictScratch.putLong(REF, ref);
        verdictScratch.putLong(ROOM, roomId);
        verdictScratch.putLong(USER, userId);
        verdictScratch.putLong(BAN_DURATION, verdict.banDurationMs());
        verdictScratch.putInt(ACTION, verdict.action());
        while (!verdicts.write(VERDICT, verdictScratch, 0, VERDICT_LENGTH)) {
            if (!running) {
                verdictsDropped.setRelease(verdictsDropped.getPlain() + 1);
                return;
            }
            idle.idle();
        }
        idle.reset();
        verdictsPublished.setRelease(verdictsPublished.getPlain() + 1);
    }

    private void onVerdict(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length) {
        verdictHandler.onVerdict(
            buffer.getLong(index + REF),
            buffer.getLong(index + ROOM),
            buffer.getLong(index + USER),
            buffer.getInt(index + ACTION),
            buffer.getLong(index + BAN_DURATION));
    }

    private static RingBuffer ring(final int capacityBytes) {
        if (!BitUtil.isPowerOfTwo(capacityBytes)) {
            throw new IllegalArgumentException("ring capacity must be a power of two: " + capacityBytes);
        }
        return new OneToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(capacityBytes + RingBufferDescriptor.TRAILER_LENGTH)));
    }
}
