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

    public ExportRepair(Instance<ExportService> exports, TetherConfig config) {
        this.exports = exports;
        this.storage = config.mode() != TetherConfig.Mode.COMPUTE;
    }

    @Scheduled(every = "${tether.storage.target.repair-interval:30s}", delayed = "${tether.storage.target.repair-interval:30s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP, identity = "export-repair")
    void repair() {
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
