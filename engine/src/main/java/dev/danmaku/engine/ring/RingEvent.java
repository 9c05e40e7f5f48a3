package dev.danmaku.engine.ring;

import dev.danmaku.engine.transport.Connection;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One preallocated ring slot, reset in place for every use. A Netty I/O thread (or the ticker, or
 * the shutdown hook) fills the input fields and publishes; each stage then reads what earlier
 * stages wrote and adds its own results. The Disruptor's sequence barriers order those writes, so
 * no field needs to be volatile.
 *
 * <p>Input: {@link #kind}, {@link #connection}, {@link #frame} bytes, {@link #receivedNanos}.
 * Decode stage: {@link #type}, {@link #status} and the decoded fields. Admit stage: may set
 * {@link #status} to a reject code and mask content. Journal stage: {@link #epoch}, {@link #sequence},
 * {@link #retry}, room outcomes. Fan-out stage: replies and delivery.
 */
public final class RingEvent {
    /** An inbound frame from {@link #connection}. */
    public static final int KIND_FRAME = 1;
    /** A clock tick: seal batches that waited their interval, push rankings. */
    public static final int KIND_TICK = 2;
    /** {@link #connection} closed: drop it from every room. */
    public static final int KIND_DISCONNECT = 3;
    /** Seal every pending batch now (graceful shutdown). */
    public static final int KIND_FLUSH = 4;
    /** Cluster mode: a new {@code cluster.Ownership} in {@link #payload} (a map change). */
    public static final int KIND_CLUSTER = 5;
    /** Cluster mode: hand {@link #roomId} over to its new owner now (the journal stage decides if it still must). */
    public static final int KIND_RELEASE = 6;
    /** Cluster mode: install the room handed over in {@link #payload} (a {@code cluster.HandoffDocument}). */
    public static final int KIND_INSTALL = 7;

    /** Largest frame a slot holds: every valid client frame except AUTH, which never enters the ring. */
    public static final int SLOT_BYTES = 1024;

    public int kind;
    public Connection connection;
    public long receivedNanos;
    public final UnsafeBuffer frame = new UnsafeBuffer(new byte[SLOT_BYTES]);
    public int frameLength;

    /** Frame type code after decode; 0 when not a frame. */
    public int type;
    /** {@code Protocol.OK} or the error code any stage rejected the event with. */
    public int status;
    /** Retry-after hint for a reject, ms. */
    public long retryAfterMs;

    public long timestamp;
    public long userId;
    public int userLevel;
    public long roomId;
    public int nameOffset;
    public int nameLength;
    public int contentOffset;
    public int contentLength;
    public int colorOffset;
    public int colorLength;

    /** JOIN fields. */
    public boolean resume;
    public long joinEpoch;
    public long joinLastSequence;
    public int joinHistory;

    /** Journal results. */
    public long epoch;
    public long sequence;
    public boolean retry;
    /** CREATE_ROOM made a new room. */
    public boolean created;
    /** Node clock when the journal stage accepted the bullet, ms. */
    public long acceptedAtMs;
    /** Journal document that holds this record (set at commit), or -1. */
    public long journalIndex;
    /**
     * Journal stage, cluster mode: the request's room is owned elsewhere; answer REDIRECT to this
     * WebSocket URL (KIND_FRAME), or send MOVED to this URL to the room's viewers (KIND_RELEASE).
     */
    public String redirectAddress;
    /** Cluster events: what they carry (see the kinds). */
    public Object payload;

    /** Journal stage: the duplicate filter's key, computed by its prefetch pass (valid if {@link #keyed}). */
    public long dedupKey;
    public boolean keyed;

    /** Clears every field a stage may read, before the slot is filled again. */
    public void reset(int kind, Connection connection, long receivedNanos) {
        this.kind = kind;
        this.connection = connection;
        this.receivedNanos = receivedNanos;
        frameLength = 0;
        type = 0;
        status = 0;
        retryAfterMs = 0;
        timestamp = 0;
        userId = 0;
        userLevel = 0;
        roomId = 0;
        nameOffset = nameLength = contentOffset = contentLength = colorOffset = colorLength = 0;
        resume = false;
        joinEpoch = joinLastSequence = 0;
        joinHistory = 0;
        epoch = sequence = 0;
        retry = false;
        created = false;
        acceptedAtMs = 0;
        journalIndex = -1;
        dedupKey = 0;
        keyed = false;
        redirectAddress = null;
        payload = null;
    }

    /** Marks the event rejected with {@code code} (the first reject wins). */
    public void reject(int code, long retryAfterMs) {
        if (status == 0) {
            status = code;
            this.retryAfterMs = retryAfterMs;
        }
    }
}
