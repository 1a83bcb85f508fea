package org.tether.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.tether.compute.libvirt.Hypervisor;
import org.tether.config.TetherConfig;

/** Ready only when libvirtd answers: without it no attach or detach can work. */
@Readiness
@ApplicationScoped
public class LibvirtReadiness implements HealthCheck {
    private final Hypervisor hypervisor;
    private final String uri;

    private final boolean compute;

    public LibvirtReadiness(Hypervisor hypervisor, TetherConfig config) {
        this.hypervisor = hypervisor;
        this.uri = config.libvirt().uri();
        this.compute = config.mode() != TetherConfig.Mode.STORAGE;
    }

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("libvirt").withData("uri", uri);
        if (!compute) {
            return b.up().withData("state", "not used in storage mode").build();
        }
        try {
            long v = hypervisor.daemonVersion();
            return b.up().withData("version", v / 1_000_000 + "." + v / 1000 % 1000 + "." + v % 1000).build();
        } catch (RuntimeException e) {
            return b.down().withData("error", String.valueOf(e.getMessage())).build();
        }
    }
}
