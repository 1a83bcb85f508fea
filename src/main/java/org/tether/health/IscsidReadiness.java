package org.tether.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.tether.disk.AttachPath;
import org.tether.compute.iscsi.Iscsiadm;
import org.tether.config.TetherConfig;

/** With the kernel path as the default, an attach needs iscsid: ready only when iscsiadm reaches it. */
@Readiness
@ApplicationScoped
public class IscsidReadiness implements HealthCheck {
    /** Probes come every few seconds; iscsiadm is asked at most this often. */
    private static final long CACHE_NANOS = 10_000_000_000L;

    private final Iscsiadm iscsiadm;
    private final boolean needed;
    private volatile HealthCheckResponse last;
    private volatile long lastAt;

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
        long now = System.nanoTime();
        if (last != null && now - lastAt < CACHE_NANOS) {
            return last;
        }
        HealthCheckResponse r;
        try {
            r = b.up().withData("sessions", iscsiadm.sessions().size()).build();
        } catch (RuntimeException e) {
            r = b.down().withData("error", String.valueOf(e.getMessage())).build();
        }
        last = r;
        lastAt = now;
        return r;
    }
}
