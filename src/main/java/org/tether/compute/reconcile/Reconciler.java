package org.tether.compute.reconcile;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import org.tether.compute.attach.AttachmentLocks;
import org.tether.compute.attach.Connectors;
import org.tether.disk.Drift;
import org.tether.disk.VolumeConnector;
import org.tether.connection.IscsiPath;
import org.tether.compute.iscsi.Iscsiadm;
import org.tether.compute.iscsi.IscsiSession;
import org.tether.compute.encryption.LuksPassphrases;
import org.tether.compute.libvirt.DiskHotplug;
import org.tether.compute.libvirt.DiskXml;
import org.tether.compute.libvirt.DiskXmlFactory;
import org.tether.compute.libvirt.DomainState;
import org.tether.compute.libvirt.Hypervisor;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.state.AttachmentJournal;
import org.tether.state.AttachmentRecord;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Compares the journal with the host, at start (after interrupted operations were recovered) and then
 * periodically: every settled attachment's domain and disk, its host connection (kernel path sessions are
 * logged in again when their node record is there), and what the host has that no attachment explains.
 * It repairs only what it set up itself and can remake without a secret; it never deletes anything it
 * does not own, it reports it.
 */
@ApplicationScoped
public class Reconciler {
    private static final Logger LOG = Logger.getLogger(Reconciler.class);
    private static final Pattern VOLUME_ALIAS = Pattern.compile(Pattern.quote(DiskXmlFactory.ALIAS_PREFIX)
            + "([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})");

    private final AttachmentJournal journal;
    private final AttachmentLocks locks;
    private final Connectors connectors;
    private final DiskHotplug hotplug;
    private final Hypervisor hypervisor;
    private final Iscsiadm iscsiadm;
    private final TetherConfig config;
    private final Clock clock;
    private final Counter repairs;
    private volatile ReconcileReport last;
    /** Each libvirt secret's volume usage id ("" for other secrets), read when the secret first appears. */
    private final Map<UUID, String> usageOf = new java.util.concurrent.ConcurrentHashMap<>();

    public Reconciler(AttachmentJournal journal, AttachmentLocks locks, Connectors connectors, DiskHotplug hotplug,
                      Hypervisor hypervisor, Iscsiadm iscsiadm, TetherConfig config, Clock clock,
                      MeterRegistry meters) {
        this.journal = journal;
        this.locks = locks;
        this.connectors = connectors;
        this.hotplug = hotplug;
        this.hypervisor = hypervisor;
        this.iscsiadm = iscsiadm;
        this.config = config;
        this.clock = clock;
        Gauge.builder("tether.drift", this, r -> r.last == null ? 0 : r.last.openDrift())
                .description("Differences between the journal and the host found by the last reconciliation")
                .register(meters);
        this.repairs = Counter.builder("tether.drift.repaired")
                .description("Differences reconciliation put right").register(meters);
    }

    /** After attachments in flight were recovered (priority 2500 observers), before the periodic passes. */
    void onStart(@Observes @Priority(4000) StartupEvent event) {
        if (config.mode() == TetherConfig.Mode.STORAGE) {
            return;
        }
        run();
    }

    /**
     * The periodic pass, on quarkus-scheduler: every {@code tether.reconcile.interval} after the first, never
     * two at once; {@code 0s} turns it off (see {@link Off}), and storage mode has nothing to reconcile.
     */
    @Scheduled(every = "${tether.reconcile.interval:60s}", delayed = "${tether.reconcile.interval:60s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP, skipExecutionIf = Off.class,
            identity = "reconciliation")
    void periodic() {
        if (config.mode() != TetherConfig.Mode.STORAGE) {
            runQuietly();
        }
    }

    /** {@code tether.reconcile.interval=0s}: no periodic pass (the one at start still runs). */
    @jakarta.inject.Singleton
    public static class Off implements Scheduled.SkipPredicate {
        private final boolean off;

        public Off(TetherConfig config) {
            this.off = config.reconcile().interval().isZero();
        }

        @Override
        public boolean test(io.quarkus.scheduler.ScheduledExecution execution) {
            return off;
        }
    }

    /** The last pass; empty before the first one finished. */
    public Optional<ReconcileReport> last() {
        return Optional.ofNullable(last);
    }

