package org.tether.compute.iscsi;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.exec.Command;
import org.tether.exec.CommandResult;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code multipath -f} as multipath-tools 0.9.4 answers it (the "map in use" line seen in the test-host VM). */
class MultipathTest {
    @TempDir
    Path sys;

    private final List<Command> calls = new ArrayList<>();

    /** A Multipath whose {@code multipath -f} answers each call with the next of {@code answers}, then the last. */
    private Multipath answering(CommandResult... answers) {
        return new Multipath(c -> {
            calls.add(c);
            return answers[Math.min(calls.size(), answers.length) - 1];
        }, new ScsiSysfs(sys), Duration.ofSeconds(5), Duration.ofSeconds(1), d -> { });
    }

    private static CommandResult result(int exit, String stdout) {
        return new CommandResult(Command.of("multipath", Duration.ofSeconds(5)).build(), exit, stdout, "",
                Duration.ofMillis(3));
    }

    @Test
    void aMapStillHeldForAMomentAfterTheDiskWentIsFlushedOnceItIsLetGo() {
        answering(result(1, "105.303032 | 3600140558d941d124d14dd791b57f6b7: map in use"),
                result(1, "105.553032 | 3600140558d941d124d14dd791b57f6b7: map in use"), result(0, ""))
                .flush("3600140558d941d124d14dd791b57f6b7");
        assertThat(calls).hasSize(3)
                .allSatisfy(c -> assertThat(c.argv()).containsExactly("multipath", "-f", "3600140558d941d124d14dd791b57f6b7"));
    }

    @Test
    void aMapInUseThroughoutFailsAfterTheRetriesAndAGoneMapIsSuccessAtOnce() {
        Multipath held = answering(result(1, "3600a: map in use"));
        assertThatThrownBy(() -> held.flush("3600a")).isInstanceOfSatisfying(TetherException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.COMMAND_FAILED);
            assertThat(e.getMessage()).contains("map in use");
        });
        assertThat(calls).hasSize(Multipath.WHILE_IN_USE.attempts());

        calls.clear();
        answering(result(1, "3600b: map not found")).flush("3600b");
        assertThat(calls).hasSize(1);
        calls.clear();
        Multipath broken = answering(result(1, "3600c: can't flush: Invalid argument"));
        assertThatThrownBy(() -> broken.flush("3600c")).isInstanceOf(TetherException.class);
        assertThat(calls).hasSize(1);
    }

    @Test
    void aResizeMultipathdRefusesWhileAPathStillHasItsOldSizeIsTriedAgainAndGivesUpAfterTheRetries() {
        answering(result(1, "fail"), result(0, "fail\n"), result(0, "ok")).resize("3600d");
        assertThat(calls).hasSize(3)
                .allSatisfy(c -> assertThat(c.argv()).containsExactly("multipathd", "resize", "map", "3600d"));

        calls.clear();
        Multipath stuck = answering(result(1, "fail"));
        assertThatThrownBy(() -> stuck.resize("3600e")).isInstanceOfSatisfying(TetherException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.COMMAND_FAILED));
        assertThat(calls).hasSize(Multipath.WHILE_PATHS_SETTLE.attempts());
    }
}
