package org.tether.compute.migration;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;
import org.tether.compute.attach.AttachCommand;
import org.tether.compute.attach.AttachService;
import org.tether.compute.attach.AttachmentLocks;
import org.tether.compute.attach.Teardown;
import org.tether.compute.instance.InstanceRecord;
import org.tether.compute.libvirt.DiskXmlFactory;
import org.tether.compute.libvirt.Hypervisor;
import org.tether.compute.libvirt.LibvirtXml;
import org.tether.compute.libvirt.MigrationState;
import org.tether.disk.AttachPath;
import org.tether.disk.GuestDevice;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.state.AttachmentJournal;
import org.tether.state.AttachmentRecord;
import org.tether.state.AttachmentRecord.Phase;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The destination's half of a live migration. {@link #prepare} connects every volume of the arriving domain with
 * this host's own connection_info (its initiator, ACL, CHAP or cephx secret, LUKS passphrase), journalled as
 * {@code INCOMING}, and answers each disk's element as this host needs it. {@link #complete} makes them attached
 * once the domain runs here; {@link #abort} undoes them while it does not. {@link #settle} does either by itself
 * when the source never says (it died): the domain running here completes, a domain that never came is undone
 * after {@code tether.migration.prepare-grace}; nothing is undone while libvirt is bringing the domain in.
 */
@ApplicationScoped
public class IncomingMigrations {
    private static final Logger LOG = Logger.getLogger(IncomingMigrations.class);
    private static final Duration LEAVING_WAIT = Duration.ofSeconds(30);

    private final AttachService attach;
    private final AttachmentJournal journal;
    private final AttachmentLocks locks;
    private final Teardown teardown;
    private final Hypervisor hypervisor;
    private final Clock clock;
    private final Duration grace;
    /** Volumes connected at once across all prepares; idle threads end after a minute. */
    private final java.util.concurrent.ThreadPoolExecutor workers = new java.util.concurrent.ThreadPoolExecutor(16, 16,
            60, java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "tether-migration-prepare");
                t.setDaemon(true);
                return t;
            });

    {
        workers.allowCoreThreadTimeOut(true);
    }

    private final org.tether.compute.instance.InstanceStore instances;

    public IncomingMigrations(AttachService attach, AttachmentJournal journal, AttachmentLocks locks,
                              Teardown teardown, Hypervisor hypervisor, Clock clock, TetherConfig config,
                              org.tether.compute.instance.InstanceStore instances) {
        this.instances = instances;
        this.attach = attach;
        this.journal = journal;
        this.locks = locks;
        this.teardown = teardown;
        this.hypervisor = hypervisor;
        this.clock = clock;
        this.grace = config.migration().prepareGrace();
    }

    /** One volume of the arriving domain: this host's connection_info, and the disk as the guest sees it. */
    public record Volume(UUID volumeId, JsonNode connectionInfo, JsonNode encryption, GuestDevice device,
                         boolean multiattach, AttachPath path) {
    }

    /** What the source rewrites its definition with: this host's disk element per volume. */
    public record Prepared(String domain, Map<UUID, String> disks) {
    }

    /**
     * Connects every volume, or none: a volume that cannot be connected undoes the others before the refusal is
     * returned. A repeat of the same prepare (the source retrying after a lost answer) answers what was made.
     *
     * @param instance the source's record when the domain is an instance Tether defined (boot from volume): kept
     *                 here as INCOMING, ACTIVE once the domain arrives, removed if it does not
     */
    public Prepared prepare(String domain, List<Volume> volumes, InstanceRecord instance) {
        List<AttachService.Prepared> checked = new ArrayList<>();
        for (int i = 0; i < volumes.size(); i++) {
            Volume v = volumes.get(i);
            AttachCommand cmd = new AttachCommand(v.volumeId(), domain, v.connectionInfo(), v.device().dev(),
                    v.device().bus(), v.path(), v.multiattach(), v.encryption());
            checked.add(attach.prepare(cmd, "volumes[" + i + "].connection_info"));
        }
        MigrationState here = hypervisor.migrationState(domain);
        if (here != MigrationState.ABSENT && !allIncoming(domain, volumes)) {
            throw new TetherException(ErrorCode.MIGRATION_BUSY, "domain", "this host already has a domain named "
                    + domain + " (" + here.name().toLowerCase(java.util.Locale.ROOT) + ")");
        }
        if (instance != null) {
            var held = instances.find(domain);
            if (held.isPresent() && held.get().phase() != InstanceRecord.Phase.INCOMING) {
                throw new TetherException(ErrorCode.MIGRATION_BUSY, "instance", "this host holds an instance named "
                        + domain + " already");
            }
            instances.put(new InstanceRecord(domain, InstanceRecord.Phase.INCOMING, instance.volumeIds(),
                    instance.fingerprint(), instance.consoleLog(), instance.createdAt(), clock.instant()));
        }
        // every volume at once (the destination's prepare is on the migration's critical path): each under its own
        // lock, all awaited before the answer; one that fails has every other one undone
        List<AttachmentRecord> made = java.util.Collections.synchronizedList(new ArrayList<>());
        List<java.util.concurrent.Future<AttachmentRecord>> futures = new ArrayList<>();
        for (int i = 0; i < checked.size(); i++) {
            AttachService.Prepared p = checked.get(i);
            Volume v = volumes.get(i);
            futures.add(workers.submit(() -> prepareOne(p, v, made)));
        }
        Map<UUID, String> disks = new LinkedHashMap<>();
        RuntimeException failed = null;
        for (java.util.concurrent.Future<AttachmentRecord> f : futures) {
            try {
                AttachmentRecord r = f.get();
                disks.put(r.volumeId(), r.diskXml());
            } catch (java.util.concurrent.ExecutionException e) {
                RuntimeException cause = e.getCause() instanceof RuntimeException re ? re
                        : new TetherException(ErrorCode.INTERNAL, String.valueOf(e.getCause()), e.getCause());
                if (failed == null) {
                    failed = cause;
                } else {
                    failed.addSuppressed(cause);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failed = failed != null ? failed : new TetherException(ErrorCode.INTERNAL, "interrupted");
            }
        }
        if (failed != null) {
            undo(new ArrayList<>(made), failed);
            dropIncomingInstance(domain);
            throw failed;
        }
        LOG.infof("prepared %d volumes of incoming domain %s", disks.size(), domain);
        return new Prepared(domain, disks);
    }

    private boolean allIncoming(String domain, List<Volume> volumes) {
        return volumes.stream().allMatch(v -> journal.find(v.volumeId(), domain)
                .filter(r -> r.phase() == Phase.INCOMING).isPresent());
    }

    private AttachmentRecord prepareOne(AttachService.Prepared p, Volume v, List<AttachmentRecord> made) {
        AttachCommand cmd = p.cmd();
        try (var held = locks.volume(cmd.volumeId())) {
            var existing = journal.find(cmd.volumeId(), cmd.domain());
            if (existing.isPresent()) {
                AttachmentRecord r = existing.get();
                if (r.phase() == Phase.INCOMING && r.fingerprint().equals(p.fingerprint())) {
                    return r; // a repeat: the source did not hear the first answer
                }
                throw new TetherException(ErrorCode.MIGRATION_BUSY, "volumes", "volume " + cmd.volumeId() + " of "
                        + cmd.domain() + " is " + r.phase().name().toLowerCase(java.util.Locale.ROOT) + " here");
            }
            attach.checkNotElsewhere(cmd);
            byte[] passphrase = attach.passphrase(p);
            try {
                if (passphrase == null) {
                    // one journal write after the connect: the disk this host built, and the INCOMING phase
                    AttachmentRecord r = attach.connect(p, c -> incoming(c, p, v, null));
                    made.add(r);
                    return r;
                }
                AttachmentRecord r = attach.connect(p);
                made.add(r);
                AttachmentRecord plain = r;
                r = attach.journalLuks(p, r, passphrase);
                made.remove(plain);
                made.add(r);
                attach.holdPassphrase(r, passphrase);
                AttachmentRecord luks = r;
                r = incoming(r, p, v, r.connected().passphraseSecret());
                journal.put(r);
                made.remove(luks);
                made.add(r);
                return r;
            } finally {
                if (passphrase != null) {
                    Arrays.fill(passphrase, (byte) 0);
                }
            }
        }
    }

    private AttachmentRecord incoming(AttachmentRecord connected, AttachService.Prepared p, Volume v, UUID luks) {
        String xml = LibvirtXml.write(DiskXmlFactory.build(p.cmd().volumeId(), connected.connected().source(),
                v.device(), p.info().options(), p.cmd().multiattach(), luks));
        return connected.withDisk(v.device(), xml, clock.instant()).withPhase(Phase.INCOMING, clock.instant());
    }

    /** The domain runs here: its incoming volumes are attached. */
    public List<AttachmentRecord> complete(String domain) {
        MigrationState here = hypervisor.migrationState(domain);
        if (here != MigrationState.RUNNING) {
            throw new TetherException(ErrorCode.MIGRATION_BUSY, "domain", "domain " + domain + " does not run on "
                    + "this host (" + here.name().toLowerCase(java.util.Locale.ROOT) + "): its volumes stay incoming");
        }
        List<AttachmentRecord> out = new ArrayList<>();
        for (AttachmentRecord r : incoming(domain)) {
            try (var held = locks.volume(r.volumeId())) {
                var now = journal.find(r.volumeId(), domain);
                if (now.isPresent() && now.get().phase() == Phase.INCOMING) {
                    AttachmentRecord attached = now.get().withPhase(Phase.ATTACHED, clock.instant());
                    journal.put(attached);
                    out.add(attached);
                }
            }
        }
        instances.find(domain).filter(i -> i.phase() == InstanceRecord.Phase.INCOMING)
                .ifPresent(i -> instances.put(i.withPhase(InstanceRecord.Phase.ACTIVE, clock.instant())));
        LOG.infof("domain %s arrived: %d volumes attached", domain, out.size());
        return out;
    }

    /**
     * The domain did not come: what was prepared for it goes. Refused while it runs here; while libvirt is still
     * taking a failed arrival down this waits for it.
     */
    public int abort(String domain) {
        long end = System.nanoTime() + LEAVING_WAIT.toNanos();
        MigrationState here = hypervisor.migrationState(domain);
        while (here == MigrationState.INCOMING && System.nanoTime() < end) {
            sleep();
            here = hypervisor.migrationState(domain);
        }
        if (here != MigrationState.ABSENT) {
            throw new TetherException(ErrorCode.MIGRATION_BUSY, "domain", "domain " + domain + " is "
                    + here.name().toLowerCase(java.util.Locale.ROOT) + " on this host: what was prepared for it stays");
        }
        List<AttachmentRecord> records = incoming(domain);
        undo(records, null);
        dropIncomingInstance(domain);
        if (!records.isEmpty()) {
            LOG.infof("incoming domain %s did not arrive: %d prepared volumes undone", domain, records.size());
        }
        return records.size();
    }

    /** What a source never finished: completed when the domain runs here, undone when it never came. */
    public void settle() {
        Map<String, List<AttachmentRecord>> byDomain = new LinkedHashMap<>();
        for (AttachmentRecord r : journal.all()) {
            if (r.phase() == Phase.INCOMING) {
                byDomain.computeIfAbsent(r.domain(), d -> new ArrayList<>()).add(r);
            }
        }
        for (InstanceRecord i : instances.all()) {
            if (i.phase() == InstanceRecord.Phase.INCOMING) {
                byDomain.computeIfAbsent(i.name(), d -> new ArrayList<>()); // an instance whose volumes are all gone
            }
        }
        byDomain.forEach((domain, records) -> {
            try {
                MigrationState here = hypervisor.migrationState(domain);
                java.time.Instant newest = java.util.stream.Stream.concat(records.stream()
                        .map(AttachmentRecord::updatedAt), instances.find(domain).stream()
                        .map(InstanceRecord::updatedAt)).max(java.time.Instant::compareTo).orElse(java.time.Instant.EPOCH);
                if (here == MigrationState.RUNNING) {
                    complete(domain);
                } else if (here == MigrationState.ABSENT && newest.plus(grace).isBefore(clock.instant())) {
                    abort(domain);
                }
            } catch (RuntimeException e) {
                LOG.warnf("incoming domain %s not settled yet: %s", domain, e.getMessage());
            }
        });
    }

    private void dropIncomingInstance(String domain) {
        instances.find(domain).filter(i -> i.phase() == InstanceRecord.Phase.INCOMING)
                .ifPresent(i -> instances.remove(domain));
    }

    private List<AttachmentRecord> incoming(String domain) {
        return journal.all().stream().filter(r -> r.domain().equals(domain) && r.phase() == Phase.INCOMING).toList();
    }

    private void undo(List<AttachmentRecord> records, RuntimeException cause) {
        List<AttachmentRecord> newestFirst = new ArrayList<>(records);
        java.util.Collections.reverse(newestFirst);
        for (AttachmentRecord r : newestFirst) {
            try (var held = locks.volume(r.volumeId())) {
                teardown.release(r);
            } catch (RuntimeException e) {
                LOG.errorf("undo of incoming %s incomplete (%s); retried by the next settle pass", r.key(),
                        e.getMessage());
                journal.put(r.withError(Phase.INCOMING, e.getMessage(), r.updatedAt()));
                if (cause != null) {
                    cause.addSuppressed(e);
                }
            }
        }
    }

    @jakarta.annotation.PreDestroy
    void close() {
        workers.shutdownNow();
    }

    private static void sleep() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TetherException(ErrorCode.INTERNAL, "interrupted");
        }
    }
}
