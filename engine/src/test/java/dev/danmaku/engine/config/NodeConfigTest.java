package dev.danmaku.engine.config;

import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NodeConfigTest {

    private static Path repoFile(String relative) {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve(relative))) {
                return p.resolve(relative);
            }
        }
        throw new IllegalStateException(relative + " not found");
    }

    @Test
    void shippedNodeYamlShouldSetEveryKeyToItsDefault() throws Exception {
        NodeConfig fromFile = NodeConfig.builder().load(repoFile("config/node.yaml")).build();
        NodeConfig defaults = NodeConfig.defaults();
        String yaml = Files.readString(repoFile("config/node.yaml"));
        for (ConfigKey<?> key : NodeConfig.KEYS) {
            assertThat((Object) fromFile.get(key)).as(key.name()).isEqualTo(defaults.get(key));
            String leaf = key.name().substring(key.name().indexOf('.') + 1);
            assertThat(yaml).as("node.yaml mentions " + key.name()).contains("  " + leaf + ":");
        }
    }

    @Test
    void everyKeyConstantShouldBeListedInKeysOnce() throws Exception {
        java.util.Set<String> constants = new java.util.HashSet<>();
        for (java.lang.reflect.Field f : NodeConfig.class.getFields()) {
            if (f.getType() == ConfigKey.class) {
                constants.add(((ConfigKey<?>) f.get(null)).name());
            }
        }
        assertThat(NodeConfig.KEYS).extracting(ConfigKey::name).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(constants);
    }

    @Test
    void fileValuesShouldOverrideDefaultsAndLaterSetsOverrideFiles() {
        NodeConfig c = NodeConfig.builder()
                .load(new StringReader("transport:\n  ws-port: 9000\nbatch:\n  interval-ms: 0\nring:\n  wait-strategy: busy-spin\n"), "t.yaml")
                .set("transport.ws-port", "9100", "--ws-port")
                .build();
        assertThat(c.get(NodeConfig.WS_PORT)).isEqualTo(9100);
        assertThat(c.get(NodeConfig.BATCH_INTERVAL_MS)).isZero();
        assertThat(c.get(NodeConfig.RING_WAIT)).isEqualTo(NodeConfig.WaitStrategy.BUSY_SPIN);
        assertThat(c.get(NodeConfig.HISTORY_SIZE)).isEqualTo(10_000);
    }

    @Test
    void unknownKeysShouldBeErrorsNamingTheSource() {
        assertThatThrownBy(() -> NodeConfig.builder().load(new StringReader("transport:\n  ws-prot: 1\n"), "my.yaml"))
                .isInstanceOf(ConfigException.class).hasMessage("my.yaml: unknown key 'transport.ws-prot'");
    }

    @Test
    void outOfRangeAndUnparsableValuesShouldBeOneLineErrors() {
        assertThatThrownBy(() -> NodeConfig.builder().set("transport.ws-port", "70000", "--ws-port"))
                .hasMessage("--ws-port: transport.ws-port: '70000' is out of range (an integer in [0, 65535])");
        assertThatThrownBy(() -> NodeConfig.builder().set("ring.wait-strategy", "spin", "f"))
                .hasMessageContaining("one of blocking sleeping yielding busy-spin");
        assertThatThrownBy(() -> NodeConfig.builder().load(new StringReader("a: [\n"), "bad.yaml"))
                .hasMessageStartingWith("bad.yaml: not valid YAML");
        assertThatThrownBy(() -> NodeConfig.builder().set(NodeConfig.RING_SIZE, 3000).build())
                .hasMessage("ring.size: 3000 is not a power of two");
        assertThatThrownBy(() -> NodeConfig.builder().set(NodeConfig.AUTH_REQUIRED, true).build())
                .hasMessageContaining("secret of at least 32 characters");
    }
}
