package org.tether.exec;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Runs real programs: the runner is the one piece every host command goes through. */
class ProcessCommandRunnerTest {
    private final ProcessCommandRunner runner = new ProcessCommandRunner();
    private static final Duration FIVE = Duration.ofSeconds(5);

    @Test
    void capturesExitCodeAndBothStreams() {
        CommandResult r = runner.run(Command.of("sh", FIVE).args("-c", "echo out; echo err >&2; exit 7").build());
        assertThat(r.exitCode()).isEqualTo(7);
        assertThat(r.stdout()).isEqualTo("out\n");
        assertThat(r.stderr()).isEqualTo("err\n");
        assertThat(r.succeeded()).isFalse();
    }

    @Test
    void argumentsAreNeverInterpretedByAShell() {
        CommandResult r = runner.run(Command.of("echo", FIVE).args("$(id)", "; rm -rf /", "`x`").build());
        assertThat(r.stdout()).isEqualTo("$(id) ; rm -rf / `x`\n");
    }

    @Test
    void timeoutKillsTheChildAndItsChildren(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path pid = dir.resolve("grandchild.pid");
        long start = System.nanoTime();
        // the grandchild writes its own pid, so the test looks at that process only, not at the host's
        assertThatThrownBy(() -> runner.run(Command.of("sh", Duration.ofMillis(300))
                .args("-c", "sleep 30 & echo $! > \"$0\"; sleep 30; wait", pid.toString()).build()))
                .isInstanceOfSatisfying(CommandException.class, e -> assertThat(e.timedOut()).isTrue());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        // killed: gone, or a zombie until init reaps it (a kill is delivered, not awaited)
        java.nio.file.Path stat = java.nio.file.Path.of("/proc", java.nio.file.Files.readString(pid).strip(), "stat");
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (alive(stat)) {
            assertThat(System.nanoTime()).as("the grandchild was killed").isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    private static boolean alive(java.nio.file.Path stat) {
        try {
            String s = java.nio.file.Files.readString(stat);
            return !s.substring(s.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void secretsAreRedactedFromDisplayAndOutput() {
        Command c = Command.of("echo", FIVE).arg("-n").arg("node.session.auth.password").secretArg("s3cr3tPass").build();
        assertThat(c.display()).isEqualTo("echo -n node.session.auth.password ***");
        CommandResult r = runner.run(c);
        assertThat(r.stdout()).isEqualTo("node.session.auth.password ***");
        assertThat(r.summary()).doesNotContain("s3cr3tPass");
    }

    @Test
    void missingProgramIsAClearFailure() {
        assertThatThrownBy(() -> runner.run(Command.of("/nonexistent/tool", FIVE).build()))
                .isInstanceOf(CommandException.class).hasMessageContaining("cannot start /nonexistent/tool");
    }

    @Test
    void childrenRunInTheCLocaleSoTheirMessagesAreEnglish() {
        CommandResult r = runner.run(Command.of("sh", FIVE).args("-c", "echo $LC_ALL $LANG").build());
        assertThat(r.stdout()).isEqualTo("C C\n");
    }

    @Test
    void aDaemonHoldingTheOutputOpenDoesNotHangTheCall(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path pid = dir.resolve("daemon.pid");
        long start = System.nanoTime();
        CommandResult r = runner.run(Command.of("sh", FIVE).args("-c",
                "echo started; (sleep 20 & echo $! > \"$0\") ; exit 0", pid.toString()).build());
        assertThat(r.exitCode()).isZero();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
        runner.run(Command.of("kill", FIVE).args(java.nio.file.Files.readString(pid).strip()).build());
    }

    @Test
    void theSummaryCarriesEveryDiagnosticLineBoundedAndRedacted() {
        Command c = Command.of("sh", FIVE).args("-c", "echo '  WARNING: first' >&2; echo 'the reason s3cr3t' >&2; "
                + "echo 'Command failed with status code 5.' >&2; exit 5", "x").secretArg("s3cr3t").build();
        String summary = runner.run(c).summary();
        assertThat(summary).contains("exited 5: WARNING: first | the reason *** | Command failed with status code 5.")
                .doesNotContain("s3cr3t");
        String many = runner.run(Command.of("sh", FIVE).args("-c", "for i in $(seq 1 50); do echo line$i >&2; done; "
                + "exit 1").build()).summary();
        assertThat(many).contains("line1 |", "line7 |", "... 43 more line(s)").doesNotContain("line8 ");
    }
}
