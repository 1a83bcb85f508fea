package org.tether.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.tether.compute.attach.AttachPath;
import org.tether.compute.iscsi.Iscsiadm;
import org.tether.config.TetherConfig;

/** With the kernel path as the default, an attach needs iscsid: ready only when iscsiadm reaches it. */
@Readiness
@ApplicationScoped
public class IscsidReadiness implements HealthCheck {
    private final Iscsiadm iscsiadm;
    private final boolean needed;

    public IscsidReadiness(Iscsiadm iscsiadm, TetherConfig config) {
        this.iscsiadm = iscsiadm;
        this.needed = config.mode() != TetherConfig.Mode.STORAGE
                && config.attach().defaultPath() == AttachPath.KERNEL;
    }

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("iscsid");
        if (!needed) {
            return b.up().withData("state", "not used (storage mode or qemu attach path)").build();
        }
        try {
            return b.up().withData("sessions", iscsiadm.sessions().size()).build();
        } catch (RuntimeException e) {
            return b.down().withData("error", String.valueOf(e.getMessage())).build();
        }
    }
}
