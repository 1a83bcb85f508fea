package org.tether.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.tether.compute.reconcile.ReconcileReport;
import org.tether.compute.reconcile.Reconciler;
import org.tether.config.TetherConfig;

import java.util.Optional;

/**
 * Not ready until the journal was compared with the host once: a controller must not send work to an agent
 * that has not yet finished what its last run left half-done. Drift does not make it unready; it is shown.
 */
@Readiness
@org.eclipse.microprofile.health.Startup
@ApplicationScoped
public class ReconciliationReadiness implements HealthCheck {
    private final Reconciler reconciler;
    private final boolean compute;

    public ReconciliationReadiness(Reconciler reconciler, TetherConfig config) {
        this.reconciler = reconciler;
        this.compute = config.mode() != TetherConfig.Mode.STORAGE;
    }

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("reconciliation");
        if (!compute) {
            return b.up().withData("mode", "storage").build();
        }
        Optional<ReconcileReport> last = reconciler.last();
        if (last.isEmpty()) {
            return b.down().withData("state", "first pass not finished").build();
        }
        ReconcileReport r = last.get();
        return b.up().withData("at", r.at().toString()).withData("attachments", r.attachmentsChecked())
                .withData("open_drift", r.openDrift()).withData("errors", r.errors().size()).build();
    }
}
