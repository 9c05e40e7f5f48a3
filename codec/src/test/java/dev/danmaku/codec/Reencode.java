package dev.danmaku.codec;

import org.agrona.concurrent.UnsafeBuffer;

/** Test helper: writes a decoded frame back with the encoders, field by field. */
final class Reencode {
    private Reencode() {
    }

    static byte[] frame(FrameDecoder d) {
        UnsafeBuffer out = new UnsafeBuffer(new byte[Protocol.MAX_SERVER_FRAME_LENGTH]);
        int n = switch (d.type()) {
            case BULLET -> {
                BulletDecoder b = d.bullet();
                yield FrameEncoder.bullet(out, 0, b.timestamp(), b.userId(), b.roomId(), b.buffer(), b.nameOffset(),
                        b.nameLength(), b.contentOffset(), b.contentLength(), b.colorOffset(), b.colorLength());
            }
            case HEARTBEAT, CREATE_ROOM, CHECK_ROOM, LEAVE -> FrameEncoder.roomRequest(out, 0, d.type(),
                    d.roomRequest().timestamp(), d.roomRequest().userId(), d.roomRequest().roomId());
            case JOIN -> {
                JoinDecoder j = d.join();
                yield FrameEncoder.join(out, 0, j.timestamp(), j.userId(), j.roomId(), j.flags(), j.epoch(),
                        j.lastSequence(), j.history());
            }
            case AUTH -> FrameEncoder.auth(out, 0, d.auth().timestamp(), d.auth().token());
            case ACK -> {
                AckDecoder a = d.ack();
                yield FrameEncoder.ack(out, 0, a.timestamp(), a.roomId(), a.epoch(), a.sequence(), a.flags());
            }
            case ERROR -> {
                ErrorDecoder e = d.error();
                yield FrameEncoder.error(out, 0, e.code(), e.refType(), e.refTimestamp(), e.roomId(),
                        e.retryAfterMs(), e.reason());
            }
            case BATCH -> {
                BatchDecoder b = d.batch();
                boolean dict = (b.flags() & BatchLayout.FLAG_DICTIONARY) != 0;
                try (BatchEncoder e = new BatchEncoder(b.compressed() ? 0 : Integer.MAX_VALUE,
                        BatchEncoder.DEFAULT_LEVEL, dict ? ProtocolDictionary.bytes() : null,
                        Protocol.MAX_BATCH_RAW_LENGTH, Protocol.MAX_BATCH_COUNT)) {
                    e.reset(b.roomId(), b.epoch(), b.firstSequence());
                    while (b.next()) {
                        if (!e.add(b.entry())) {
                            throw new AssertionError("batch overflow");
                        }
                    }
                    yield e.encode(out, 0);
                }
            }
            case REDIRECT -> {
                RedirectDecoder r = d.redirect();
                yield FrameEncoder.redirect(out, 0, r.roomId(), r.kind(), r.epoch(), r.address());
            }
            case ROOM_INFO -> {
                RoomInfoDecoder r = d.roomInfo();
                yield FrameEncoder.roomInfo(out, 0, r.timestamp(), r.roomId(), r.flags(), r.viewers(), r.epoch(),
                        r.lastSequence(), r.owner());
            }
            case RANKING -> {
                RankingDecoder r = d.ranking();
                long[] users = new long[r.count()];
                long[] scores = new long[r.count()];
                for (int i = 0; i < r.count(); i++) {
                    users[i] = r.userId(i);
                    scores[i] = r.score(i);
                }
                yield FrameEncoder.ranking(out, 0, r.roomId(), r.timestamp(), r.count(), users, scores);
            }
            case JOINED -> {
                JoinedDecoder j = d.joined();
                yield FrameEncoder.joined(out, 0, j.roomId(), j.epoch(), j.status(), j.lastSequence(),
                        j.nextSequence());
            }
            case AUTH_OK -> FrameEncoder.authOk(out, 0, d.authOk().userId(), d.authOk().level(),
                    d.authOk().expiresAt());
        };
        byte[] bytes = new byte[n];
        out.getBytes(0, bytes);
        return bytes;
    }
}
