package dev.danmaku.codec;

import org.agrona.DirectBuffer;

/**
 * Validates any frame and positions the decoder for its type: one reusable instance of every
 * per-type decoder, chosen by the type byte. The node's decode stage, the client and the fuzz
 * targets use it; code that expects one type can use that type's decoder directly.
 *
 * <p>Owned by one thread. Allocation-free after construction (a BATCH's inflate buffer grows
 * only for a larger batch). Holds native memory through its {@link BatchDecoder}: close it.
 */
public final class FrameDecoder implements AutoCloseable {
    private final int maxFrameLength;
    private final BulletDecoder bullet = new BulletDecoder();
    private final RoomRequestDecoder roomRequest = new RoomRequestDecoder();
    private final JoinDecoder join = new JoinDecoder();
    private final AuthDecoder auth = new AuthDecoder();
    private final AckDecoder ack = new AckDecoder();
    private final ErrorDecoder error = new ErrorDecoder();
    private final BatchDecoder batch;
    private final RedirectDecoder redirect = new RedirectDecoder();
    private final RoomInfoDecoder roomInfo = new RoomInfoDecoder();
    private final RankingDecoder ranking = new RankingDecoder();
    private final JoinedDecoder joined = new JoinedDecoder();
    private final AuthOkDecoder authOk = new AuthOkDecoder();
    private FrameType type;

    /** A decoder for frames a node sends (clients use this): any type, up to the server frame limit. */
    public static FrameDecoder forClient() {
        return new FrameDecoder(Protocol.MAX_SERVER_FRAME_LENGTH, new BatchDecoder());
    }

    /** A decoder for frames a client sends (nodes use this): up to the client frame limit. */
    public static FrameDecoder forNode() {
        return new FrameDecoder(Protocol.MAX_CLIENT_FRAME_LENGTH, new BatchDecoder());
    }

    /**
     * @param maxFrameLength largest frame accepted, bytes
     * @param batch          the batch decoder to use (its dictionary and inflate limit)
     */
    public FrameDecoder(int maxFrameLength, BatchDecoder batch) {
        this.maxFrameLength = maxFrameLength;
        this.batch = batch;
    }

    /**
     * Validates the frame; on {@link Protocol#OK} {@link #type()} and the matching accessor are set.
     *
     * @return {@link Protocol#OK} or an {@link ErrorCode#code()}
     */
    public int decode(DirectBuffer buffer, int offset, int length) {
        type = null;
        int t = Frames.checkPreamble(buffer, offset, length, maxFrameLength);
        if (t < 0) {
            return -t;
        }
        FrameType ft = FrameType.of(t);
        int status = switch (ft) {
            case BULLET -> bullet.wrap(buffer, offset, length);
            case HEARTBEAT, CREATE_ROOM, CHECK_ROOM, LEAVE -> roomRequest.wrap(buffer, offset, length);
            case JOIN -> join.wrap(buffer, offset, length);
            case AUTH -> auth.wrap(buffer, offset, length);
            case ACK -> ack.wrap(buffer, offset, length);
            case ERROR -> error.wrap(buffer, offset, length);
            case BATCH -> batch.wrap(buffer, offset, length);
            case REDIRECT -> redirect.wrap(buffer, offset, length);
            case ROOM_INFO -> roomInfo.wrap(buffer, offset, length);
            case RANKING -> ranking.wrap(buffer, offset, length);
            case JOINED -> joined.wrap(buffer, offset, length);
            case AUTH_OK -> authOk.wrap(buffer, offset, length);
        };
        if (status == Protocol.OK) {
            type = ft;
        }
        return status;
    }

    /** Type of the last successfully decoded frame, or null after an error. */
    public FrameType type() {
        return type;
    }

    public BulletDecoder bullet() {
        return bullet;
    }

    public RoomRequestDecoder roomRequest() {
        return roomRequest;
    }

    public JoinDecoder join() {
        return join;
    }

    public AuthDecoder auth() {
        return auth;
    }

    public AckDecoder ack() {
        return ack;
    }

    public ErrorDecoder error() {
        return error;
    }

    public BatchDecoder batch() {
        return batch;
    }

    public RedirectDecoder redirect() {
        return redirect;
    }

    public RoomInfoDecoder roomInfo() {
        return roomInfo;
    }

    public RankingDecoder ranking() {
        return ranking;
    }

    public JoinedDecoder joined() {
        return joined;
    }

    public AuthOkDecoder authOk() {
        return authOk;
    }

    @Override
    public void close() {
        batch.close();
    }
}
