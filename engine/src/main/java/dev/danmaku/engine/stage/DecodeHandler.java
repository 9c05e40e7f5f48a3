package dev.danmaku.engine.stage;

import dev.danmaku.codec.BulletDecoder;
import dev.danmaku.codec.ErrorCode;
import dev.danmaku.codec.FrameDecoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.JoinDecoder;
import dev.danmaku.codec.Protocol;
import dev.danmaku.codec.RoomRequestDecoder;
import dev.danmaku.engine.ring.RingEvent;
import dev.danmaku.engine.ring.Stage;

/**
 * Stage 1: validates each inbound frame with the codec and copies its fields into the slot, so
 * later stages (maybe on other threads) read primitives, not flyweights. An invalid frame is
 * marked with the codec's error code; the fan-out stage answers it and closes the connection.
 *
 * <p>Owned by its stage thread. Allocation-free.
 */
public final class DecodeHandler implements Stage {
    private final FrameDecoder decoder = FrameDecoder.forNode();
    private final StageMetrics metrics;
    private final org.agrona.concurrent.NanoClock nanoClock;

    public DecodeHandler(StageMetrics metrics, org.agrona.concurrent.NanoClock nanoClock) {
        this.metrics = metrics;
        this.nanoClock = nanoClock;
    }

    @Override
    public void onEndOfBatch(RingEvent last) {
        metrics.decodeLatency.recordValue(StageMetrics.latency(nanoClock.nanoTime() - last.receivedNanos));
    }

    @Override
    public void onEvent(RingEvent e) {
        if (e.kind != RingEvent.KIND_FRAME) {
            return;
        }
        int status = decoder.decode(e.frame, 0, e.frameLength);
        e.type = e.frameLength >= Protocol.PREAMBLE_LENGTH ? e.frame.getByte(Protocol.TYPE_OFFSET) & 0xFF : 0;
        if (status != Protocol.OK) {
            e.reject(status, 0);
            metrics.parseErrors++;
            return;
        }
        FrameType type = decoder.type();
        switch (type) {
            case BULLET -> {
                BulletDecoder b = decoder.bullet();
                e.timestamp = b.timestamp();
                if (e.userId == 0) {
                    // Not authenticated: the frame's own user id. Authenticated: the I/O thread set the token's.
                    e.userId = b.userId();
                }
                e.roomId = b.roomId();
                e.nameOffset = b.nameOffset();
                e.nameLength = b.nameLength();
                e.contentOffset = b.contentOffset();
                e.contentLength = b.contentLength();
                e.colorOffset = b.colorOffset();
                e.colorLength = b.colorLength();
            }
            case CREATE_ROOM, CHECK_ROOM, LEAVE -> {
                RoomRequestDecoder r = decoder.roomRequest();
                e.timestamp = r.timestamp();
                if (e.userId == 0) {
                    e.userId = r.userId();
                }
                e.roomId = r.roomId();
            }
            case JOIN -> {
                JoinDecoder j = decoder.join();
                e.timestamp = j.timestamp();
                if (e.userId == 0) {
                    e.userId = j.userId();
                }
                e.roomId = j.roomId();
                e.resume = j.resume();
                e.joinEpoch = j.epoch();
                e.joinLastSequence = j.lastSequence();
                e.joinHistory = j.history();
            }
            default -> e.reject(ErrorCode.UNEXPECTED_TYPE.code(), 0);
        }
    }
}
