package dev.danmaku.engine.stage;

import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.Protocol;
import dev.danmaku.engine.ring.RingEvent;
import dev.danmaku.engine.ring.Stage;
import dev.danmaku.engine.room.Room;
import dev.danmaku.engine.transport.Egress;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * The fan-out stage as the ring runs it: {@link FanoutHandler} plus the bookkeeping behind the
 * send-to-display latency ({@code danmaku_delivery_latency_seconds}). Owned by the fan-out stage
 * thread, like the rooms it reads.
 *
 * <p>After the fan-out stage handled an accepted bullet, the room's oldest pending bullet is known
 * ({@code sealed + 1}); the first time it is seen, its frame's receive time is kept in the room
 * ({@link Room#originNanos}). When the room's batch is broadcast, {@link Egress} asks
 * {@link #originNanos(long, long)} for the batch's first sequence and the event loop records
 * receive-to-flush once per batch and loop. So the sample is the oldest (slowest) bullet of each
 * batch: batching delay, ring wait and every stage included.
 *
 * <p>A room whose first pending bullet came from recovery or a handover (not through the ring)
 * takes the receive time of the next event that finds it pending: that batch's sample is low.
 * Allocation-free: two field stores per batch, one map lookup per broadcast.
 */
public final class DeliveryTimingHandler implements Stage, Egress.Origins {
    private final FanoutHandler fanout;
    private final Long2ObjectHashMap<Room> rooms;

    public DeliveryTimingHandler(FanoutHandler fanout) {
        this.fanout = fanout;
        this.rooms = fanout.rooms();
    }

    /** The fan-out stage this wraps. */
    public FanoutHandler fanout() {
        return fanout;
    }

    @Override
    public void prefetch(RingEvent[] events, int count) {
        fanout.prefetch(events, count);
    }

    @Override
    public void onEvent(RingEvent e) {
        fanout.onEvent(e);
        if (e.kind == RingEvent.KIND_FRAME && e.type == FrameType.BULLET.code() && e.status == Protocol.OK) {
            Room room = rooms.get(e.roomId);
            if (room != null && room.pendingCount() > 0) {
                long first = room.sealedSequence() + 1;
                if (room.originSequence != first) {
                    room.originSequence = first;
                    room.originNanos = e.receivedNanos;
                }
            }
        }
    }

    @Override
    public void onEndOfBatch(RingEvent last) {
        fanout.onEndOfBatch(last);
    }

    /** Fan-out thread (called from {@link Egress#broadcast}). */
    @Override
    public long originNanos(long roomId, long firstSequence) {
        Room room = rooms.get(roomId);
        return room != null && room.originSequence == firstSequence ? room.originNanos : Egress.NO_ORIGIN;
    }
}
