package org.tether.security;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.crash.AgentProcess;
import org.tether.lab.RawHttp;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The packaged agent as its own process, with a token file: no spelling of a path gets past authentication. */
class PathSpellingIT {
    private static final int PORT = 18094;

    @TempDir
    Path dir;

    @Test
    void thePackagedAgentRefusesEverySpellingWithoutTheTokenAndAuditsIt() throws Exception {
        String secret = "packaged-token-" + UUID.randomUUID();
        Path token = dir.resolve("token");
        Files.writeString(token, secret);
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        try (AgentProcess agent = new AgentProcess(PORT, dir.resolve("state"), Path.of("target/agent-spelling.log").toAbsolutePath())
                .properties("-Dtether.api.token-file=" + token)) {
            agent.start();
            RawHttp http = new RawHttp("127.0.0.1", PORT);
            PathSpellings.assertAllRefused(http, UUID.randomUUID().toString());
            assertThat(http.send("GET", "/v1;x=1/connector", Map.of("Authorization", "Bearer " + secret), null)
                    .status()).isEqualTo(200);
            assertThat(http.send("GET", "/q/health/live", Map.of(), null).status()).isEqualTo(200);
        }
        String audit = Files.readString(dir.resolve("state").resolve("audit.jsonl"));
        assertThat(audit.lines().filter(l -> l.contains("\"status\":401"))).hasSizeGreaterThan(100);
        assertThat(audit).doesNotContain(secret).doesNotContain("wrong-token-0123456789");
        assertThat(Files.readString(Path.of("target/agent-spelling.log"))).doesNotContain(secret);
    }
}
