package org.tether.compute.migration;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;
import org.tether.compute.attach.AttachmentLocks;
import org.tether.compute.attach.Teardown;
import org.tether.compute.backup.DiskBackups;
import org.tether.compute.instance.InstanceRecord;
import org.tether.compute.instance.InstanceStore;
import org.tether.compute.libvirt.DiskXmlFactory;
import org.tether.compute.libvirt.Hypervisor;
import org.tether.compute.libvirt.LiveMigration;
import org.tether.compute.libvirt.MigrationState;
import org.tether.config.TetherConfig;
import org.tether.config.MigrationConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.state.AttachmentJournal;
import org.tether.state.AttachmentRecord;
import org.tether.state.AttachmentRecord.Phase;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The source's half of a live migration, as Nova's {@code live_migration} does it with its volumes: the destination
 * agent connects every volume with its own connection_info, libvirt moves the guest peer-to-peer with each disk
 * rewritten for the destination, and only once the guest runs there are the volumes' host side here released.
 * Any failure before that leaves the guest running here with its disks, and has the destination undo what it
 * prepared. Every step is journalled first ({@link MigrationStore}); {@link MigrationRecovery} finishes or undoes
 * one a crash interrupted.
 */
@ApplicationScoped
public class OutgoingMigrations {
    private static final Logger LOG = Logger.getLogger(OutgoingMigrations.class);

