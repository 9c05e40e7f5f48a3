package dev.danmaku.router.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RouterMainTest {
    @Test
    void shouldAnswerAMissingOrUnknownSubcommandWithUsageAndExit2() {
        Cli.Result bare = Cli.run("router");
        assertThat(bare.code()).isEqualTo(2);
        assertThat(bare.err()).contains("Usage: danmaku router").contains("status").contains("plan").contains("apply")
                .contains("drain");
        Cli.Result unknown = Cli.run("router", "stats");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).isEqualTo("error: Unmatched argument at index 1: 'stats'\n"
                + "try 'danmaku router --help'\n");
    }

    @Test
    void shouldExplainThatCtrlCStopsOnlyTheWatchingInApplysHelp() {
        Cli.Result help = Cli.run("router", "apply", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("Ctrl-C stops only the watching: the map change stays")
                .contains("--timeout=SECONDS");
    }

    @Test
    void shouldRefuseATimeoutBelowOneSecond() {
        Cli.Result r = Cli.run("router", "apply", "plan.json", "--timeout", "0");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: --timeout must be >= 1 second, got 0\n");
    }
}
