package org.tether.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import org.tether.compute.reconcile.Reconciler;
import org.tether.config.TetherConfig;
import org.tether.state.AttachmentJournal;
import org.tether.storage.volume.VolumeBackend;
import org.tether.storage.volume.VolumeService;

import java.time.Duration;
import java.util.function.ToDoubleFunction;

/**
 * Gauges of what the host holds: attachments (from the journal), live iSCSI sessions (from the last
 * reconciliation, not a process per scrape) and, in storage mode, the pool (read at most every 15 s).
 */
@ApplicationScoped
public class StateGauges {
    private static final Duration POOL_CACHE = Duration.ofSeconds(15);

    private final MeterRegistry registry;
    private final AttachmentJournal journal;
    private final Instance<Reconciler> reconciler;
    private final Instance<VolumeService> volumes;
    private final TetherConfig config;
    private volatile VolumeBackend.PoolStats pool;
    private volatile long poolReadAt;

    public StateGauges(MeterRegistry registry, AttachmentJournal journal, Instance<Reconciler> reconciler,
                       Instance<VolumeService> volumes, TetherConfig config) {
        this.registry = registry;
        this.journal = journal;
        this.reconciler = reconciler;
        this.volumes = volumes;
        this.config = config;
    }

    void onStart(@Observes StartupEvent event) {
        if (config.mode() != TetherConfig.Mode.STORAGE) {
            Gauge.builder("tether.attachments", journal, j -> j.all().size())
                    .description("Attachments in the journal, any phase").register(registry);
            Gauge.builder("tether.iscsi.sessions", this, g -> g.reconciler.get().last()
                            .map(r -> (double) r.sessions()).orElse(Double.NaN))
                    .description("iSCSI sessions on the host at the last reconciliation").register(registry);
        }
        if (config.mode() != TetherConfig.Mode.COMPUTE) {
            pool("tether.pool.total.bytes", p -> p.totalBytes());
            pool("tether.pool.free.bytes", p -> p.freeBytes());
            pool("tether.pool.data.percent", p -> p.dataPercent() == null ? Double.NaN : p.dataPercent());
            pool("tether.pool.metadata.percent", p -> p.metadataPercent() == null ? Double.NaN : p.metadataPercent());
        }
    }

    private void pool(String name, ToDoubleFunction<VolumeBackend.PoolStats> value) {
        Gauge.builder(name, this, g -> {
            VolumeBackend.PoolStats p = g.pool();
            return p == null ? Double.NaN : value.applyAsDouble(p);
        }).register(registry);
    }

    private VolumeBackend.PoolStats pool() {
        long now = System.nanoTime();
        if (pool == null || now - poolReadAt > POOL_CACHE.toNanos()) {
            try {
                pool = volumes.get().stats();
            } catch (RuntimeException e) {
                pool = null;
            }
            poolReadAt = now;
        }
        return pool;
    }
}
