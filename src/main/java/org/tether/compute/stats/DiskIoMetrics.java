package org.tether.compute.stats;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;
import org.tether.compute.libvirt.Hypervisor;
import org.tether.config.TetherConfig;
import org.tether.state.AttachmentJournal;
import org.tether.state.AttachmentRecord;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * Per-attachment I/O counters from libvirt's block statistics, labelled with the volume and the domain:
 * {@code tether_disk_read_bytes_total}, {@code ..._requests_total}, {@code ..._seconds_total}, and the same for
 * writes and flushes (what Nova's {@code get_all_volume_usage} reads for billing). One bulk call for every domain
 * ({@code virConnectGetAllDomainStats}) each {@code tether.metrics.disk-io-interval}; a scrape reads the cached
 * figures, never libvirt. A disk that leaves takes its counters with it.
 */
@ApplicationScoped
public class DiskIoMetrics {
    private static final Logger LOG = Logger.getLogger(DiskIoMetrics.class);

    private final Hypervisor hypervisor;
    private final AttachmentJournal journal;
    private final MeterRegistry registry;
    private final TetherConfig config;
    private volatile Map<String, Hypervisor.DiskIo> latest = Map.of();
    private final Map<String, List<Meter>> registered = new ConcurrentHashMap<>();

    public DiskIoMetrics(Hypervisor hypervisor, AttachmentJournal journal, MeterRegistry registry,
                         TetherConfig config) {
        this.hypervisor = hypervisor;
        this.journal = journal;
        this.registry = registry;
        this.config = config;
    }

    @Scheduled(every = "${tether.metrics.disk-io-interval:15s}", delayed = "5s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP, identity = "disk-io")
    void scheduled() {
        if (config.mode() == TetherConfig.Mode.STORAGE) {
            return;
        }
        try {
            refresh();
        } catch (RuntimeException e) {
            LOG.debugf("disk I/O statistics not read this time: %s", e.getMessage());
        }
    }

    /** Reads every domain's disks once and updates the counters; returns how many attachments it counts. */
    public synchronized int refresh() {
        Map<String, List<Hypervisor.DiskIo>> all = hypervisor.diskIo();
        Map<String, Hypervisor.DiskIo> next = new HashMap<>();
        Map<String, AttachmentRecord> records = new HashMap<>();
        for (AttachmentRecord r : journal.all()) {
            List<Hypervisor.DiskIo> disks = all.get(r.domain());
            if (r.device() == null || disks == null) {
                continue;
            }
            disks.stream().filter(d -> d.disk().equals(r.device().dev())).findFirst().ifPresent(d -> {
                next.put(r.key(), d);
                records.put(r.key(), r);
            });
        }
        latest = next;
        records.forEach((key, r) -> registered.computeIfAbsent(key, k -> register(k, r)));
        for (String key : new ArrayList<>(registered.keySet())) {
            if (!next.containsKey(key)) {
                registered.remove(key).forEach(registry::remove);
            }
        }
        return next.size();
    }

    private List<Meter> register(String key, AttachmentRecord r) {
        List<Meter> meters = new ArrayList<>();
        String volume = r.volumeId().toString();
        counter(meters, key, volume, r.domain(), "read", "requests", "requests", d -> d.readRequests());
        counter(meters, key, volume, r.domain(), "read", "bytes", "bytes", d -> d.readBytes());
        counter(meters, key, volume, r.domain(), "read", "seconds", "seconds", d -> d.readNanos() / 1e9);
        counter(meters, key, volume, r.domain(), "write", "requests", "requests", d -> d.writeRequests());
        counter(meters, key, volume, r.domain(), "write", "bytes", "bytes", d -> d.writeBytes());
        counter(meters, key, volume, r.domain(), "write", "seconds", "seconds", d -> d.writeNanos() / 1e9);
        counter(meters, key, volume, r.domain(), "flush", "requests", "requests", d -> d.flushRequests());
        counter(meters, key, volume, r.domain(), "flush", "seconds", "seconds", d -> d.flushNanos() / 1e9);
        return meters;
    }

    private void counter(List<Meter> meters, String key, String volume, String domain, String op, String what,
                         String unit, ToDoubleFunction<Hypervisor.DiskIo> value) {
        meters.add(FunctionCounter.builder("tether.disk." + op + "." + what, this, m -> {
                    Hypervisor.DiskIo d = m.latest.get(key);
                    return d == null ? 0 : value.applyAsDouble(d);
                }).description("Cumulative " + op + " " + what + " of an attached disk, as QEMU counts them")
                .baseUnit(unit.equals("requests") ? null : unit).tag("volume", volume).tag("domain", domain)
                .register(registry));
    }
}
