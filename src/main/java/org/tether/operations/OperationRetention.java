package org.tether.operations;

import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;
import org.tether.config.TetherConfig;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Deletes operation records once they are of no more use: finished longer ago than the retention, with no
 * callback still to deliver. At start and every hour (quarkus-scheduler). A running operation or a pending delivery is never
 * touched, whatever its age.
 */
@ApplicationScoped
public class OperationRetention {
    private static final Logger LOG = Logger.getLogger(OperationRetention.class);

    private final OperationStore store;
    private final Duration retention;
    private final Clock clock;

    @jakarta.inject.Inject
    public OperationRetention(OperationStore store, TetherConfig config, Clock clock) {
        this(store, config.operations().retention(), clock);
    }

    OperationRetention(OperationStore store, Duration retention, Clock clock) {
        this.store = store;
        this.retention = retention;
        this.clock = clock;
    }

    /** At start (the scheduler's first run) and every hour; a pass still running when the next is due is skipped. */
    @Scheduled(every = "1h", concurrentExecution = Scheduled.ConcurrentExecution.SKIP, identity = "operation-retention")
    void purgeLogged() {
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
