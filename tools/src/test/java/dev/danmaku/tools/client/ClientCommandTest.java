package dev.danmaku.tools.client;

import dev.danmaku.tools.CliRun;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code danmaku client ...}: argument validation and exit codes, and each command against {@link FakeNode}. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ClientCommandTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();


    private FakeNode node;

    @BeforeEach
    void start() throws InterruptedException {
        node = new FakeNode();
    }

    @AfterEach
    void stop() {
        node.close();
    }


    private CliRun client(String stdin, String... args) {
        List<String> all = new ArrayList<>(List.of("client"));
        all.addAll(List.of(args));
        all.addAll(List.of("--url", node.uri().toString(), "--user", "7", "--timeout", "3s"));
        return CliRun.run(stdin, all.toArray(new String[0]));
    }

    private static void assertUsageError(CliRun r, String mentioning) {
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines().get(0)).startsWith("error: ").contains(mentioning);
        assertThat(r.err()).doesNotContain("\tat ", "Exception");
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://127.0.0.1:7000/ws", "not a url", "ws:///nohost", "127.0.0.1:7000"})
    void shouldRejectABadUrlAsAUsageError(String url) {
        assertUsageError(CliRun.run("", "client", "check", "9001", "--url", url), "URL");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "abc", "18446744073709551616", "1.5"})
    void shouldRejectABadRoomIdAsAUsageError(String room) {
        assertUsageError(CliRun.run("", "client", "check", room), "is not an id in 1..18446744073709551615");
    }

    @Test
    void shouldRejectADurationWithoutAUnit() {
        assertUsageError(CliRun.run("", "client", "send", "9001", "hi", "--interval", "400"), "is not a duration");
    }

    @Test
    void shouldRejectCountWithoutTextAndOversizedFields() {
        assertUsageError(client("", "send", "9001", "--count", "3"), "--count needs TEXT");
        assertUsageError(client("", "send", "9001", "x".repeat(513)), "text is 513 bytes, the limit is 512");
        assertUsageError(client("", "send", "9001", "hi", "--color", "#".repeat(33)), "color is 33 bytes");
        assertUsageError(client("", "watch", "9001", "--history", "10001"), "--history must be 0..10000");
    }

    @Test
    void shouldReportARefusedConnectionAsOneLineAndExitOne() {
        int port = node.port();
        node.close();
        CliRun r = CliRun.run("", "client", "check", "9001", "--url", "ws://127.0.0.1:" + port + "/ws");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).startsWith("error: cannot connect to ws://127.0.0.1:" + port + "/ws: ")
                .doesNotContain("\tat ");
    }

    @Test
    void shouldReportAMissingWebSocketEndpointAsOneLine() {
        CliRun r = CliRun.run("", "client", "check", "9001", "--url", "ws://127.0.0.1:" + node.port() + "/nope",
                "--timeout", "2s");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).startsWith("error: cannot connect to ");
    }

    @Test
    void shouldCreateARoomOnceAndSayItAlreadyExistedAfterwards() {
        CliRun first = client("", "create", "9001");
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(first.out()).isEqualTo("room 9001 created: viewers 0, epoch 1, last seq 0\n");
        CliRun second = client("", "create", "9001");
        assertThat(second.out()).startsWith("room 9001 already existed: ");
    }

    @Test
    void shouldCheckARoomAndExitOneWhenItDoesNotExist() {
        CliRun missing = client("", "check", "9001");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.out()).isEmpty();
        assertThat(missing.err()).isEqualTo("room 9001 does not exist\n");
        node.publish(9001, 42, "", "hi", "", 1000);
        CliRun present = client("", "check", "9001");
        assertThat(present.exit()).isZero();
        assertThat(present.out()).isEqualTo("room 9001 exists: viewers 0, epoch 1, last seq 1\n");
    }

    @Test
    void shouldSendTextCountTimesAndPrintOneLinePerAck() {
        CliRun r = client("", "send", "9001", "hello", "--count", "3", "--interval", "0ms", "--name", "bob",
                "--color", "red");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines().sorted().toList()).containsExactly(
                "bullet 1: seq 1 epoch 1", "bullet 2: seq 2 epoch 1", "bullet 3: seq 3 epoch 1");
        assertThat(node.journal(9001)).extracting(FakeNode.Stored::user).containsOnly(7L);
        assertThat(node.bulletTimestamps).doesNotHaveDuplicates().isSorted();
    }

    @Test
    void shouldSendEveryStdinLineAndExitOneIfAnyWasRejected() {
        node.rejectContaining = "spam";
        CliRun r = client("one\n\nbuy spam\nthree\n", "send", "9001", "--interval", "1ms");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out().lines().sorted().toList()).containsExactly("bullet 1: seq 1 epoch 1",
                "bullet 3: seq 2 epoch 1");
        assertThat(r.errLines()).containsExactly("bullet 2: error 204 SENSITIVE_WORD: contains 'spam'");
        assertThat(node.journal(9001)).hasSize(2);
    }

    @Test
    void shouldWaitForEveryAckAndFailWithOneLineWhenTheyDoNotCome() {
        node.withholdAcks = true;
        CliRun r = CliRun.run("", "client", "send", "9001", "hi", "--count", "2", "--interval", "0ms", "--timeout", "300ms",
                "--url", node.uri().toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.errLines()).containsExactly("error: no answer within 300 ms for 2 of 2 bullets");
    }

    @Test
    void shouldWatchHistoryAsJsonAndStopAfterCount() throws Exception {
        for (int i = 1; i <= 3; i++) {
            node.publish(9001, 42, "alice", "b" + i, "#FF0000", 1000 + i);
        }
        CliRun r = client("", "watch", "9001", "--history", "2", "--count", "2", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(2);
        JsonNode first = MAPPER.readTree(lines.get(0));
        assertThat(first.get("seq").asLong()).isEqualTo(2);
        assertThat(first.get("room").asLong()).isEqualTo(9001);
        assertThat(first.get("epoch").asLong()).isEqualTo(1);
        assertThat(first.get("user").asLong()).isEqualTo(42);
        assertThat(first.get("name").asText()).isEqualTo("alice");
        assertThat(first.get("color").asText()).isEqualTo("#FF0000");
        assertThat(first.get("text").asText()).isEqualTo("b2");
        assertThat(first.has("latencyMs")).isTrue();
        assertThat(MAPPER.readTree(lines.get(1)).get("seq").asLong()).isEqualTo(3);
    }

    @Test
    void shouldWatchPlainWithoutEscapesWhenStdoutIsNotATerminal() {
        node.publish(9001, 42, "alice", "hello", "red", System.currentTimeMillis());
        CliRun r = client("", "watch", "9001", "--history", "1", "--count", "1");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("#1 42/alice: hello  (").endsWith(" ms)\n").doesNotContain("\u001b");
    }

    @Test
    void shouldPrintGapsOnStderrWhileWatching() throws Exception {
        node.publish(9001, 42, "", "b1", "", 1001);
        node.brokenResume = true;
        Thread publisher = new Thread(() -> {
            try {
                while (node.connectionCount() == 0 || node.joinsReceived.isEmpty()) {
                    Thread.sleep(5);
                }
                Thread.sleep(50);
                node.skipNext = 1;
                node.publish(9001, 42, "", "b3", "", 1003);
                Thread.sleep(100);
                node.publish(9001, 42, "", "b4", "", 1004);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        publisher.start();
        CliRun r = client("", "watch", "9001", "--history", "1", "--count", "2");
        publisher.join();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines().map(l -> l.substring(0, 3)).toList()).containsExactly("#1 ", "#4 ");
        assertThat(r.err()).contains("room 9001: gap in epoch 1 after seq 1 (received seq 3); resuming")
                .contains("room 9001: seqs 2..3 of epoch 1 are lost");
    }

    @Test
    void shouldPrintARedirectAsOneLineAndSendToTheOwner() throws Exception {
        try (FakeNode owner = new FakeNode()) {
            node.redirectRoom(9001, owner.uri().toString());
            CliRun r = client("", "send", "9001", "hello", "--count", "3", "--interval", "0ms");
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out().lines().sorted().toList()).containsExactly(
                    "bullet 1: seq 1 epoch 1", "bullet 2: seq 2 epoch 1", "bullet 3: seq 3 epoch 1");
            assertThat(r.errLines()).containsExactly("redirected to " + owner.uri());
            assertThat(owner.journal(9001)).hasSize(3);
            assertThat(node.journal(9001)).isEmpty();
        }
    }

    @Test
    void shouldEndARedirectLoopWithOneClearLine() throws Exception {
        try (FakeNode other = new FakeNode()) {
            node.redirectRoom(9001, other.uri().toString());
            other.redirectRoom(9001, node.uri().toString());
            CliRun r = client("", "send", "9001", "hello");
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err()).contains("too many redirects").doesNotContain("\tat ", "Exception");
            assertThat(r.errLines().stream().filter(l -> l.startsWith("bullet 1: ")).toList())
                    .singleElement().asString().contains("too many redirects");
        }
    }

    @Test
    void shouldWatchAcrossAMoveWithoutADiscontinuityLine() throws Exception {
        try (FakeNode owner = new FakeNode()) {
            node.publish(9001, 42, "", "b1", "", 1001);
            node.publish(9001, 42, "", "b2", "", 1002);
            Thread mover = new Thread(() -> {
                try {
                    while (node.joinsReceived.isEmpty()) {
                        Thread.sleep(5);
                    }
                    Thread.sleep(50);
                    node.publish(9001, 42, "", "b3", "", 1003);
                    Thread.sleep(50);
                    node.moveRoomTo(9001, owner);
                    while (owner.joinsReceived.isEmpty()) {
                        Thread.sleep(5);
                    }
                    Thread.sleep(50);
                    owner.publish(9001, 42, "", "b4", "", 1004);
                    owner.publish(9001, 42, "", "b5", "", 1005);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            mover.start();
            CliRun r = client("", "watch", "9001", "--history", "2", "--count", "5");
            mover.join(5_000);
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out().lines().map(l -> l.substring(0, 3)).toList())
                    .containsExactly("#1 ", "#2 ", "#3 ", "#4 ", "#5 ");
            assertThat(r.errLines()).containsExactly("room 9001 moved to " + owner.uri(),
                    "room 9001: resumed, RECOVERED, epoch 2, next seq 4");
            assertThat(owner.joinsReceived.get(0)).containsExactly(9001L, 1L, 1L, 3L, 0L);
        }
    }
}
