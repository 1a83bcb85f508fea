package org.tether.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/** Liveness: see {@link AgentVitals}. */
@Liveness
@ApplicationScoped
public class AgentLiveness implements HealthCheck {
    private final AgentVitals vitals;

    public AgentLiveness(AgentVitals vitals) {
        this.vitals = vitals;
    }

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("agent").status(vitals.alive())
                .withData("libvirt-event-loop", vitals.eventLoop());
        vitals.libvirtAwaySince().ifPresent(since -> b.withData("libvirt-unreachable-since", since.toString()));
        return b.build();
    }
}
