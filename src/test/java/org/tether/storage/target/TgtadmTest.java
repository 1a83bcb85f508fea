package org.tether.storage.target;

import org.junit.jupiter.api.Test;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.exec.Command;
import org.tether.exec.CommandResult;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** tgtadm's outcomes as tgtadm 1.0.85 prints them (taken from runs against a live and a killed tgtd). */
class TgtadmTest {
    private static CommandResult result(int exit, String stderr) {
        return new CommandResult(Command.of("tgtadm", Duration.ofSeconds(5)).build(), exit, "", stderr,
                Duration.ofMillis(3));
    }

    @Test
    void answersThatAreNotErrors() {
        assertThat(Tgtadm.classify(result(0, ""))).isEqualTo(Tgtadm.Outcome.DONE);
        assertThat(Tgtadm.classify(result(22, "tgtadm: this target already exists")))
                .isEqualTo(Tgtadm.Outcome.ALREADY);
        assertThat(Tgtadm.classify(result(22, "tgtadm: can't find the target"))).isEqualTo(Tgtadm.Outcome.ABSENT);
    }

    @Test
    void aRefusalIsATargetFailure() {
        assertThatThrownBy(() -> Tgtadm.classify(result(22, "tgtadm: invalid request")))
                .isInstanceOfSatisfying(TetherException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.TARGET_FAILED));
    }

    @Test
    void aDaemonThatIsNotThereIsRetryable() {
        for (CommandResult r : new CommandResult[] {
                result(107, "tgtadm: failed to send request hdr to tgt daemon, Transport endpoint is not connected"),
                result(107, "tgtadm: can't connect to the tgt daemon, Connection refused"),
                result(141, ""), // SIGPIPE: tgtd died while tgtadm wrote its request (seen in the soak)
                result(104, "tgtadm: can't get the response, Connection reset by peer")}) { // also the soak's
            assertThatThrownBy(() -> Tgtadm.classify(r)).isInstanceOfSatisfying(TetherException.class, e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.TARGET_UNAVAILABLE);
                assertThat(e.code().status()).isEqualTo(503);
                assertThat(e.getMessage()).contains("tgtd is not answering");
            });
        }
    }

    /** A runner that answers each tgtadm call with the next of {@code answers} (the last one from then on). */
    private static java.util.List<Command> answering(java.util.List<Command> calls, Tgtadm[] out,
                                                     CommandResult... answers) {
        out[0] = new Tgtadm(c -> {
            calls.add(c);
            return answers[Math.min(calls.size(), answers.length) - 1];
        }, Duration.ofSeconds(5), d -> { });
        return calls;
    }

    @Test
    void aLunStillBusyWithAGoneInitiatorsCommandsIsRemovedOnceTheyFinish() {
        Tgtadm[] t = new Tgtadm[1];
        var calls = answering(new java.util.ArrayList<>(), t,
                result(22, "tgtadm: this logical unit is still active"),
                result(22, "tgtadm: this logical unit is still active"), result(0, ""));
        assertThat(t[0].deleteTarget(7)).isEqualTo(Tgtadm.Outcome.DONE);
        assertThat(calls).hasSize(3).allSatisfy(c -> assertThat(c.argv()).contains("delete", "--force", "7"));

        calls = answering(new java.util.ArrayList<>(), t, result(22, "tgtadm: this target is still active"),
                result(0, ""));
        assertThat(t[0].deleteLun(7, 1)).isEqualTo(Tgtadm.Outcome.DONE);
        assertThat(calls).hasSize(2);
    }

    @Test
    void aLunThatStaysActiveFailsAfterTheRetriesAndOtherRefusalsAreNotRetried() {
        Tgtadm[] t = new Tgtadm[1];
        var calls = answering(new java.util.ArrayList<>(), t, result(22, "tgtadm: this logical unit is still active"));
        assertThatThrownBy(() -> t[0].deleteTarget(7)).isInstanceOfSatisfying(TetherException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.TARGET_FAILED);
            assertThat(e.getMessage()).contains("still active");
        });
        assertThat(calls).hasSize(Tgtadm.WHILE_ACTIVE.attempts());

        calls = answering(new java.util.ArrayList<>(), t, result(22, "tgtadm: invalid request"));
        assertThatThrownBy(() -> t[0].deleteTarget(7)).isInstanceOf(TetherException.class);
        assertThat(calls).hasSize(1);
        calls = answering(new java.util.ArrayList<>(), t, result(22, "tgtadm: can't find the target"));
        assertThat(t[0].deleteTarget(7)).isEqualTo(Tgtadm.Outcome.ABSENT);
        assertThat(calls).hasSize(1);
    }
}
