package org.tether.storage.rbd;

import org.junit.jupiter.api.Test;
import org.tether.error.ErrorCode;
import org.tether.exec.Command;
import org.tether.exec.CommandResult;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** How rbd's and ceph's failures are read, with what Ceph 16.2 prints here (monitor stopped, image in use). */
class RbdCliTest {
    private static CommandResult result(String program, int exit, String stderr) {
        return new CommandResult(Command.of(program, Duration.ofSeconds(5)).build(), exit, "", stderr,
                Duration.ofMillis(3));
    }

    @Test
    void monitorsThatDoNotAnswerAreRetryable() {
        assertThat(RbdCli.failure(result("rbd", 110, "rbd: couldn't connect to the cluster!"), "x").code())
                .isEqualTo(ErrorCode.STORAGE_UNAVAILABLE);
        assertThat(RbdCli.failure(result("ceph", 1, "monclient(hunting): authenticate timed out after 10\n"
                + "[errno 110] RADOS timed out (error connecting to the cluster)"), "x").code())
                .isEqualTo(ErrorCode.STORAGE_UNAVAILABLE);
    }

    @Test
    void busyIsAConflictAndTheRestAFailure() {
        assertThat(RbdCli.failure(result("rbd", 16, "rbd: unprotecting snap failed: (16) Device or resource busy"),
                "x").code()).isEqualTo(ErrorCode.VOLUME_BUSY);
        assertThat(RbdCli.failure(result("rbd", 22, "rbd: shrinking an image is only allowed with the "
                + "--allow-shrink flag"), "x").code()).isEqualTo(ErrorCode.STORAGE_BACKEND_FAILED);
    }
}
