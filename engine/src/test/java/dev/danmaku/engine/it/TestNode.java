package dev.danmaku.engine.it;

import dev.danmaku.engine.Node;
import dev.danmaku.engine.config.ConfigKey;
import dev.danmaku.engine.config.NodeConfig;

import java.nio.file.Files;
import java.nio.file.Path;

/** An in-JVM node on free loopback ports with its own data directory, for integration tests. */
public final class TestNode {
    private TestNode() {
    }

    /** The repository root (where config/ lives), found upwards from the working directory. */
    public static Path repo() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("config/words.txt"))) {
                return p;
            }
        }
        throw new IllegalStateException("repository root not found");
    }

    /** A config for tests: ports 0, loopback, blocking wait, the repo's word list, in {@code dataDir}. */
    public static NodeConfig.Builder config(Path dataDir) {
        return NodeConfig.builder()
                .set(NodeConfig.WS_HOST, "127.0.0.1")
                .set(NodeConfig.WS_PORT, 0)
                .set(NodeConfig.ADMIN_PORT, 0)
                .set(NodeConfig.DATA_DIR, dataDir.toString())
                .set(NodeConfig.IO_THREADS, 2)
                .set(NodeConfig.RING_SIZE, 4096)
                .set(NodeConfig.DEDUP_CAPACITY, 1 << 16)
                .set(NodeConfig.RATE_KEYS, 1 << 16)
                .set(NodeConfig.WORDS_FILE, repo().resolve("config/words.txt").toString());
    }

    public static Node start(Path dataDir) throws Exception {
        return Node.start(config(dataDir).build());
    }

    /** Starts with one override, e.g. {@code start(dir, NodeConfig.USER_RATE, 1000)}. */
    public static <T> Node start(Path dataDir, ConfigKey<T> key, T value) throws Exception {
        return Node.start(config(dataDir).set(key, value).build());
    }
}
