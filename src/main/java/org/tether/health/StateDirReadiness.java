package org.tether.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.tether.config.TetherConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Ready only when the journal can be written: an attach that cannot be recorded must not start. */
@Readiness
@ApplicationScoped
public class StateDirReadiness implements HealthCheck {
    private final Path dir;

    public StateDirReadiness(TetherConfig config) {
        this.dir = config.stateDir().resolve("attachments");
    }

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("state-directory").withData("path", dir.toString());
        try {
            Path probe = Files.createTempFile(dir, ".probe", ".tmp");
            Files.delete(probe);
            return b.up().build();
        } catch (IOException | RuntimeException e) {
            return b.down().withData("error", String.valueOf(e.getMessage())).build();
        }
    }
}
