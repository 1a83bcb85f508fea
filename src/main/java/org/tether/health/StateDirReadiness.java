package org.tether.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.tether.config.TetherConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Ready only when the records this mode keeps can be written: an attach (compute) or a volume change
 * (storage) that cannot be recorded must not start. Each mode probes only its own directories.
 */
@Readiness
@ApplicationScoped
public class StateDirReadiness implements HealthCheck {
    private final List<Path> dirs;

    @jakarta.inject.Inject
    public StateDirReadiness(TetherConfig config) {
        this(config.stateDir(), config.mode());
    }

    StateDirReadiness(Path stateDir, TetherConfig.Mode mode) {
        List<Path> d = new ArrayList<>();
        if (mode != TetherConfig.Mode.STORAGE) {
            d.add(stateDir.resolve("attachments"));
        }
        if (mode != TetherConfig.Mode.COMPUTE) {
            d.add(stateDir.resolve("volumes"));
        }
        this.dirs = List.copyOf(d);
    }

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("state-directory");
        for (Path dir : dirs) {
            b.withData(dir.getFileName().toString(), dir.toString());
            try {
                Files.createDirectories(dir);
                Path probe = Files.createTempFile(dir, ".probe", ".tmp");
                Files.delete(probe);
            } catch (IOException | RuntimeException e) {
                return b.down().withData("error", String.valueOf(e.getMessage())).build();
            }
        }
        return b.up().build();
    }
}
