package org.tether.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.tether.config.TetherConfig;
import org.tether.storage.target.ExportService;
import org.tether.storage.volume.VolumeBackend;
import org.tether.storage.volume.VolumeService;

/**
 * Storage mode: the pool is there and below its threshold (data and, for thin LVM, metadata), and the
 * target implementation answers (configfs mounted for LIO, tgtd for tgt).
 */
@Readiness
@ApplicationScoped
public class StorageReadiness implements HealthCheck {
    private final Instance<VolumeService> volumes;
    private final Instance<ExportService> exports;
    private final boolean storage;
    private final int threshold;

    public StorageReadiness(Instance<VolumeService> volumes, Instance<ExportService> exports, TetherConfig config) {
        this.volumes = volumes;
        this.exports = exports;
        this.storage = config.mode() != TetherConfig.Mode.COMPUTE;
        this.threshold = config.storage().poolThresholdPercent();
    }

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("storage");
        if (!storage) {
            return b.up().withData("state", "not used in compute mode").build();
        }
        try {
            VolumeBackend.PoolStats pool = volumes.get().stats();
            b.withData("backend", pool.backend()).withData("free_bytes", pool.freeBytes())
                    .withData("target", exports.get().probeTarget());
            boolean full = over(pool.dataPercent()) || over(pool.metadataPercent());
            int unrepaired = exports.get().unrepaired();
            if (unrepaired > 0) {
                return b.down().withData("error", unrepaired + " volume(s) whose exports the target lost could "
                        + "not be put back (see the log)").build();
            }
            if (pool.dataPercent() != null) {
                b.withData("data_percent", pool.dataPercent().toString());
            }
            if (pool.metadataPercent() != null) {
                b.withData("metadata_percent", pool.metadataPercent().toString());
            }
            return full ? b.down().withData("error", "pool past " + threshold + "%").build() : b.up().build();
        } catch (RuntimeException e) {
            return b.down().withData("error", String.valueOf(e.getMessage())).build();
        }
    }

    private boolean over(Double percent) {
        return percent != null && percent >= threshold;
    }
}
