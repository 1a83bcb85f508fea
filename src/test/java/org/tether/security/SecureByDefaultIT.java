package org.tether.security;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.crash.AgentProcess;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The packaged agent will not serve an open API: without a token file or client certificates it stops. */
class SecureByDefaultIT {
    @TempDir
    Path dir;

    @Test
    void withoutCredentialsTheAgentRefusesToStartAndSaysWhatToSet() throws Exception {
        Path log = dir.resolve("agent.log");
        try (AgentProcess agent = new AgentProcess(18092, dir.resolve("state"), log).properties()) {
            assertThat(agent.runToExit(Duration.ofSeconds(60))).isNotZero();
        }
        assertThat(Files.readString(log)).contains("no API credentials configured", "tether.api.token-file");
    }

    @Test
    void withATokenFileItStartsAndAsksForTheToken() throws Exception {
        Path token = dir.resolve("token");
        Files.writeString(token, "0123456789abcdef-" + System.nanoTime());
        Files.setPosixFilePermissions(token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        try (AgentProcess agent = new AgentProcess(18093, dir.resolve("state"), dir.resolve("agent.log"))
                .properties("-Dtether.api.token-file=" + token)) {
            agent.start();
            assertThat(agent.get("/v1/connector").statusCode()).isEqualTo(401);
            assertThat(agent.get("/q/health/live").statusCode()).isEqualTo(200);
        }
    }
}
