package org.tether.health;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.config.TetherConfig;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class StateDirReadinessTest {
    @TempDir
    Path state;

    @Test
    void eachModeIsReadyOnAFreshStateDirectory() {
        for (TetherConfig.Mode mode : TetherConfig.Mode.values()) {
            assertThat(new StateDirReadiness(state.resolve(mode.name()), mode).call().getStatus()).as(mode.name())
                    .isEqualTo(HealthCheckResponse.Status.UP);
        }
    }

    @Test
    void storageModeIsDownWhenItsVolumeRecordsCannotBeWrittenAndComputeDoesNotCare() throws Exception {
        Files.writeString(state.resolve("volumes"), "a file where the directory should be");
        assertThat(new StateDirReadiness(state, TetherConfig.Mode.STORAGE).call().getStatus())
                .isEqualTo(HealthCheckResponse.Status.DOWN);
        assertThat(new StateDirReadiness(state, TetherConfig.Mode.COMPUTE).call().getStatus())
                .isEqualTo(HealthCheckResponse.Status.UP);
    }
}
