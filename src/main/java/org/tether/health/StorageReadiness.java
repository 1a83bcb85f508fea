package org.tether.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;
import org.tether.config.TetherConfig;
import org.tether.storage.target.ExportService;
import org.tether.storage.volume.Pool;
import org.tether.storage.volume.VolumeBackend;
import org.tether.storage.volume.VolumeService;

import java.util.ArrayList;
import java.util.List;

/**
 * Storage mode: the target implementations answer (configfs mounted for LIO, tgtd for tgt), every recorded
 * export is served, and at least one pool can take a volume (there and below its threshold, data and, for
 * thin LVM, metadata). Each pool's state is in the data; one pool down or full among several leaves the agent
 * ready, as the others still serve, and {@code GET /v1/pools} reports it {@code down}.
 */
@Readiness
@ApplicationScoped
public class StorageReadiness implements HealthCheck {
    private final Instance<VolumeService> volumes;
    private final Instance<ExportService> exports;
    private final boolean storage;

    public StorageReadiness(Instance<VolumeService> volumes, Instance<ExportService> exports, TetherConfig config) {
        this.volumes = volumes;
        this.exports = exports;
        this.storage = config.mode() != TetherConfig.Mode.COMPUTE;
    }

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("storage");
        if (!storage) {
            return b.up().withData("state", "not used in compute mode").build();
        }
        try {
            b.withData("target", exports.get().probeTarget());
            int unrepaired = exports.get().unrepaired();
            if (unrepaired > 0) {
                return b.down().withData("error", unrepaired + " volume(s) whose exports the target lost could "
                        + "not be put back (see the log)").build();
            }
            List<String> problems = new ArrayList<>();
            List<Pool> pools = volumes.get().pools().all();
            for (Pool p : pools) {
                String problem = check(p, pools.size() == 1 ? "" : p.name() + ".", b);
                if (problem != null) {
                    problems.add(pools.size() == 1 ? problem : "pool " + p.name() + ": " + problem);
                }
            }
            if (problems.size() == pools.size()) {
                return b.down().withData("error", String.join("; ", problems)).build();
            }
            return b.up().build();
        } catch (RuntimeException e) {
            return b.down().withData("error", String.valueOf(e.getMessage())).build();
        }
    }

    /** The pool's figures into the data (keys after {@code prefix}); what keeps it from taking a volume, or null. */
    private static String check(Pool p, String prefix, HealthCheckResponseBuilder b) {
        VolumeBackend.PoolStats pool;
        try {
            pool = p.backend().stats();
        } catch (RuntimeException e) {
            b.withData(prefix + "state", "down");
            return String.valueOf(e.getMessage());
        }
        b.withData(prefix + "backend", pool.backend()).withData(prefix + "free_bytes", pool.freeBytes());
        if (pool.dataPercent() != null) {
            b.withData(prefix + "data_percent", pool.dataPercent().toString());
        }
        if (pool.metadataPercent() != null) {
            b.withData(prefix + "metadata_percent", pool.metadataPercent().toString());
        }
        int threshold = p.capacity().thresholdPercent();
        boolean full = over(pool.dataPercent(), threshold) || over(pool.metadataPercent(), threshold);
        return full ? "pool past " + threshold + "%" : null;
    }

    private static boolean over(Double percent, int threshold) {
        return percent != null && percent >= threshold;
    }
}
