package dev.danmaku.engine.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.danmaku.codec.ErrorCode;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;

/**
 * Verifies AUTH tokens: compact JWS with {@code alg} HS256 only (so {@code none} and algorithm
 * confusion are refused), a constant-time MAC comparison, {@code exp} in seconds, the configured
 * {@code aud}, {@code sub} a non-zero decimal user id, optional {@code lvl} (0-255) and {@code name}.
 * Also issues tokens (for tools and tests).
 *
 * <p>Stateless apart from the key; a {@link Mac} per thread. Safe from any thread. Runs on Netty I/O
 * threads when an AUTH frame arrives, never in the ring.
 */
public final class TokenVerifier {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Decoder B64 = Base64.getUrlDecoder();
    private static final Base64.Encoder B64E = Base64.getUrlEncoder().withoutPadding();

    /** A verified identity. */
    public record Identity(long userId, int level, long expiresAtMs, String name) {
    }

    /** Result: an identity, or the error code to answer. */
    public record Result(Identity identity, ErrorCode error, String reason) {
        static Result fail(ErrorCode code, String reason) {
            return new Result(null, code, reason);
        }
    }

    private final SecretKeySpec key;
    private final String audience;
    private final ThreadLocal<Mac> macs;

    public TokenVerifier(String secret, String audience) {
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
        this.audience = audience;
        this.macs = ThreadLocal.withInitial(() -> {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(key);
                return mac;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 unavailable", e);
            }
        });
    }

    /** Verifies {@code token} at time {@code nowMs}. */
    public Result verify(String token, long nowMs) {
        int dot1 = token.indexOf('.');
        int dot2 = dot1 < 0 ? -1 : token.indexOf('.', dot1 + 1);
        if (dot1 <= 0 || dot2 <= dot1 + 1 || token.indexOf('.', dot2 + 1) >= 0 || dot2 == token.length() - 1) {
            return Result.fail(ErrorCode.AUTH_FAILED, "malformed token");
        }
        JsonNode header;
        JsonNode claims;
        byte[] signature;
        try {
            header = JSON.readTree(B64.decode(token.substring(0, dot1)));
            claims = JSON.readTree(B64.decode(token.substring(dot1 + 1, dot2)));
            signature = B64.decode(token.substring(dot2 + 1));
        } catch (Exception e) {
            return Result.fail(ErrorCode.AUTH_FAILED, "malformed token");
        }
        if (header == null || !header.isObject() || !"HS256".equals(header.path("alg").asText())) {
            return Result.fail(ErrorCode.AUTH_FAILED, "unsupported alg");
        }
        byte[] expected = macs.get().doFinal(token.substring(0, dot2).getBytes(StandardCharsets.US_ASCII));
        if (!MessageDigest.isEqual(expected, signature)) {
            return Result.fail(ErrorCode.AUTH_FAILED, "bad signature");
        }
        if (claims == null || !claims.isObject()) {
            return Result.fail(ErrorCode.AUTH_FAILED, "malformed claims");
        }
        JsonNode aud = claims.get("aud");
        boolean audienceOk = aud != null && (aud.isTextual() ? audience.equals(aud.asText())
                : aud.isArray() && contains(aud, audience));
        if (!audienceOk) {
            return Result.fail(ErrorCode.AUTH_FAILED, "wrong audience");
        }
        JsonNode exp = claims.get("exp");
        if (exp == null || !exp.canConvertToLong()) {
            return Result.fail(ErrorCode.AUTH_FAILED, "no exp");
        }
        long expiresAtMs = exp.asLong() * 1000;
        if (expiresAtMs - nowMs <= 0) {
            return Result.fail(ErrorCode.TOKEN_EXPIRED, "token expired");
        }
        long user;
        try {
            user = Long.parseUnsignedLong(claims.path("sub").asText(""));
        } catch (NumberFormatException e) {
            return Result.fail(ErrorCode.AUTH_FAILED, "sub is not a user id");
        }
        int level = claims.path("lvl").asInt(0);
        if (user == 0 || level < 0 || level > 255) {
            return Result.fail(ErrorCode.AUTH_FAILED, "bad sub or lvl");
        }
        return new Result(new Identity(user, level, expiresAtMs, claims.path("name").asText("")), null, null);
    }

    private static boolean contains(JsonNode array, String value) {
        for (JsonNode n : array) {
            if (value.equals(n.asText())) {
                return true;
            }
        }
        return false;
    }

    /** Issues a token for {@code userId} (tools and tests). */
    public String issue(long userId, int level, long expiresAtSeconds) {
        String header = B64E.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String claims = B64E.encodeToString(("{\"sub\":\"" + Long.toUnsignedString(userId) + "\",\"aud\":\""
                + audience + "\",\"exp\":" + expiresAtSeconds + ",\"lvl\":" + level + "}")
                .getBytes(StandardCharsets.UTF_8));
        String signingInput = header + "." + claims;
        return signingInput + "." + B64E.encodeToString(macs.get().doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
    }
}
