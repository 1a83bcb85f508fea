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
                .properties("-Dtether.api.token-file=" + token, "-Dtether.api.audit-max-file-size=8K",
                        "-Dtether.api.audit-keep=2")) {
            agent.start();
            RawHttp http = new RawHttp("127.0.0.1", PORT);
            PathSpellings.assertAllRefused(http, UUID.randomUUID().toString());
            assertThat(http.send("GET", "/v1;x=1/connector", Map.of("Authorization", "Bearer " + secret), null)
                    .status()).isEqualTo(200);
            assertThat(http.send("GET", "/q/health/live", Map.of(), null).status()).isEqualTo(200);
        }
        // ~150 refusals of ~200 bytes: the logging stack rotated the audit log at 8 KiB and kept two old files
        Path state = dir.resolve("state");
        assertThat(state.resolve("audit.jsonl.1")).exists();
        assertThat(state.resolve("audit.jsonl.2")).exists();
        assertThat(state.resolve("audit.jsonl.3")).doesNotExist();
        String audit = Files.readString(state.resolve("audit.jsonl")) + Files.readString(state.resolve("audit.jsonl.1"))
                + Files.readString(state.resolve("audit.jsonl.2"));
        assertThat(audit.lines().filter(l -> l.contains("\"status\":401"))).hasSizeGreaterThan(50);
        assertThat(audit.lines()).allMatch(l -> l.startsWith("{\"at\":") && l.endsWith("}"));
        assertThat(audit).doesNotContain(secret).doesNotContain("wrong-token-0123456789");
        assertThat(Files.readString(Path.of("target/agent-spelling.log"))).doesNotContain(secret);
    }
}
