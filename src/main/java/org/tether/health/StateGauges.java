package org.tether.health;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import org.tether.compute.reconcile.Reconciler;
import org.tether.config.TetherConfig;
import org.tether.state.AttachmentJournal;
import org.tether.storage.volume.Pool;
import org.tether.storage.volume.VolumeBackend;
import org.tether.storage.volume.VolumeService;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * Gauges of what the host holds: asynchronous operations by state, attachments (from the journal), live iSCSI
 * sessions (from the last reconciliation, not a process per scrape) and, in storage mode, each pool with a
 * {@code pool} tag (read at most every 15 s).
 */
@ApplicationScoped
public class StateGauges {
    private static final Duration POOL_CACHE = Duration.ofSeconds(15);

    private final MeterRegistry registry;
    private final AttachmentJournal journal;
    private final Instance<Reconciler> reconciler;
    private final Instance<VolumeService> volumes;
    private final TetherConfig config;
    private final Map<String, Read> reads = new ConcurrentHashMap<>();

    /** A pool's stats as last read (null when its backend could not be read) and when. */
    private record Read(VolumeBackend.PoolStats stats, long at) {
    }

    private final org.tether.operations.OperationStore operations;

    public StateGauges(MeterRegistry registry, AttachmentJournal journal, Instance<Reconciler> reconciler,
                       Instance<VolumeService> volumes, TetherConfig config,
                       org.tether.operations.OperationStore operations) {
        this.registry = registry;
        this.operations = operations;
        this.journal = journal;
        this.reconciler = reconciler;
        this.volumes = volumes;
        this.config = config;
    }

    void onStart(@Observes StartupEvent event) {
        for (org.tether.operations.OperationRecord.State state : org.tether.operations.OperationRecord.State.values()) {
            Gauge.builder("tether.operations", operations, o -> o.all().stream().filter(r -> r.state() == state).count())
                    .tag("state", state.name().toLowerCase(java.util.Locale.ROOT))
                    .description("Asynchronous operations kept (running, or finished within their retention)")
                    .register(registry);
        }
        if (config.mode() != TetherConfig.Mode.STORAGE) {
            Gauge.builder("tether.attachments", journal, j -> j.all().size())
                    .description("Attachments in the journal, any phase").register(registry);
            Gauge.builder("tether.iscsi.sessions", this, g -> g.reconciler.get().last()
                            .map(r -> (double) r.sessions()).orElse(Double.NaN))
                    .description("iSCSI sessions on the host at the last reconciliation").register(registry);
        }
        if (config.mode() != TetherConfig.Mode.COMPUTE) {
            for (Pool p : volumes.get().pools().all()) {
                pool("tether.pool.total.bytes", p, s -> s.totalBytes());
                pool("tether.pool.free.bytes", p, s -> s.freeBytes());
                pool("tether.pool.data.percent", p, s -> s.dataPercent() == null ? Double.NaN : s.dataPercent());
                pool("tether.pool.metadata.percent", p,
                        s -> s.metadataPercent() == null ? Double.NaN : s.metadataPercent());
                Gauge.builder("tether.pool.provisioned.bytes", p, q -> volumes.get().provisioned(q))
                        .tag("pool", p.name()).description("Bytes promised to the pool's volumes and cache entries")
                        .register(registry);
                Gauge.builder("tether.pool.volumes", p, q -> volumes.get().list(q).size())
                        .tag("pool", p.name()).register(registry);
            }
        }
    }

    private void pool(String name, Pool p, ToDoubleFunction<VolumeBackend.PoolStats> value) {
        Gauge.builder(name, this, g -> {
            VolumeBackend.PoolStats s = g.stats(p);
            return s == null ? Double.NaN : value.applyAsDouble(s);
        }).tag("pool", p.name()).register(registry);
    }

    private VolumeBackend.PoolStats stats(Pool p) {
        long now = System.nanoTime();
        Read last = reads.get(p.name());
        if (last == null || now - last.at() > POOL_CACHE.toNanos()) {
            VolumeBackend.PoolStats s;
            try {
                s = p.backend().stats();
            } catch (RuntimeException e) {
                s = null;
            }
            last = new Read(s, now);
            reads.put(p.name(), last);
        }
        return last.stats();
    }
}