    private void runQuietly() {
        try {
            run();
        } catch (RuntimeException e) {
            LOG.errorf("reconciliation failed: %s", e.getMessage());
        }
    }

    public synchronized ReconcileReport run() {
        long start = System.nanoTime();
        Map<String, List<Drift>> drift = new LinkedHashMap<>();
        List<String> errors = new ArrayList<>();
        int checked = 0;
        DomainViews views = new DomainViews(hypervisor);
        for (AttachmentRecord r : journal.all()) {
            if (r.phase() != AttachmentRecord.Phase.ATTACHED) {
                continue; // in flight: its request (or recovery at start) owns it
            }
            checked++;
            try (var held = locks.volume(r.volumeId())) {
                Optional<AttachmentRecord> now = journal.find(r.volumeId(), r.domain());
                if (now.isPresent() && now.get().phase() == AttachmentRecord.Phase.ATTACHED) {
                    List<Drift> found = check(now.get(), views);
                    if (!found.isEmpty()) {
                        drift.put(r.key(), found);
                    }
                }
            } catch (RuntimeException e) {
                errors.add(r.key() + ": " + e.getMessage());
            }
        }
        strayPassphrases(drift, errors, views);
        int[] sessionCount = {0};
        List<String> sessions = unownedSessions(errors, sessionCount);
        List<String> disks = unownedDisks(errors, views);
        ReconcileReport report = new ReconcileReport(clock.instant(), (System.nanoTime() - start) / 1_000_000,
                checked, sessionCount[0], drift, sessions, disks, errors);
        long repaired = drift.values().stream().flatMap(List::stream).filter(Drift::repaired).count();
        repairs.increment(repaired);
        if (report.openDrift() > 0 || repaired > 0 || !errors.isEmpty()) {
            LOG.warnf("reconciliation: %d attachments, %d differences open, %d repaired, %d unowned sessions, "
                    + "%d unowned disks, %d errors", checked, report.openDrift(), repaired, sessions.size(),
                    disks.size(), errors.size());
        }
        last = report;
        return report;
    }

    /**
     * A LUKS passphrase secret of Tether's (its UUID derived from the volume, usage the volume's id) that no
     * attachment holds: left by a crash between define and journal, or by hand. A passphrase lives no longer
     * than its disk, so it is removed, under the volume's lock (an attach in flight journals it first).
     */
    private void strayPassphrases(Map<String, List<Drift>> drift, List<String> errors, DomainViews views) {
        Set<UUID> listed;
        try {
            listed = views.secrets();
        } catch (RuntimeException e) {
            errors.add("libvirt secrets: " + e.getMessage());
            return;
        }
        // a secret's usage is read once, when it first appears: a pass costs one listing, not a lookup per secret
        usageOf.keySet().retainAll(listed);
        for (UUID uuid : listed) {
            String usage;
            try {
                usage = usageOf.computeIfAbsent(uuid, u -> hypervisor.volumeSecretUsage(u).orElse(""));
            } catch (RuntimeException e) {
                errors.add("libvirt secret " + uuid + ": " + e.getMessage());
                continue;
            }
            UUID volume;
            try {
                volume = UUID.fromString(usage);
            } catch (IllegalArgumentException e) {
                continue; // not a volume's passphrase: not Tether's
            }
            if (!LuksPassphrases.secretUuid(volume).equals(uuid)) {
                continue; // Nova's or another agent's: reported by no one here, touched by no one here
            }
            try (var held = locks.volume(volume)) {
                boolean held0 = journal.forVolume(volume).stream().anyMatch(r -> r.connected() != null
                        && uuid.equals(r.connected().passphraseSecret()));
                if (!held0) {
                    hypervisor.undefineSecret(uuid);
                    usageOf.remove(uuid);
                    drift.put(volume + "@-", List.of(Drift.repaired("passphrase_secret_extra", "libvirt secret "
                            + uuid + " held the LUKS passphrase of volume " + volume + ", which no attachment "
                            + "holds: removed")));
                }
            } catch (RuntimeException e) {
                errors.add("passphrase secret " + uuid + ": " + e.getMessage());
            }
        }
    }

