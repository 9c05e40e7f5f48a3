package dev.danmaku.tools.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.danmaku.codec.AckDecoder;
import dev.danmaku.codec.AuthDecoder;
import dev.danmaku.codec.AuthOkDecoder;
import dev.danmaku.codec.BatchDecoder;
import dev.danmaku.codec.BatchEncoder;
import dev.danmaku.codec.BatchLayout;
import dev.danmaku.codec.ProtocolDictionary;
import dev.danmaku.codec.BulletDecoder;
import dev.danmaku.codec.BulletView;
import dev.danmaku.codec.CodecException;
import dev.danmaku.codec.ErrorCode;
import dev.danmaku.codec.ErrorDecoder;
import dev.danmaku.codec.FrameEncoder;
import dev.danmaku.codec.FrameType;
import dev.danmaku.codec.Frames;
import dev.danmaku.codec.JoinDecoder;
import dev.danmaku.codec.JoinedDecoder;
import dev.danmaku.codec.Protocol;
import dev.danmaku.codec.RankingDecoder;
import dev.danmaku.codec.RedirectDecoder;
import dev.danmaku.codec.RoomInfoDecoder;
import dev.danmaku.codec.RoomRequestDecoder;
import org.agrona.concurrent.UnsafeBuffer;

import java.math.BigInteger;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Converts frames to and from the JSON form defined in docs/protocol.md ("JSON form"): one
 * object per frame, {@code "type"} first, one key per field, u64 ids as unsigned decimal numbers.
 * Used by {@code danmaku codec} and by the protocol test vectors. Not for the hot path.
 */
