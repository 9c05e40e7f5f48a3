package dev.danmaku.engine.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The browser player and client library (the repository's {@code web/}, docs/web.md) served at
 * {@code /} of the admin HTTP server when {@code web.enabled} is true:
 * <ul>
 *   <li>{@code GET /}: the player page ({@code web/player/index.html});</li>
 *   <li>{@code GET /lib/*, /player/*, /vendor/*}: the library's ES modules, the page's scripts, the zstd decoder;</li>
 *   <li>{@code GET /danmaku-v1.dict}: the protocol's zstd dictionary (from the codec's classpath);</li>
 *   <li>{@code GET /web-config.json}: {@code {"wsPort":N,"wsPath":"/ws","dictionary":"/danmaku-v1.dict"}}, so the
 *       page finds the WebSocket endpoint on the host it was loaded from.</li>
 * </ul>
 * Files come from the classpath ({@code dev/danmaku/engine/web/}, copied there from {@code web/} by the
 * engine's build), read once and kept (a few hundred KiB). Runs on the admin server's threads; the
 * cache is a concurrent map. Anything else is 404, a non-GET/HEAD 405.
 */
public final class WebAssets implements HttpHandler {
    /** Where the build puts {@code web/} on the classpath. */
    public static final String CLASSPATH_ROOT = "dev/danmaku/engine/web/";
    private static final String DICTIONARY = "dev/danmaku/codec/danmaku-v1.dict";
    private static final Pattern SAFE_PATH = Pattern.compile("(lib|player|vendor)/[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*\\.[a-z]+");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8", "wasm", "application/wasm", "json", "application/json",
            "md", "text/markdown; charset=utf-8", "png", "image/png", "svg", "image/svg+xml");

    private final byte[] config;
    private final Map<String, byte[]> cache = new ConcurrentHashMap<>();

    /**
     * @param wsPort   the node's WebSocket port (as bound)
     * @param wsPath its upgrade path
     */
    public WebAssets(int wsPort, String wsPath) {
        this.config = ("{\"wsPort\":" + wsPort + ",\"wsPath\":\"" + wsPath.replace("\\", "\\\\").replace("\"", "\\\"")
                + "\",\"dictionary\":\"/danmaku-v1.dict\"}").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                reply(ex, 405, "application/json", "{\"error\":\"method not allowed\"}".getBytes(StandardCharsets.UTF_8));
                return;
            }
            String path = ex.getRequestURI().getPath();
            if (path.equals("/") || path.equals("/index.html")) {
                path = "/player/index.html";
            }
            if (path.equals("/web-config.json")) {
                reply(ex, 200, "application/json", config);
                return;
            }
            byte[] body;
            String type;
            if (path.equals("/danmaku-v1.dict")) {
                body = load(DICTIONARY);
                type = "application/octet-stream";
            } else {
                String rel = path.substring(1);
                if (!SAFE_PATH.matcher(rel).matches()) {
                    notFound(ex, path);
                    return;
                }
                body = load(CLASSPATH_ROOT + rel);
                type = TYPES.getOrDefault(rel.substring(rel.lastIndexOf('.') + 1), "application/octet-stream");
            }
            if (body == null) {
                notFound(ex, path);
                return;
            }
            reply(ex, 200, type, body);
        }
    }

    private byte[] load(String resource) throws IOException {
        byte[] cached = cache.get(resource);
        if (cached != null) {
            return cached;
        }
        try (InputStream in = WebAssets.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                return null;
            }
            byte[] bytes = in.readAllBytes();
            cache.put(resource, bytes);
            return bytes;
        }
    }

    private static void notFound(HttpExchange ex, String path) throws IOException {
        String safe = path.replaceAll("[^A-Za-z0-9_./-]", "?");
        reply(ex, 404, "application/json", ("{\"error\":\"not found\",\"path\":\"" + safe + "\"}")
                .getBytes(StandardCharsets.UTF_8));
    }

    private static void reply(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }
}
