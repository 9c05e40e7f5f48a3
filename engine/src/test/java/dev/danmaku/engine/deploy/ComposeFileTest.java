package dev.danmaku.engine.deploy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docker/compose.yaml, checked without a Docker engine (none runs where the suite does): every
 * service has an image or a build whose Dockerfile and COPY sources exist, every file or folder it
 * mounts exists in the repository, named volumes are declared, host ports are unique and include the
 * original document's (Jaeger 8430, Grafana 8450, Prometheus 8490), the deployment has what the
 * design names (3 nodes, 3 KRaft brokers, Redis Cluster 3+3, Prometheus, Grafana, Jaeger with OTLP),
 * and Prometheus scrapes exactly the node services. Where {@code docker} with its compose plugin is on
 * PATH, also {@code docker compose config}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ComposeFileTest {
    private static final Path REPO = repo();
    private static final Path DOCKER = REPO.resolve("docker");

    @SuppressWarnings("unchecked")
    private static Map<String, Object> yaml(Path file) throws IOException {
        LoaderOptions options = new LoaderOptions();
        options.setMaxAliasesForCollections(200); // the file shares service templates through anchors
        return new Yaml(options).load(Files.readString(file));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> services() throws IOException {
        return (Map<String, Map<String, Object>>) yaml(DOCKER.resolve("compose.yaml")).get("services");
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyServiceShouldHaveAnImageOrABuildWhoseFilesExist() throws IOException {
        for (Map.Entry<String, Map<String, Object>> e : services().entrySet()) {
            Map<String, Object> s = e.getValue();
            assertThat(s.containsKey("image") || s.containsKey("build")).as("%s: image or build", e.getKey()).isTrue();
            if (s.get("image") instanceof String image && !s.containsKey("build")) {
                assertThat(image).as("%s: a pinned tag, not latest", e.getKey()).matches("[a-z0-9./-]+:v?[0-9][\\w.-]*");
            }
            if (s.get("build") instanceof Map<?, ?> build) {
                Path context = DOCKER.resolve((String) build.get("context")).normalize();
                Path dockerfile = context.resolve((String) build.get("dockerfile"));
                assertThat(dockerfile).as("%s: Dockerfile", e.getKey()).isRegularFile();
                for (String source : copySources(dockerfile)) {
                    assertThat(context.resolve(source)).as("%s: COPY %s", e.getKey(), source).exists();
                }
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyMountedFileShouldExistAndEveryNamedVolumeShouldBeDeclared() throws IOException {
        Map<String, Object> compose = yaml(DOCKER.resolve("compose.yaml"));
        Set<String> declared = ((Map<String, Object>) compose.getOrDefault("volumes", Map.of())).keySet();
        int binds = 0;
        for (Map.Entry<String, Map<String, Object>> e : services().entrySet()) {
            for (Object v : (List<Object>) e.getValue().getOrDefault("volumes", List.of())) {
                String source = ((String) v).split(":")[0];
                if (source.startsWith(".") || source.startsWith("/")) {
                    assertThat(DOCKER.resolve(source).normalize()).as("%s mounts %s", e.getKey(), v).exists();
                    binds++;
                } else {
                    assertThat(declared).as("%s: named volume %s", e.getKey(), source).contains(source);
                }
            }
        }
        assertThat(binds).isGreaterThanOrEqualTo(4); // prometheus, grafana x2, redis config
    }

    @Test
    @SuppressWarnings("unchecked")
    void hostPortsShouldBeUniqueAndIncludeTheOriginalDocumentsPorts() throws IOException {
        Map<String, String> hostToService = new HashMap<>();
        Map<String, String> published = new HashMap<>(); // "host" -> "service:container"
        for (Map.Entry<String, Map<String, Object>> e : services().entrySet()) {
            for (Object p : (List<Object>) e.getValue().getOrDefault("ports", List.of())) {
                String[] parts = p.toString().split(":");
                assertThat(parts).as("%s port %s is HOST:CONTAINER", e.getKey(), p).hasSize(2);
                String before = hostToService.put(parts[0], e.getKey());
                assertThat(before).as("host port %s used twice", parts[0]).isNull();
                published.put(parts[0], e.getKey() + ":" + parts[1]);
            }
        }
        assertThat(published).containsEntry("8430", "jaeger:16686").containsEntry("8450", "grafana:3000")
                .containsEntry("8490", "prometheus:9090").containsEntry("4317", "jaeger:4317")
                .containsEntry("7000", "node1:7000").containsEntry("7001", "node1:7001");
    }

    @Test
    @SuppressWarnings("unchecked")
    void theDeploymentShouldHaveWhatTheDesignNames() throws IOException {
        Map<String, Map<String, Object>> s = services();
        assertThat(s).containsKeys("node1", "node2", "node3", "kafka-1", "kafka-2", "kafka-3", "redis-1", "redis-2",
                "redis-3", "redis-4", "redis-5", "redis-6", "redis-cluster-init", "cluster-init", "prometheus",
                "grafana", "jaeger");
        Set<String> nodeIds = new HashSet<>();
        for (String n : List.of("node1", "node2", "node3")) {
            List<String> command = (List<String>) s.get(n).get("command");
            assertThat(command).contains("--cluster", "--redis", "--kafka", "admin.host=0.0.0.0");
            nodeIds.add(command.get(command.indexOf("--node-id") + 1));
        }
        assertThat(nodeIds).hasSize(3);
        for (String k : List.of("kafka-1", "kafka-2", "kafka-3")) {
            Map<String, Object> env = (Map<String, Object>) s.get(k).get("environment");
            assertThat(env.get("KAFKA_PROCESS_ROLES").toString()).contains("controller"); // KRaft, no ZooKeeper
            assertThat(env.get("KAFKA_CONTROLLER_QUORUM_VOTERS").toString().split(",")).hasSize(3);
            assertThat(env.get("CLUSTER_ID").toString()).matches("[A-Za-z0-9_-]{22}");
            assertThat(env.get("KAFKA_DEFAULT_REPLICATION_FACTOR")).isEqualTo(3);
        }
        String create = String.join(" ", (List<String>) s.get("redis-cluster-init").get("command"));
        assertThat(create).contains("--cluster create", "--cluster-replicas 1");
        for (int i = 1; i <= 6; i++) {
            assertThat(create).contains("redis-" + i + ":6379");
        }
        assertThat(Files.readString(DOCKER.resolve("redis/redis-cluster.conf"))).contains("cluster-enabled yes");
        assertThat(((Map<String, Object>) s.get("jaeger").get("environment")).get("COLLECTOR_OTLP_ENABLED")).isEqualTo("true");
    }

    @Test
    @SuppressWarnings("unchecked")
    void prometheusShouldScrapeEveryNodeAndGrafanaShouldProvisionTheDashboardsItMounts() throws IOException {
        Map<String, Object> prom = yaml(DOCKER.resolve("prometheus/prometheus.yml"));
        List<String> targets = new ArrayList<>();
        for (Map<String, Object> job : (List<Map<String, Object>>) prom.get("scrape_configs")) {
            if ("danmaku".equals(job.get("job_name"))) {
                for (Map<String, Object> sc : (List<Map<String, Object>>) job.get("static_configs")) {
                    targets.addAll((List<String>) sc.get("targets"));
                }
            }
        }
        assertThat(targets).containsExactlyInAnyOrder("node1:7001", "node2:7001", "node3:7001");
        for (Object rules : (List<Object>) prom.get("rule_files")) {
            assertThat(DOCKER.resolve("prometheus").resolve(rules.toString())).isRegularFile();
        }
        Map<String, Object> providers = yaml(DOCKER.resolve("grafana/provisioning/dashboards/danmaku.yaml"));
        String path = (String) ((Map<String, Object>) ((Map<String, Object>) ((List<Object>) providers.get("providers"))
                .get(0)).get("options")).get("path");
        List<Object> grafanaVolumes = (List<Object>) services().get("grafana").get("volumes");
        assertThat(grafanaVolumes).contains("./grafana/dashboards:" + path + ":ro");
        Map<String, Object> ds = (Map<String, Object>) ((List<Object>) yaml(
                DOCKER.resolve("grafana/provisioning/datasources/prometheus.yaml")).get("datasources")).get(0);
        assertThat(ds.get("uid")).isEqualTo("prometheus");
        assertThat(ds.get("url")).isEqualTo("http://prometheus:9090");
        try (var files = Files.list(DOCKER.resolve("grafana/dashboards"))) {
            for (Path f : files.toList()) {
                String json = Files.readString(f);
                assertThat(json).as("%s uses the provisioned datasource only", f)
                        .contains("\"uid\": \"prometheus\"").doesNotContain("${DS_");
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyDashboardShouldBeWellFormedForProvisioning() throws IOException {
        Set<String> uids = new HashSet<>();
        try (var files = Files.list(DOCKER.resolve("grafana/dashboards"))) {
            List<Path> dashboards = files.filter(f -> f.toString().endsWith(".json")).sorted().toList();
            assertThat(dashboards).hasSize(3);
            for (Path f : dashboards) {
                Map<String, Object> d = yaml(f); // JSON is YAML
                assertThat(uids.add((String) d.get("uid"))).as("%s: unique uid", f).isTrue();
                assertThat(d.get("id")).as("%s: no id (provisioning assigns it)", f).isNull();
                Set<Object> ids = new HashSet<>();
                for (Map<String, Object> panel : (List<Map<String, Object>>) d.get("panels")) {
                    String title = (String) panel.get("title");
                    assertThat(ids.add(panel.get("id"))).as("%s / %s: unique panel id", f, title).isTrue();
                    Map<String, Object> pos = (Map<String, Object>) panel.get("gridPos");
                    assertThat(pos).as("%s / %s: gridPos", f, title).containsKeys("h", "w", "x", "y");
                    assertThat((Integer) pos.get("x") + (Integer) pos.get("w")).as("%s / %s: fits 24 columns", f, title)
                            .isLessThanOrEqualTo(24);
                    if (!"row".equals(panel.get("type"))) {
                        assertThat((List<Object>) panel.get("targets")).as("%s / %s: queries", f, title).isNotEmpty();
                        assertThat(((Map<String, Object>) panel.get("datasource")).get("uid")).isEqualTo("prometheus");
                    }
                }
            }
        }
        assertThat(uids).contains("danmaku-cluster", "danmaku-node", "danmaku-rooms");
    }

    @Test
    void theNodeImageShouldRunBinDanmakuWithTheJvmOptionsTheBuildUses() throws IOException {
        String dockerfile = Files.readString(DOCKER.resolve("node/Dockerfile"));
        assertThat(dockerfile).contains("ENTRYPOINT [\"/opt/danmaku/bin/danmaku\"]", "COPY config config", "COPY bin bin");
        // bin/danmaku reads config/jvm.options: it must hold every module flag the build's tests run with.
        String pom = Files.readString(REPO.resolve("pom.xml"));
        Matcher m = Pattern.compile("<danmaku.jvm.flags>([^<]+)</danmaku.jvm.flags>").matcher(pom);
        assertThat(m.find()).isTrue();
        String options = Files.readString(REPO.resolve("config/jvm.options"));
        for (String flag : m.group(1).trim().split("\\s+")) {
            assertThat(options).as("config/jvm.options has %s", flag).contains(flag);
        }
    }

    @Test
    void dockerComposeConfigShouldAcceptTheFileWhereDockerIsInstalled() throws Exception {
        Path docker = null;
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, "docker"))) {
                docker = Path.of(d, "docker");
            }
        }
        if (docker == null) {
            System.out.println("SKIPPED docker compose config: docker is not on PATH (the structural checks above ran)");
            org.junit.jupiter.api.Assumptions.abort("docker is not on PATH");
        }
        Process version = new ProcessBuilder(docker.toString(), "compose", "version").redirectErrorStream(true).start();
        version.getInputStream().readAllBytes();
        if (!version.waitFor(30, TimeUnit.SECONDS) || version.exitValue() != 0) {
            System.out.println("SKIPPED docker compose config: " + docker + " has no compose plugin (the structural checks above ran)");
            org.junit.jupiter.api.Assumptions.abort("docker has no compose plugin");
        }
        Process p = new ProcessBuilder(docker.toString(), "compose", "-f", DOCKER.resolve("compose.yaml").toString(),
                "config", "-q").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }

    /** The sources of the Dockerfile's COPY lines that copy from the build context (not --from a stage). */
    private static List<String> copySources(Path dockerfile) throws IOException {
        List<String> sources = new ArrayList<>();
        for (String line : Files.readAllLines(dockerfile)) {
            String l = line.trim();
            if (l.startsWith("COPY ") && !l.contains("--from=")) {
                String[] parts = l.substring(5).trim().split("\\s+");
                for (int i = 0; i < parts.length - 1; i++) {
                    sources.add(parts[i]);
                }
            }
        }
        assertThat(sources).isNotEmpty();
        return sources;
    }

    private static Path repo() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("docker/compose.yaml"))) {
                return p;
            }
        }
        throw new IllegalStateException("repository root (docker/compose.yaml) not found");
    }
}
