package dev.danmaku.router.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Reads nodes' admin HTTP API ({@code GET /health}, {@code GET /rooms}). Requests run concurrently
 * on the JDK client's threads; every one is bounded by the timeout. Thread-safe.
 */
final class NodeAdmin {
    /** Default bound of one request (connect included). */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final Duration timeout;

    NodeAdmin(Duration timeout) {
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** {@code GET admin/health}; a 503 with a JSON body (a node that is down) is an answer too. */
    CompletableFuture<NodeHealth> health(String admin) {
        return get(admin, "/health", true).thenApply(body -> NodeHealth.parse(body, System.nanoTime()));
    }

    /** {@code GET admin/rooms}. */
    CompletableFuture<List<RoomReport>> rooms(String admin) {
        return get(admin, "/rooms", false).thenApply(body -> {
            try {
                return RoomReport.parseList(body);
            } catch (IllegalArgumentException e) {
                throw new CompletionException(new IOException("bad /rooms answer: " + e.getMessage()));
            }
        });
    }

    private CompletableFuture<JsonNode> get(String admin, String path, boolean anyStatusWithJson) {
        HttpRequest req;
        try {
            req = HttpRequest.newBuilder(URI.create(stripSlash(admin) + path)).timeout(timeout).GET().build();
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new IOException("bad admin URL '" + admin + "'"));
        }
        return http.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray()).thenApply(resp -> {
            int code = resp.statusCode();
            if (code != 200 && !anyStatusWithJson) {
                throw new CompletionException(new IOException("HTTP " + code + " from " + path));
            }
            try {
                JsonNode n = JSON.readTree(resp.body());
                if (n == null || !n.isObject()) {
                    throw new IOException("not a JSON object");
                }
                return n;
            } catch (IOException e) {
                throw new CompletionException(new IOException("HTTP " + code + " from " + path + ", not JSON"));
            }
        });
    }

    /** Waits for {@code f} (already bounded by the request timeout) and names its failure in one line. */
    static <T> T await(CompletableFuture<T> f) throws IOException, InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw new IOException(reason(e.getCause()));
        }
    }

    /** A short reason for a failed request: refused, timed out, or the message. */
    static String reason(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof HttpConnectTimeoutException) {
            return "connect timed out";
        }
        if (t instanceof HttpTimeoutException) {
            return "no answer in time";
        }
        if (t instanceof ConnectException) {
            return "connection refused";
        }
        return RouterMain.message(t);
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
