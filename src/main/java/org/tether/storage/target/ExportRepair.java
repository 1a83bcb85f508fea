package org.tether.storage.target;

import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import org.jboss.logging.Logger;
import org.tether.config.TetherConfig;

/**
 * Storage mode: compares the recorded exports with the live target every
 * {@code tether.storage.target.repair-interval} and puts back what a target restart (tgtd, a cleared LIO
 * configfs) lost, so initiators get their disks back without anyone calling the agent. The same pass takes
 * creates and deletes whose undo failed (a full state disk) to their end, as the start does.
 */
@ApplicationScoped
public class ExportRepair {
    private static final Logger LOG = Logger.getLogger(ExportRepair.class);

    private final Instance<ExportService> exports;
    private final boolean storage;
    private static final long EARLY_PASS_SPACING_NANOS = 5_000_000_000L;
    private volatile long lastEarlyPass = System.nanoTime() - EARLY_PASS_SPACING_NANOS;

    public ExportRepair(Instance<ExportService> exports, TetherConfig config) {
        this.exports = exports;
        this.storage = config.mode() != TetherConfig.Mode.COMPUTE;
    }

    /**
     * Between passes: when a target of an exported volume has gone (tgtd came back empty, configfs was
     * cleared), the pass runs now, so initiators get their disk back within seconds, not at the next pass.
     */
    @Scheduled(every = "${tether.storage.target.watch-interval:2s}", delayed = "${tether.storage.target.watch-interval:2s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP, identity = "export-watch")
    void watch() {
        if (!storage) {
            return;
        }
        try {
            // at most one early pass every few seconds, so a target that cannot be put back is not retried
            // in a loop (the regular pass still runs)
            if (System.nanoTime() - lastEarlyPass > EARLY_PASS_SPACING_NANOS && exports.get().targetsMissing()) {
                lastEarlyPass = System.nanoTime();
                LOG.warn("a target of an exported volume is gone; repairing now");
                repair();
            }
        } catch (RuntimeException e) {
            LOG.debugf("target not readable now: %s", e.getMessage()); // tgtd away: readiness says so
        }
    }

    @Scheduled(every = "${tether.storage.target.repair-interval:30s}", delayed = "${tether.storage.target.repair-interval:30s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP, identity = "export-repair")
    synchronized void repair() {
        if (!storage) {
            return;
        }
        try {
            exports.get().repairPass();
        } catch (RuntimeException e) {
            LOG.errorf("export repair pass failed: %s", e.getMessage());
        }
    }
}