    private List<Drift> check(AttachmentRecord r, DomainViews views) {
        List<Drift> found = new ArrayList<>();
        DomainViews.View view = views.of(r.domain());
        if (!view.exists()) {
            // report-only, and the next pass reads it again: the pass's view is enough to say so
            found.add(Drift.found("domain_missing", "domain " + r.domain() + " does not exist"));
            return checkHost(r, found, views);
        }
        if (DomainViews.disk(view, DiskXmlFactory.alias(r.volumeId()), r.volumeId().toString()).isPresent()) {
            return checkHost(r, found, views);
        }
        // the pass's view of the domain lacks the disk: read again now, since it may predate the disk's plug
        try {
            DomainState state = hypervisor.domainState(r.domain());
            Optional<DiskXml> disk = hotplug.find(r.domain(), DiskXmlFactory.alias(r.volumeId()),
                    r.volumeId().toString());
            if (disk.isEmpty()) {
                found.add(Drift.found("disk_missing", "domain " + r.domain() + " (" + (state.active() ? "running"
                        : "shut off") + ") has no disk for volume " + r.volumeId()));
            }
        } catch (TetherException e) {
            if (e.code() != ErrorCode.DOMAIN_NOT_FOUND) {
                throw e;
            }
            found.add(Drift.found("domain_missing", "domain " + r.domain() + " does not exist"));
        }
        return checkHost(r, found, views);
    }

    /** The host's side of an attachment: its passphrase secret, and what its connector checks. */
    private List<Drift> checkHost(AttachmentRecord r, List<Drift> found, DomainViews views) {
        if (r.connected() != null && r.connected().passphraseSecret() != null
                && !views.secretExists(r.connected().passphraseSecret())) {
            // not remade: the passphrase comes from the key manager at attach, and QEMU holds the open volume
            found.add(Drift.found("passphrase_secret_missing", "libvirt secret " + r.connected().passphraseSecret()
                    + " with the LUKS passphrase of volume " + r.volumeId() + " is gone; QEMU cannot open the volume "
                    + "again after a restart of the domain until it is attached again"));
        }
        if (r.connected() != null) {
            VolumeConnector.HostCheck host = connectors.forRecord(r).check(r.paths(), r.connected(),
                    views::secretExists);
            found.addAll(host.drift());
            if (!host.connected().equals(r.connected())) {
                journal.put(r.withConnected(host.connected(), clock.instant()).withPhase(r.phase(), clock.instant()));
            }
        }
        return found;
    }

    private List<String> unownedSessions(List<String> errors, int[] count) {
        Set<String> needed = new HashSet<>();
        for (AttachmentRecord r : journal.all()) {
            if (r.attachPath() == org.tether.disk.AttachPath.KERNEL) {
                for (IscsiPath p : r.paths()) {
                    needed.add(p.portal().hostPort() + " " + p.iqn());
                }
            }
        }
        try {
            List<String> out = new ArrayList<>();
            List<IscsiSession> all = iscsiadm.sessions();
            count[0] = all.size();
            for (IscsiSession s : all) {
                String key = s.portal().hostPort() + " " + s.iqn();
                if (!needed.contains(key)) {
                    out.add(key);
                }
            }
            return out;
        } catch (RuntimeException e) {
            if (config.attach().defaultPath() == org.tether.disk.AttachPath.KERNEL) {
                errors.add("iscsi sessions: " + e.getMessage());
            }
            return List.of();
        }
    }

    private List<String> unownedDisks(List<String> errors, DomainViews views) {
        List<String> out = new ArrayList<>();
        List<String> domains;
        try {
            domains = hypervisor.domainNames();
        } catch (RuntimeException e) {
            errors.add("libvirt domains: " + e.getMessage());
            return out;
        }
        for (String domain : domains) {
            try {
                Set<String> seen = new HashSet<>();
                for (DiskXml d : views.of(domain).disks()) {
                    Matcher m = d.aliasName() == null ? null : VOLUME_ALIAS.matcher(d.aliasName());
                    if (m != null && m.matches() && seen.add(m.group(1))
                            && journal.find(UUID.fromString(m.group(1)), domain).isEmpty()) {
                        out.add(domain + " " + d.targetDev() + " volume " + m.group(1));
                    }
                }
            } catch (TetherException e) {
                if (e.code() != ErrorCode.DOMAIN_NOT_FOUND) {
                    errors.add("domain " + domain + ": " + e.getMessage());
                }
            }
        }
        return out;
    }
}