public final class FrameJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

    private FrameJson() {
    }

    /**
     * Decodes one frame into its JSON object.
     *
     * @throws CodecException with the decoder's error code if the bytes are not a valid frame
     */
    public static ObjectNode decode(byte[] frame) {
        UnsafeBuffer b = new UnsafeBuffer(frame);
        int t = Frames.checkPreamble(b, 0, frame.length, Protocol.MAX_SERVER_FRAME_LENGTH);
        if (t < 0) {
            throw new CodecException(ErrorCode.of(-t));
        }
        FrameType type = FrameType.of(t);
        ObjectNode o = MAPPER.createObjectNode();
        o.put("type", type.name());
        switch (type) {
            case BULLET -> {
                BulletDecoder d = new BulletDecoder();
                CodecException.check(d.wrap(b, 0, frame.length));
                o.put("timestamp", d.timestamp());
                putU64(o, "user", d.userId());
                putU64(o, "room", d.roomId());
                o.put("name", d.name());
                o.put("content", d.content());
                o.put("color", d.color());
            }
            case HEARTBEAT, CREATE_ROOM, CHECK_ROOM, LEAVE -> {
                RoomRequestDecoder d = new RoomRequestDecoder();
                CodecException.check(d.wrap(b, 0, frame.length));
                o.put("timestamp", d.timestamp());
                putU64(o, "user", d.userId());
                putU64(o, "room", d.roomId());
            }
            case JOIN -> {
                JoinDecoder d = new JoinDecoder();
                CodecException.check(d.wrap(b, 0, frame.length));
                o.put("timestamp", d.timestamp());
                putU64(o, "user", d.userId());
                putU64(o, "room", d.roomId());
                o.put("resume", d.resume());
                o.put("epoch", d.epoch());
                o.put("lastSeq", d.lastSequence());
                o.put("history", d.history());
            }
            case AUTH -> {
                AuthDecoder d = new AuthDecoder();
                CodecException.check(d.wrap(b, 0, frame.length));
                o.put("timestamp", d.timestamp());
                o.put("token", d.token());
            }
            case ACK -> {
                AckDecoder d = new AckDecoder();
                CodecException.check(d.wrap(b, 0, frame.length));
                o.put("timestamp", d.timestamp());
                putU64(o, "room", d.roomId());
                o.put("epoch", d.epoch());
                o.put("seq", d.sequence());
                o.put("retry", d.retry());
            }
            case ERROR -> {
                ErrorDecoder d = new ErrorDecoder();
                CodecException.check(d.wrap(b, 0, frame.length));
                o.put("code", d.code());
                ErrorCode known = ErrorCode.of(d.code());
                o.put("name", known == null ? "UNKNOWN" : known.name());
                FrameType ref = FrameType.of(d.refType());
                o.put("refType", d.refType() == 0 ? "NONE" : ref == null ? Integer.toString(d.refType()) : ref.name());
                o.put("refTimestamp", d.refTimestamp());
                putU64(o, "room", d.roomId());
                o.put("retryAfterMs", d.retryAfterMs());
                o.put("reason", d.reason());
            }
            case BATCH -> {
                try (BatchDecoder d = new BatchDecoder()) {
                    CodecException.check(d.wrap(b, 0, frame.length));
                    putU64(o, "room", d.roomId());
                    o.put("epoch", d.epoch());
                    o.put("firstSeq", d.firstSequence());
                    o.put("count", d.count());
                    o.put("compression", !d.compressed() ? "none"
                            : (d.flags() & BatchLayout.FLAG_DICTIONARY) != 0 ? "zstd-dict" : "zstd");
                    o.put("rawLength", d.rawLength());
                    o.put("payloadLength", d.payloadLength());
                    ArrayNode bullets = o.putArray("bullets");
                    while (d.next()) {
                        BulletView e = d.entry();
                        ObjectNode x = bullets.addObject();
                        x.put("seq", e.sequence());
                        x.put("timestamp", e.timestamp());
                        putU64(x, "user", e.userId());
                        x.put("name", e.name());
                        x.put("content", e.content());
                        x.put("color", e.color());
                    }
                }
            }
            case REDIRECT -> {
                RedirectDecoder d = new RedirectDecoder();
                CodecException.check(d.wrap(b, 0, frame.length));
                putU64(o, "room", d.roomId());
                o.put("kind", d.kind() == RedirectDecoder.KIND_MOVED ? "MOVED" : "REDIRECT");
                o.put("epoch", d.epoch());
                o.put("address", d.address());
            }
            case ROOM_INFO -> {
                RoomInfoDecoder d = new RoomInfoDecoder();
                CodecException.check(d.wrap(b, 0, frame.length));
                o.put("timestamp", d.timestamp());
                putU64(o, "room", d.roomId());
                o.put("exists", d.exists());
                o.put("created", d.created());
                o.put("local", d.local());
                o.put("viewers", d.viewers());
                o.put("epoch", d.epoch());
                o.put("lastSeq", d.lastSequence());
                o.put("owner", d.owner());
            }
            case RANKING -> {
                RankingDecoder d = new RankingDecoder();
                CodecException.check(d.wrap(b, 0, frame.length));
                putU64(o, "room", d.roomId());
                o.put("timestamp", d.timestamp());
                ArrayNode entries = o.putArray("entries");
                for (int i = 0; i < d.count(); i++) {
                    ObjectNode x = entries.addObject();
                    putU64(x, "user", d.userId(i));
                    x.put("score", d.score(i));
                }
            }
            case JOINED -> {
                JoinedDecoder d = new JoinedDecoder();
                CodecException.check(d.wrap(b, 0, frame.length));
                putU64(o, "room", d.roomId());
                o.put("epoch", d.epoch());
                o.put("status", JOINED_STATUS[d.status()]);
                o.put("lastSeq", d.lastSequence());
                o.put("nextSeq", d.nextSequence());
            }
            case AUTH_OK -> {
                AuthOkDecoder d = new AuthOkDecoder();
                CodecException.check(d.wrap(b, 0, frame.length));
                putU64(o, "user", d.userId());
                o.put("level", d.level());
                o.put("expiresAt", d.expiresAt());
            }
            default -> throw new CodecException(ErrorCode.UNKNOWN_TYPE);
        }
        return o;
    }

    private static final String[] JOINED_STATUS = {"LIVE", "RECOVERED", "NOT_RECOVERED"};

    /**
     * Encodes a frame from its JSON object.
     *
     * @throws IllegalArgumentException with a one-line reason if a key is missing, unknown or out of range
     */
    public static byte[] encode(JsonNode o) {
        if (o == null || !o.isObject()) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        String typeName = text(o, "type").toUpperCase(Locale.ROOT);
        FrameType type;
        try {
            type = FrameType.valueOf(typeName);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown frame type: " + typeName);
        }
        UnsafeBuffer b = new UnsafeBuffer(new byte[Protocol.MAX_SERVER_FRAME_LENGTH]);
        int n;
        switch (type) {
            case BULLET -> {
                allow(o, "type", "timestamp", "user", "room", "name", "content", "color");
                n = FrameEncoder.bullet(b, 0, i64(o, "timestamp"), u64(o, "user"), u64(o, "room"),
                        text(o, "name"), text(o, "content"), text(o, "color"));
            }
            case HEARTBEAT, CREATE_ROOM, CHECK_ROOM, LEAVE -> {
                allow(o, "type", "timestamp", "user", "room");
                n = FrameEncoder.roomRequest(b, 0, type, i64(o, "timestamp"), u64(o, "user"), u64(o, "room"));
            }
            case JOIN -> {
                allow(o, "type", "timestamp", "user", "room", "resume", "epoch", "lastSeq", "history");
                n = FrameEncoder.join(b, 0, i64(o, "timestamp"), u64(o, "user"), u64(o, "room"),
                        bool(o, "resume") ? JoinDecoder.FLAG_RESUME : 0, u32(o, "epoch"), i64(o, "lastSeq"),
                        (int) range(o, "history", 0, 0xFFFF));
            }
            case AUTH -> {
                allow(o, "type", "timestamp", "token");
                n = FrameEncoder.auth(b, 0, i64(o, "timestamp"), text(o, "token"));
            }
            case ACK -> {
                allow(o, "type", "timestamp", "room", "epoch", "seq", "retry");
                n = FrameEncoder.ack(b, 0, i64(o, "timestamp"), u64(o, "room"), u32(o, "epoch"), i64(o, "seq"),
                        bool(o, "retry") ? AckDecoder.FLAG_RETRY : 0);
            }
            case ERROR -> {
                allow(o, "type", "code", "name", "refType", "refTimestamp", "room", "retryAfterMs", "reason");
                String ref = text(o, "refType").toUpperCase(Locale.ROOT);
                int refType;
                if (ref.equals("NONE")) {
                    refType = 0;
                } else {
                    try {
                        refType = FrameType.valueOf(ref).code();
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("unknown refType: " + ref);
                    }
                }
                n = FrameEncoder.error(b, 0, (int) range(o, "code", 1, 0xFFFF), refType, i64(o, "refTimestamp"),
                        u64(o, "room"), u32(o, "retryAfterMs"), text(o, "reason"));
            }
            case BATCH -> {
                allow(o, "type", "room", "epoch", "firstSeq", "count", "compression", "rawLength", "payloadLength",
                        "bullets");
                String compression = o.has("compression") ? text(o, "compression") : "auto";
                int threshold = switch (compression) {
                    case "none" -> Integer.MAX_VALUE;
                    case "zstd", "zstd-dict" -> 0;
                    case "auto" -> BatchEncoder.DEFAULT_COMPRESSION_THRESHOLD;
                    default -> throw new IllegalArgumentException("compression must be none, zstd, zstd-dict or auto");
                };
                byte[] dictionary = compression.equals("zstd-dict") ? ProtocolDictionary.bytes() : null;
                JsonNode bullets = o.get("bullets");
                if (bullets == null || !bullets.isArray() || bullets.isEmpty()) {
                    throw new IllegalArgumentException("bullets: expected a non-empty array");
                }
                try (BatchEncoder e = new BatchEncoder(threshold, BatchEncoder.DEFAULT_LEVEL, dictionary,
                        Protocol.MAX_BATCH_RAW_LENGTH, Protocol.MAX_BATCH_COUNT)) {
                    e.reset(u64(o, "room"), u32(o, "epoch"), i64(o, "firstSeq"));
                    UnsafeBuffer scratch = new UnsafeBuffer(new byte[Protocol.MAX_CLIENT_FRAME_LENGTH]);
                    BulletDecoder view = new BulletDecoder();
                    for (JsonNode x : bullets) {
                        allow(x, "seq", "timestamp", "user", "name", "content", "color");
                        int len = FrameEncoder.bullet(scratch, 0, i64(x, "timestamp"), u64(x, "user"), 1,
                                text(x, "name"), text(x, "content"), text(x, "color"));
                        view.wrap(scratch, 0, len);
                        if (!e.add(view)) {
                            throw new IllegalArgumentException("too many bullets for one batch");
                        }
                    }
                    n = e.encode(b, 0);
                }
            }
            case REDIRECT -> {
                allow(o, "type", "room", "kind", "epoch", "address");
                String kind = text(o, "kind").toUpperCase(Locale.ROOT);
                int k = switch (kind) {
                    case "REDIRECT" -> RedirectDecoder.KIND_REDIRECT;
                    case "MOVED" -> RedirectDecoder.KIND_MOVED;
                    default -> throw new IllegalArgumentException("kind must be REDIRECT or MOVED");
                };
                n = FrameEncoder.redirect(b, 0, u64(o, "room"), k, u32(o, "epoch"), text(o, "address"));
            }
            case ROOM_INFO -> {
                allow(o, "type", "timestamp", "room", "exists", "created", "local", "viewers", "epoch", "lastSeq",
                        "owner");
                int flags = (bool(o, "exists") ? RoomInfoDecoder.FLAG_EXISTS : 0)
                        | (bool(o, "created") ? RoomInfoDecoder.FLAG_CREATED : 0)
                        | (bool(o, "local") ? RoomInfoDecoder.FLAG_LOCAL : 0);
                n = FrameEncoder.roomInfo(b, 0, i64(o, "timestamp"), u64(o, "room"), flags, u32(o, "viewers"),
                        u32(o, "epoch"), i64(o, "lastSeq"), text(o, "owner"));
            }
            case RANKING -> {
                allow(o, "type", "room", "timestamp", "entries");
                JsonNode entries = o.get("entries");
                if (entries == null || !entries.isArray() || entries.size() > Protocol.MAX_RANKING_COUNT) {
                    throw new IllegalArgumentException("entries: expected an array of at most "
                            + Protocol.MAX_RANKING_COUNT);
                }
                long[] users = new long[entries.size()];
                long[] scores = new long[entries.size()];
                for (int i = 0; i < users.length; i++) {
                    allow(entries.get(i), "user", "score");
                    users[i] = u64(entries.get(i), "user");
                    scores[i] = i64(entries.get(i), "score");
                }
                n = FrameEncoder.ranking(b, 0, u64(o, "room"), i64(o, "timestamp"), users.length, users, scores);
            }
            case JOINED -> {
                allow(o, "type", "room", "epoch", "status", "lastSeq", "nextSeq");
                String status = text(o, "status").toUpperCase(Locale.ROOT);
                int s = java.util.Arrays.asList(JOINED_STATUS).indexOf(status);
                if (s < 0) {
                    throw new IllegalArgumentException("status must be LIVE, RECOVERED or NOT_RECOVERED");
                }
                n = FrameEncoder.joined(b, 0, u64(o, "room"), u32(o, "epoch"), s, i64(o, "lastSeq"),
                        i64(o, "nextSeq"));
            }
            case AUTH_OK -> {
                allow(o, "type", "user", "level", "expiresAt");
                n = FrameEncoder.authOk(b, 0, u64(o, "user"), (int) range(o, "level", 0, 255), i64(o, "expiresAt"));
            }
            default -> throw new IllegalArgumentException("unsupported type " + type);
        }
        byte[] out = new byte[n];
        b.getBytes(0, out);
        return out;
    }

    private static void putU64(ObjectNode o, String key, long value) {
        if (value >= 0) {
            o.put(key, value);
        } else {
            o.put(key, new BigInteger(Long.toUnsignedString(value)));
        }
    }

    private static void allow(JsonNode o, String... keys) {
        Set<String> allowed = Set.of(keys);
        for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
            String k = it.next().getKey();
            if (!allowed.contains(k)) {
                throw new IllegalArgumentException("unknown key \"" + k + "\"");
            }
        }
    }

    private static JsonNode field(JsonNode o, String key) {
        JsonNode v = o.get(key);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("missing key \"" + key + "\"");
        }
        return v;
    }

    private static String text(JsonNode o, String key) {
        JsonNode v = field(o, key);
        if (!v.isTextual()) {
            throw new IllegalArgumentException("\"" + key + "\" must be a string");
        }
        return v.textValue();
    }

    private static boolean bool(JsonNode o, String key) {
        JsonNode v = o.get(key);
        if (v == null) {
            return false;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException("\"" + key + "\" must be true or false");
        }
        return v.booleanValue();
    }

    private static BigInteger integer(JsonNode o, String key) {
        JsonNode v = field(o, key);
        if (v.isIntegralNumber()) {
            return v.bigIntegerValue();
        }
        if (v.isTextual()) {
            try {
                return new BigInteger(v.textValue());
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        throw new IllegalArgumentException("\"" + key + "\" must be an integer");
    }

    private static long range(JsonNode o, String key, long min, long max) {
        BigInteger v = integer(o, key);
        if (v.compareTo(BigInteger.valueOf(min)) < 0 || v.compareTo(BigInteger.valueOf(max)) > 0) {
            throw new IllegalArgumentException("\"" + key + "\" out of range [" + min + ", " + max + "]: " + v);
        }
        return v.longValue();
    }

    private static long i64(JsonNode o, String key) {
        return range(o, key, 0, Long.MAX_VALUE);
    }

    private static long u32(JsonNode o, String key) {
        return range(o, key, 0, 0xFFFF_FFFFL);
    }

    private static long u64(JsonNode o, String key) {
        BigInteger v = integer(o, key);
        if (v.signum() < 0 || v.compareTo(TWO_64) >= 0) {
            throw new IllegalArgumentException("\"" + key + "\" out of range for u64: " + v);
        }
        return v.longValue();
    }
}
