package dev.danmaku.router.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code DIR/cluster.json}: what {@code cluster up} started, for {@code cluster down}:
 * <pre>
 * {"name": "default", "createdAtMs": 1764750000000,
 *  "redis": {"port": 40001, "pid": 1230, "processStartMs": 1764749999000, "uri": "redis://127.0.0.1:40001",
 *            "log": "cluster/redis/redis.log"},
 *  "nodes": [{"id": "n1", "pid": 1234, "processStartMs": ..., "ws": "ws://127.0.0.1:40002/ws",
 *             "admin": "http://127.0.0.1:40003", "log": "cluster/n1/node.log", "dataDir": "cluster/n1/data"}, ...]}
 * </pre>
 * {@code processStartMs} (the OS's start time of the process) tells a live process from another
 * that got the same pid later. Immutable.
 */
record ClusterFile(String name, long createdAtMs, Proc redis, int redisPort, List<NodeProc> nodes) {
    static final String FILE_NAME = "cluster.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** A process: its pid, its OS start time (Unix ms, 0 if unknown) and its log. */
    record Proc(long pid, long processStartMs, String log) {
        /** True if this process is still running (and is the same process, not a reused pid). */
        boolean alive() {
            return LocalProcesses.alive(pid, processStartMs);
        }
    }

    /** A node: its id, process and addresses. */
    record NodeProc(String id, Proc proc, String ws, String admin, String dataDir) {
    }

    String redisUri() {
        return "redis://127.0.0.1:" + redisPort;
    }

    /** Every process, nodes first. */
    List<Proc> processes() {
        List<Proc> all = new ArrayList<>();
        for (NodeProc n : nodes) {
            all.add(n.proc());
        }
        all.add(redis);
        return all;
    }

    void write(Path file) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("name", name);
        root.put("createdAtMs", createdAtMs);
        ObjectNode r = root.putObject("redis");
        r.put("port", redisPort);
        r.put("pid", redis.pid());
        r.put("processStartMs", redis.processStartMs());
        r.put("uri", redisUri());
        r.put("log", redis.log());
        ArrayNode ns = root.putArray("nodes");
        for (NodeProc n : nodes) {
            ObjectNode o = ns.addObject();
            o.put("id", n.id());
            o.put("pid", n.proc().pid());
            o.put("processStartMs", n.proc().processStartMs());
            o.put("ws", n.ws());
            o.put("admin", n.admin());
            o.put("log", n.proc().log());
            o.put("dataDir", n.dataDir());
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, JSON.writeValueAsString(root) + "\n");
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * @return the file's content, or null if there is no such file
     * @throws CommandFailure if it cannot be read or is not a cluster file
     */
    static ClusterFile read(Path file) throws CommandFailure {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new CommandFailure("cannot read " + file + ": " + RouterMain.message(e));
        }
        try {
            JsonNode root = JSON.readTree(text);
            if (root == null || !root.isObject()) {
                throw new IllegalArgumentException("not a JSON object");
            }
            JsonNode r = object(root, "redis");
            Proc redis = new Proc(number(r, "pid"), r.path("processStartMs").asLong(0), r.path("log").asText(""));
            JsonNode ns = root.get("nodes");
            if (ns == null || !ns.isArray()) {
                throw new IllegalArgumentException("'nodes' must be an array");
            }
            List<NodeProc> nodes = new ArrayList<>();
            for (JsonNode n : ns) {
                nodes.add(new NodeProc(n.path("id").asText("?"), new Proc(number(n, "pid"), n.path("processStartMs").asLong(0),
                        n.path("log").asText("")), n.path("ws").asText(""), n.path("admin").asText(""),
                        n.path("dataDir").asText("")));
            }
            return new ClusterFile(root.path("name").asText("default"), root.path("createdAtMs").asLong(0), redis,
                    (int) number(r, "port"), List.copyOf(nodes));
        } catch (JsonProcessingException e) {
            throw new CommandFailure(file + " is not a cluster file: not JSON (" + e.getOriginalMessage() + ")");
        } catch (IllegalArgumentException e) {
            throw new CommandFailure(file + " is not a cluster file: " + e.getMessage());
        }
    }

    private static JsonNode object(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isObject()) {
            throw new IllegalArgumentException("'" + field + "' must be an object");
        }
        return v;
    }

    private static long number(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isIntegralNumber() || v.asLong() <= 0) {
            throw new IllegalArgumentException("'" + field + "' must be a positive integer");
        }
        return v.asLong();
    }
}
