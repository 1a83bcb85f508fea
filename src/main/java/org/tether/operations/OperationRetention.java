package org.tether.operations;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import org.tether.config.TetherConfig;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Deletes operation records once they are of no more use: finished longer ago than the retention, with no
 * callback still to deliver. At start and every hour. A running operation or a pending delivery is never
 * touched, whatever its age.
 */
@ApplicationScoped
public class OperationRetention {
    private static final Logger LOG = Logger.getLogger(OperationRetention.class);

    private final OperationStore store;
    private final Duration retention;
    private final Clock clock;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tether-operation-retention");
        t.setDaemon(true);
        return t;
    });

    @jakarta.inject.Inject
    public OperationRetention(OperationStore store, TetherConfig config, Clock clock) {
        this(store, config.operations().retention(), clock);
    }

    OperationRetention(OperationStore store, Duration retention, Clock clock) {
        this.store = store;
        this.retention = retention;
        this.clock = clock;
    }

    void onStart(@Observes StartupEvent event) {
        timer.scheduleWithFixedDelay(this::purgeLogged, 0, 1, TimeUnit.HOURS);
    }

    void onStop(@Observes ShutdownEvent event) {
        timer.shutdownNow();
    }

    private void purgeLogged() {
        try {
            int n = purge();
            if (n > 0) {
                LOG.infof("deleted %d operation records finished more than %s ago", n, retention);
            }
        } catch (RuntimeException e) {
            LOG.errorf("operation retention pass failed: %s", e.getMessage());
        }
    }

    /** @return how many records were deleted */
    int purge() {
        Instant cutoff = clock.instant().minus(retention);
        int n = 0;
        for (OperationRecord r : store.all()) {
            if (expired(r, cutoff)) {
                store.remove(r.id());
                n++;
            }
        }
        return n;
    }

    static boolean expired(OperationRecord r, Instant cutoff) {
        boolean delivered = r.delivery() == null || r.delivery().state() == OperationRecord.DeliveryState.DELIVERED
                || r.delivery().state() == OperationRecord.DeliveryState.GAVE_UP;
        return r.state() != OperationRecord.State.RUNNING && delivered && r.finishedAt() != null
                && r.finishedAt().isBefore(cutoff);
    }
}