    private final Hypervisor hypervisor;
    private final AttachmentJournal journal;
    private final AttachmentLocks locks;
    private final Teardown teardown;
    private final DiskBackups backups;
    private final MigrationPeers peers;
    private final MigrationStore store;
    private final Clock clock;
    private final Duration timeout;
    private final Map<String, Progress> running = new ConcurrentHashMap<>();
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tether-migration-progress");
        t.setDaemon(true);
        return t;
    });

    private final InstanceStore instances;
    private final org.tether.compute.cinder.CinderAttachmentStore cinderAttachments;

    public OutgoingMigrations(Hypervisor hypervisor, AttachmentJournal journal, AttachmentLocks locks,
                              Teardown teardown, DiskBackups backups, MigrationPeers peers, MigrationStore store,
                              Clock clock, TetherConfig config, InstanceStore instances,
                              org.tether.compute.cinder.CinderAttachmentStore cinderAttachments) {
        this.instances = instances;
        this.cinderAttachments = cinderAttachments;
        this.hypervisor = hypervisor;
        this.journal = journal;
        this.locks = locks;
        this.teardown = teardown;
        this.backups = backups;
        this.peers = peers;
        this.store = store;
        this.clock = clock;
        this.timeout = config.migration().timeout();
    }

    /** The destination's connection_info (and encryption metadata) of one volume. */
    public record Target(JsonNode connectionInfo, JsonNode encryption) {
    }

    public record Request(String destination, Map<UUID, Target> volumes, Long maxDowntimeMs, Long bandwidthMibS) {
    }

    /** The outcome: where the guest runs now, how long it was paused, how long it all took. */
    public record Result(String domain, String destination, List<UUID> volumes, Long downtimeMs, long totalMs) {
    }

    /** A migration in progress, as its poller last read libvirt's job. */
    public static final class Progress {
        private final String destination;
        private volatile String phase = "preparing";
        private volatile Map<String, Object> job = Map.of();
        private volatile boolean cancelled;
        private volatile boolean pollFailed;

        Progress(String destination) {
            this.destination = destination;
        }

        public String destination() {
            return destination;
        }

        public String phase() {
            return phase;
        }

        public Map<String, Object> job() {
            return job;
        }
    }

    /** Domains whose migration this run drives now. */
    public Set<String> inProgress() {
        return Set.copyOf(running.keySet());
    }

    public java.util.Optional<Progress> progress(String domain) {
        return java.util.Optional.ofNullable(running.get(domain));
    }

    public Result migrate(String domain, Request req) {
        peers.peer(req.destination());
        List<AttachmentRecord> records = check(domain, req);
        Progress progress = new Progress(req.destination());
        if (running.putIfAbsent(domain, progress) != null || store.find(domain).isPresent()) {
            running.remove(domain, progress);
            throw new TetherException(ErrorCode.MIGRATION_BUSY, "domain", "domain " + domain + " is migrating already");
        }
        long start = System.nanoTime();
        try {
            List<UUID> ids = records.stream().map(AttachmentRecord::volumeId).toList();
            MigrationRecord m = new MigrationRecord(domain, req.destination(), MigrationRecord.Phase.PREPARING, ids,
                    clock.instant(), clock.instant());
            store.put(m);
            try {
                records = mark(records, Phase.MIGRATING);
            } catch (RuntimeException e) {
                undoHere(m, e.getMessage()); // only what this migration marked goes back to attached
                throw e;
            }
            Map<String, String> disks = prepareDestination(domain, req, records, m);
            progress.phase = "migrating";
            store.put(m = m.in(MigrationRecord.Phase.MIGRATING, clock.instant()));
            move(domain, req, disks, m, progress);
            progress.phase = "cleaning";
            store.put(m = m.in(MigrationRecord.Phase.CLEANING, clock.instant()));
            Long downtime = finish(m);
            long total = (System.nanoTime() - start) / 1_000_000;
            LOG.infof("migrated %s to %s with %d volumes in %d ms (downtime %s ms)", domain, req.destination(),
                    ids.size(), total, downtime);
            return new Result(domain, req.destination(), ids, downtime, total);
        } finally {
            running.remove(domain, progress);
        }
    }

    /** Everything that can be checked before anything is changed on either host. */
    private List<AttachmentRecord> check(String domain, Request req) {
        MigrationState state = hypervisor.migrationState(domain);
        if (state == MigrationState.ABSENT) {
            throw new TetherException(ErrorCode.DOMAIN_NOT_FOUND, "domain", "no domain named " + domain);
        }
        if (state != MigrationState.RUNNING) {
            throw new TetherException(ErrorCode.MIGRATION_UNSUPPORTED, "domain", "domain " + domain + " does not run "
                    + "(a live migration moves a running guest)");
        }
        instances.find(domain).filter(i -> i.phase() != InstanceRecord.Phase.ACTIVE).ifPresent(i -> {
            throw new TetherException(ErrorCode.MIGRATION_BUSY, "domain", "instance " + domain + " is "
                    + i.phase().name().toLowerCase(java.util.Locale.ROOT));
        });
        cinderAttachments.all().stream().filter(c -> domain.equals(c.instance())).findFirst().ifPresent(c -> {
            // the destination would need its own Cinder attachment, and the source's deleted after: not built yet
            throw new TetherException(ErrorCode.MIGRATION_UNSUPPORTED, "domain", "volume " + c.volumeId() + " of "
                    + domain + " is attached through Cinder attachment " + c.attachmentId() + "; migrating Cinder "
                    + "attachments is not supported yet");
        });
        List<AttachmentRecord> records = journal.all().stream().filter(r -> r.domain().equals(domain)).toList();
        for (AttachmentRecord r : records) {
            if (r.phase() != Phase.ATTACHED) {
                throw new TetherException(ErrorCode.MIGRATION_BUSY, "domain", "volume " + r.volumeId() + " of "
                        + domain + " is " + r.phase().name().toLowerCase(java.util.Locale.ROOT) + "; retry after it "
                        + "settles");
            }
            if (r.multiattach()) {
                throw new TetherException(ErrorCode.MIGRATION_UNSUPPORTED, "volumes", "volume " + r.volumeId()
                        + " is attached multiattach; migrating a shared volume is not supported yet");
            }
            backups.running(domain, r.volumeId()).ifPresent(b -> {
                throw new TetherException(ErrorCode.MIGRATION_BUSY, "domain", "volume " + r.volumeId()
                        + " is being backed up (backup " + b + ")");
            });
        }
        Map<UUID, Target> given = req.volumes() == null ? Map.of() : req.volumes();
        Set<UUID> attached = new TreeSet<>(records.stream().map(AttachmentRecord::volumeId).toList());
        for (UUID id : attached) {
            Target t = given.get(id);
            if (t == null || t.connectionInfo() == null || t.connectionInfo().isNull()) {
                throw new TetherException(ErrorCode.MISSING_FIELD, "volumes." + id, "volume " + id + " is attached "
                        + "to " + domain + ": its connection_info for the destination is needed");
            }
        }
        for (UUID id : given.keySet()) {
            if (!attached.contains(id)) {
                throw new TetherException(ErrorCode.INVALID_FIELD, "volumes." + id, "volume " + id + " is not "
                        + "attached to " + domain + " by this agent");
            }
        }
        return records;
    }

    private List<AttachmentRecord> mark(List<AttachmentRecord> records, Phase phase) {
        List<AttachmentRecord> out = new ArrayList<>();
        for (AttachmentRecord r : records) {
            try (var held = locks.volume(r.volumeId())) {
                var now = journal.find(r.volumeId(), r.domain());
                if (now.isEmpty()) {
                    continue;
                }
                if (phase == Phase.MIGRATING && now.get().phase() != Phase.ATTACHED) {
                    // a detach or another change began since the check: it keeps the volume
                    throw new TetherException(ErrorCode.MIGRATION_BUSY, "domain", "volume " + r.volumeId() + " of "
                            + r.domain() + " became " + now.get().phase().name().toLowerCase(java.util.Locale.ROOT));
                }
                AttachmentRecord next = now.get().withPhase(phase, clock.instant());
                journal.put(next);
                out.add(next);
            }
        }
        return out;
    }

    private Map<String, String> prepareDestination(String domain, Request req, List<AttachmentRecord> records,
                                                   MigrationRecord m) {
        List<Map<String, Object>> volumes = new ArrayList<>();
        for (AttachmentRecord r : records) {
            Target t = req.volumes().get(r.volumeId());
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("volume_id", r.volumeId().toString());
            v.put("connection_info", t.connectionInfo());
            if (t.encryption() != null && !t.encryption().isNull()) {
                v.put("encryption", t.encryption());
            }
            v.put("device", r.device().dev());
            v.put("bus", r.device().bus().wire());
            v.put("path", r.attachPath().wire());
            volumes.add(v);
        }
        org.tether.peer.PeerApi.Reply reply;
        try {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("domain", domain);
            body.put("volumes", volumes);
            instances.find(domain).ifPresent(i -> body.put("instance", Map.of("volume_ids", i.volumeIds(),
                    "fingerprint", i.fingerprint(), "console_log", i.consoleLog() == null ? "" : i.consoleLog(),
                    "created_at", i.createdAt().toString())));
            reply = peers.call(req.destination(), "POST", "/v1/migrations/incoming", body);
        } catch (RuntimeException e) {
            undoHere(m, "the destination did not answer the prepare");
            abortDestination(m);
            throw e;
        }
        if (!reply.ok()) {
            undoHere(m, "the destination refused the prepare");
            throw new TetherException(ErrorCode.MIGRATION_FAILED, "destination", "destination " + req.destination()
                    + " could not prepare the volumes of " + domain + " (" + reply.problem() + "); the guest runs here");
        }
        Map<String, String> disks = new LinkedHashMap<>();
        for (AttachmentRecord r : records) {
            JsonNode xml = reply.body() == null ? null : reply.body().path("disks").get(r.volumeId().toString());
            if (xml == null || !xml.isTextual()) {
                undoHere(m, "the destination's answer lacked a disk");
                abortDestination(m);
                throw new TetherException(ErrorCode.MIGRATION_FAILED, "destination " + req.destination()
                        + " answered no disk for volume " + r.volumeId());
            }
            disks.put(DiskXmlFactory.alias(r.volumeId()), xml.asText());
        }
        return disks;
    }

    private void move(String domain, Request req, Map<String, String> disks, MigrationRecord m, Progress progress) {
        MigrationConfig.Peer peer = peers.peer(req.destination());
        java.util.concurrent.ScheduledFuture<?> poll = null;
        try {
            String live = MigrationXml.rewrite(hypervisor.migratableXml(domain, false), disks, true);
            String persistent = hypervisor.migratableXml(domain, true);
            if (persistent != null) {
                persistent = MigrationXml.rewrite(persistent, disks, false);
            }
            if (req.maxDowntimeMs() != null) {
                hypervisor.setMaxDowntime(domain, req.maxDowntimeMs());
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            if (progress.cancelled) {
                throw new TetherException(ErrorCode.MIGRATION_FAILED, "cancelled before libvirt began");
            }
            poll = poller.scheduleWithFixedDelay(() -> poll(domain, progress, deadline), 200, 500,
                    TimeUnit.MILLISECONDS);
            hypervisor.migrate(domain, new LiveMigration(peer.libvirtUri(), live, persistent,
                    peer.migrateUri().orElse(null), peer.listenAddress().orElse(null), req.bandwidthMibS()));
        } catch (RuntimeException e) {
            if (poll != null) {
                poll.cancel(false);
            }
            if (left(domain)) {
                LOG.warnf("migration of %s reported a failure (%s) but the domain left this host: finishing it",
                        domain, e.getMessage());
                return;
            }
            undoHere(m, e.getMessage());
            abortDestination(m);
            throw new TetherException(ErrorCode.MIGRATION_FAILED, "the migration of " + domain + " to "
                    + req.destination() + " failed; the guest runs here with its disks: " + e.getMessage(), e);
        } finally {
            if (poll != null) {
                poll.cancel(false);
            }
        }
    }

    private void poll(String domain, Progress progress, long deadline) {
        try {
            progress.job = hypervisor.jobStats(domain, false);
            if (System.nanoTime() > deadline) {
                LOG.warnf("migration of %s ran past tether.migration.timeout: aborting it", domain);
                hypervisor.abortJob(domain);
            }
        } catch (RuntimeException e) {
            if (!progress.pollFailed) {
                LOG.warnf("migration progress of %s not read (reported once per migration): %s", domain,
                        e.getMessage());
                progress.pollFailed = true;
            }
        }
    }

    /** Whether the domain is gone from this host (after a migration that did happen). */
    private boolean left(String domain) {
        try {
            waitForJobEnd(domain);
            return hypervisor.migrationState(domain) == MigrationState.ABSENT;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Waits while libvirt still runs a job on the domain (a migration it drives on its own). */
    void waitForJobEnd(String domain) {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            Map<String, Object> job = hypervisor.jobStats(domain, false);
            Object type = job.get("type");
            if (job.isEmpty() || type == null || ((Long) type) == 0L) {
                return;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The guest runs on the destination: the volumes' host side here goes, the destination's are completed. */
    Long finish(MigrationRecord m) {
        for (UUID id : m.volumes()) {
            try (var held = locks.volume(id)) {
                journal.find(id, m.domain()).ifPresent(teardown::release);
            }
        }
        instances.find(m.domain()).ifPresent(i -> instances.remove(m.domain())); // the destination holds it now
        Long downtime = null;
        try {
            org.tether.peer.PeerApi.Reply reply = peers.call(m.peer(), "POST", "/v1/migrations/incoming/" + m.domain()
                    + "/complete", null);
            if (reply.ok() && reply.body() != null && reply.body().hasNonNull("downtime_ms")) {
                downtime = reply.body().get("downtime_ms").asLong();
            } else if (!reply.ok()) {
                LOG.warnf("destination %s did not complete %s (%s): it completes it by itself", m.peer(), m.domain(),
                        reply.problem());
            }
        } catch (RuntimeException e) {
            LOG.warnf("destination %s not told that %s arrived (%s): it completes it by itself", m.peer(), m.domain(),
                    e.getMessage());
        }
        store.remove(m.domain());
        return downtime;
    }

    /** The guest runs here still: its volumes are attached again, the migration is forgotten. */
    void undoHere(MigrationRecord m, String why) {
        for (UUID id : m.volumes()) {
            try (var held = locks.volume(id)) {
                journal.find(id, m.domain()).filter(r -> r.phase() == Phase.MIGRATING)
                        .ifPresent(r -> journal.put(r.withPhase(Phase.ATTACHED, clock.instant())));
            }
        }
        store.remove(m.domain());
        LOG.infof("migration of %s to %s undone here: %s", m.domain(), m.peer(), why);
    }

    /** Asks the destination to drop what it prepared; it does so by itself after its grace when it cannot be told. */
    void abortDestination(MigrationRecord m) {
        try {
            org.tether.peer.PeerApi.Reply reply = peers.call(m.peer(), "DELETE", "/v1/migrations/incoming/" + m.domain(), null);
            if (!reply.ok()) {
                LOG.warnf("destination %s did not undo what it prepared for %s (%s)", m.peer(), m.domain(),
                        reply.problem());
            }
        } catch (RuntimeException e) {
            LOG.warnf("destination %s not told to undo %s (%s): it does after its prepare grace", m.peer(), m.domain(),
                    e.getMessage());
        }
    }

    /** Cancels the domain's migration in progress; false when there is none. */
    public boolean cancel(String domain) {
        Progress p = running.get(domain);
        if (p == null) {
            return false;
        }
        p.cancelled = true;
        hypervisor.abortJob(domain);
        return true;
    }

    @jakarta.annotation.PreDestroy
    void close() {
        poller.shutdownNow();
    }
}
