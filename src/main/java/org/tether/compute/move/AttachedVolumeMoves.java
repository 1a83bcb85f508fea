package org.tether.compute.move;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;
import org.tether.compute.cinder.CinderAttachmentStore;
import org.tether.compute.attach.AttachService;
import org.tether.compute.attach.AttachmentLocks;
import org.tether.compute.attach.Connectors;
import org.tether.compute.backup.DiskBackups;
import org.tether.compute.libvirt.DeviceEvents;
import org.tether.compute.libvirt.DiskHotplug;
import org.tether.compute.libvirt.DiskXml;
import org.tether.compute.libvirt.DiskXmlFactory;
import org.tether.compute.libvirt.Hypervisor;
import org.tether.compute.libvirt.LibvirtXml;
import org.tether.compute.libvirt.MigrationState;
import org.tether.disk.AttachPath;
import org.tether.disk.ConnectedVolume;
import org.tether.disk.VolumeConnector;
import org.tether.concurrent.Deadline;
import org.tether.config.TetherConfig;
import org.tether.connection.ConnectionInfo;
import org.tether.connection.ConnectionInfoParser;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.metrics.OperationMetrics;
import org.tether.metrics.StepTimes;
import org.tether.state.AttachmentJournal;
import org.tether.state.AttachmentRecord;
import org.tether.state.AttachmentRecord.Phase;

import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Moves an attached volume onto another while the guest runs, as Nova's swap_volume does: the new volume is
 * connected, libvirt copies the disk onto it mirroring the guest's writes ({@code virDomainBlockCopy}), and once in
 * sync the guest is pivoted to it; then the old one is disconnected. Device name, serial and QoS stay. Any failure
 * before the pivot leaves the guest on the old volume with the new one disconnected; after it, on the new one,
 * the old one's disconnect retried by {@link MoveRecovery} until done.
 */
@ApplicationScoped
public class AttachedVolumeMoves implements DeviceEvents {
    private static final Logger LOG = Logger.getLogger(AttachedVolumeMoves.class);
    /**
     * How often the copy's job is read when no event came (a lost event would otherwise leave it waiting): libvirt's
     * block job events say when it is ready or ended, and each read is a call into QEMU's monitor while it copies.
     */
    private static final Duration POLL = Duration.ofSeconds(2);

    private final ConnectionInfoParser parser;
    private final AttachService attach;
    private final Connectors connectors;
    private final AttachmentJournal journal;
    private final AttachmentLocks locks;
    private final MoveStore store;
    private final Hypervisor hypervisor;
    private final DiskHotplug hotplug;
    private final DiskBackups backups;
    private final CinderAttachmentStore cinderAttachments;
    private final OperationMetrics metrics;
    private final Duration timeout;
    private final Clock clock;
    private final ConcurrentMap<String, Running> running = new ConcurrentHashMap<>();
    private volatile AutoCloseable events;

    public AttachedVolumeMoves(ConnectionInfoParser parser, AttachService attach, Connectors connectors,
                               AttachmentJournal journal, AttachmentLocks locks, MoveStore store, Hypervisor hypervisor,
                               DiskHotplug hotplug, DiskBackups backups, CinderAttachmentStore cinderAttachments,
                               OperationMetrics metrics, TetherConfig config, Clock clock) {
        this.parser = parser;
        this.attach = attach;
        this.connectors = connectors;
        this.journal = journal;
        this.locks = locks;
        this.store = store;
        this.hypervisor = hypervisor;
        this.hotplug = hotplug;
        this.backups = backups;
        this.cinderAttachments = cinderAttachments;
        this.metrics = metrics;
        this.timeout = config.attach().moveTimeout();
        this.clock = clock;
    }

    /**
     * @param path           the attach path for the new connection, or null to choose by its transport
     * @param bandwidthMibS  a cap on the copy, or null
     */
    public record Request(JsonNode connectionInfo, AttachPath path, Long bandwidthMibS) {
    }

    /** A move in progress: its phase ({@code connecting}, {@code copying}, {@code pivoting}, {@code cleaning}) and bytes. */
    public record Progress(String phase, long copiedBytes, long totalBytes) {
    }

    private static final class Running {
        final String domain;
        final String dev;
        /** Released by libvirt's block job events (ready, failed, ...) and by a cancel: the copy's state to read. */
        final java.util.concurrent.Semaphore wake = new java.util.concurrent.Semaphore(0);
        volatile String phase = "connecting";
        volatile Hypervisor.BlockJob job;
        volatile boolean cancelled;

        Running(String domain, String dev) {
            this.domain = domain;
            this.dev = dev;
        }
    }

    /** libvirt's event loop: a copy became ready, failed or ended; its move reads the job's state at once. */
    @Override
    public void blockJob(String domain, String disk, int status) {
        running.values().stream().filter(r -> r.domain.equals(domain) && r.dev.equals(disk))
                .forEach(r -> r.wake.release());
    }

    private void subscribe() {
        if (events == null) {
            synchronized (this) {
                if (events == null) {
                    try {
                        events = hypervisor.onDeviceEvents(this);
                    } catch (RuntimeException e) {
                        LOG.warnf("no libvirt block job events (%s); moves read their job every %s", e.getMessage(),
                                POLL);
                        events = () -> { };
                    }
                }
            }
        }
    }

    public Optional<Progress> progress(String domain, UUID volumeId) {
        Running r = running.get(AttachmentRecord.key(volumeId, domain));
        if (r == null) {
            return Optional.empty();
        }
        Hypervisor.BlockJob job = r.job;
        if (r.phase.equals("copying")) {
            try {
                job = hypervisor.blockJob(domain, r.dev).orElse(job); // read when asked, not polled
            } catch (RuntimeException e) {
                LOG.debugf("progress of the move of %s on %s: %s", volumeId, domain, e.getMessage());
            }
        }
        return Optional.of(new Progress(r.phase, job == null ? 0 : job.cur(), job == null ? 0 : job.end()));
    }

    /**
     * Asks the move in progress to stop: the guest stays on the old volume.
     *
     * @return false when there is none; throws 409 once the guest was switched to the new volume
     */
    public boolean cancel(String domain, UUID volumeId) {
        Running r = running.get(AttachmentRecord.key(volumeId, domain));
        if (r == null) {
            return false;
        }
        if (r.phase.equals("pivoting") || r.phase.equals("cleaning")) {
            throw new TetherException(ErrorCode.ATTACHMENT_CONFLICT, null, "the move of " + volumeId + " on " + domain
                    + " is past its switch-over; the guest is on the new volume");
        }
        r.cancelled = true;
        r.wake.release();
        return true;
    }

    /** Moves the volume and answers its attachment as it is afterwards. */
    public AttachmentRecord move(String domain, UUID volumeId, Request req) {
        if (req.connectionInfo() == null || req.connectionInfo().isNull()) {
            throw TetherException.missing("connection_info");
        }
        ConnectionInfo info = parser.parse(req.connectionInfo());
        if (info.options().encrypted()) {
            throw new TetherException(ErrorCode.MOVE_UNSUPPORTED, "connection_info.data.encrypted", "moving an "
                    + "encrypted volume while attached is not supported yet; detach it and move it on the storage side");
        }
        if (req.bandwidthMibS() != null && req.bandwidthMibS() < 1) {
            throw TetherException.invalid("bandwidth_mib_s", "bandwidth_mib_s is at least 1");
        }
        AttachPath path = req.path() != null ? req.path() : attach.defaultPathFor(info);
        VolumeConnector connector = connectors.forAttach(path, info);
        String key = AttachmentRecord.key(volumeId, domain);
        Running run = new Running(domain, journal.find(volumeId, domain).map(r -> r.device() == null ? "" : r.device()
                .dev()).orElse(""));
        subscribe();
        if (running.putIfAbsent(key, run) != null) {
            throw new TetherException(ErrorCode.ATTACHMENT_CONFLICT, null, "volume " + volumeId + " on " + domain
                    + " is already moving");
        }
        try {
            return metrics.time("move", path.wire(), () -> {
                MoveRecord m = begin(domain, volumeId, info, path, req.bandwidthMibS());
                m = connect(m, connector, info);
                AttachmentRecord before = journal.find(volumeId, domain).orElseThrow();
                DiskXml target = DiskXmlFactory.build(volumeId, m.to().connected().source(), before.device(),
                        info.options(), false);
                if (!copy(m, before, target, run)) {
                    undo(m, "cancelled");
                    throw new TetherException(ErrorCode.MOVE_FAILED, "the move of " + volumeId + " on " + domain
                            + " was cancelled; the guest stays on the volume it had");
                }
                run.phase = "cleaning";
                return finish(m.in(MoveRecord.Phase.PIVOTED, clock.instant()));
            });
        } finally {
            running.remove(key, run);
        }
    }

    /** Every check, then the move journalled and the attachment marked; nothing on the host touched yet. */
    private MoveRecord begin(String domain, UUID volumeId, ConnectionInfo info, AttachPath path, Long bandwidthMibS) {
        try (var held = locks.volume(volumeId)) {
            AttachmentRecord r = journal.find(volumeId, domain).orElseThrow(() -> new TetherException(
                    ErrorCode.ATTACHMENT_NOT_FOUND, "volume_id", "volume " + volumeId + " is not attached to " + domain));
            if (r.phase() != Phase.ATTACHED || r.device() == null) {
                throw new TetherException(ErrorCode.ATTACHMENT_CONFLICT, null, "attachment of " + volumeId + " to "
                        + domain + " is " + r.phase().name().toLowerCase(Locale.ROOT) + "; retry after it settles");
            }
            if (r.multiattach()) {
                throw new TetherException(ErrorCode.MOVE_UNSUPPORTED, "volume_id", "volume " + volumeId + " is "
                        + "attached multiattach: the other domains would stay on the old volume");
            }
            if (r.connected() != null && r.connected().passphraseSecret() != null) {
                throw new TetherException(ErrorCode.MOVE_UNSUPPORTED, "volume_id", "volume " + volumeId + " is LUKS, "
                        + "opened by QEMU; moving an encrypted volume while attached is not supported yet");
            }
            cinderAttachments.all().stream().filter(c -> domain.equals(c.instance()) && volumeId.equals(c.volumeId()))
                    .findFirst().ifPresent(c -> {
                        throw new TetherException(ErrorCode.MOVE_UNSUPPORTED, "volume_id", "volume " + volumeId
                                + " is attached through Cinder attachment " + c.attachmentId() + "; Cinder moves "
                                + "it by its own migration");
                    });
            backups.running(domain, volumeId).ifPresent(b -> {
                throw new TetherException(ErrorCode.BACKUP_BUSY, "volume_id", "volume " + volumeId + " is being "
                        + "backed up (backup " + b + "); move it once the backup ends");
            });
            MigrationState state = hypervisor.migrationState(domain);
            if (state == MigrationState.ABSENT) {
                throw new TetherException(ErrorCode.DOMAIN_NOT_FOUND, "domain", "no domain named " + domain);
            }
            if (state != MigrationState.RUNNING) {
                throw new TetherException(ErrorCode.MOVE_UNSUPPORTED, "domain", "domain " + domain + " does not run: "
                        + "a move copies through the running guest's QEMU; detach, move on the storage side, attach");
            }
            String toKey = r.key() + "#" + UUID.randomUUID().toString().substring(0, 8);
            MoveRecord m = new MoveRecord(volumeId, domain, MoveRecord.Phase.CONNECTING, MoveRecord.Side.of(r),
                    new MoveRecord.Side(toKey, path, info.driverVolumeType(), AttachService.paths(info), null),
                    bandwidthMibS == null ? null : bandwidthMibS * 1024 * 1024, clock.instant(), clock.instant(),
                    null);
            store.put(m);
            journal.put(r.withPhase(Phase.MOVING, clock.instant()));
            return m;
        }
    }

    /** The new connection made and journalled; on failure nothing of the move is left. */
    private MoveRecord connect(MoveRecord m, VolumeConnector connector, ConnectionInfo info) {
        ConnectedVolume c;
        try {
            c = StepTimes.step("connect", () -> connector.connect(m.to().key(), m.volumeId(), info));
        } catch (RuntimeException e) {
            settleBack(m, e.getMessage()); // the connector undid its own part
            throw e;
        }
        MoveRecord next = m.connected(c, clock.instant());
        try {
            store.put(next);
        } catch (RuntimeException e) {
            undo(next, e.getMessage());
            throw e;
        }
        return next;
    }

    /**
     * Copies and pivots. True once the guest is on the new volume; false when cancelled before (the copy
     * abandoned). Throws after undoing the move when the copy fails before the pivot.
     */
    private boolean copy(MoveRecord m, AttachmentRecord before, DiskXml target, Running run) {
        String dev = before.device().dev();
        Deadline deadline = Deadline.in(timeout);
        try {
            StepTimes.step("libvirt_copy", () -> hypervisor.blockCopy(m.domain(), dev, LibvirtXml.write(target),
                    m.bandwidthBytes()));
            run.phase = "copying";
            while (true) {
                if (run.cancelled) {
                    hypervisor.endBlockJob(m.domain(), dev, false);
                    return false;
                }
                Optional<Hypervisor.BlockJob> job = StepTimes.step("libvirt_job", () -> hypervisor.blockJob(m.domain(),
                        dev));
                if (job.isEmpty()) {
                    throw new TetherException(ErrorCode.MOVE_FAILED, "the copy of " + m.volumeId() + " ended before "
                            + "it was in sync: the domain stopped, or QEMU could not open or write the new volume (it must be "
                            + "as large as the old one, to the byte)");
                }
                run.job = job.get();
                if (job.get().ready()) {
                    run.phase = "pivoting";
                    try {
                        StepTimes.step("libvirt_pivot", () -> hypervisor.endBlockJob(m.domain(), dev, true));
                        return true;
                    } catch (Hypervisor.BlockJobNotReady notYet) {
                        run.phase = "copying"; // the guest wrote since: in sync again shortly
                    }
                }
                if (deadline.expired()) {
                    hypervisor.endBlockJob(m.domain(), dev, false);
                    throw new TetherException(ErrorCode.MOVE_FAILED, "the copy of " + m.volumeId() + " did not get "
                            + "in sync within tether.attach.move-timeout (" + timeout + "); the guest writes faster "
                            + "than it copies, or the new volume is slow");
                }
                StepTimes.step("wait", () -> await(run));
            }
        } catch (RuntimeException e) {
            Optional<Boolean> moved = where(m.domain(), m.volumeId(), target);
            if (moved.isEmpty()) {
                // libvirt cannot say which volume the guest reads: never take either down on a guess
                store.put(m.withError(e.getMessage(), clock.instant()));
                throw new TetherException(ErrorCode.MOVE_FAILED, "the move of " + m.volumeId() + " was interrupted "
                        + "and libvirt cannot say yet which volume the guest reads (" + e.getMessage() + "); the "
                        + "next settle pass finishes or undoes it", e);
            }
            if (moved.get()) {
                LOG.warnf("move of %s on %s: %s, yet the guest is on the new volume", m.volumeId(), m.domain(),
                        e.getMessage());
                return true;
            }
            abandon(m.domain(), dev);
            undo(m, e.getMessage());
            throw e instanceof TetherException t && t.code() == ErrorCode.MOVE_FAILED ? e
                    : new TetherException(ErrorCode.MOVE_FAILED, "the move of " + m.volumeId() + " failed before the "
                            + "switch-over, the guest stays on the volume it had: " + e.getMessage(), e);
        }
    }

    /**
     * The guest is on the new volume: the attachment names it, then the old connection goes. A disconnect that
     * fails is left to {@link MoveRecovery} (the move record stays PIVOTED); the move has succeeded all the same.
     */
    AttachmentRecord finish(MoveRecord m) {
        store.put(m);
        AttachmentRecord moved;
        try (var held = locks.volume(m.volumeId())) {
            AttachmentRecord r = journal.find(m.volumeId(), m.domain()).orElseThrow(() -> new IllegalStateException(
                    "attachment " + m.key() + " vanished during its move"));
            if (r.phase() == Phase.MOVING) {
                String xml = r.diskXml() == null ? null : LibvirtXml.write(DiskXmlFactory.withSource(
                        LibvirtXml.readDisk(r.diskXml()), m.to().connected().source()));
                r = r.movedTo(m.to().path(), m.to().driverVolumeType(), m.to().paths(), m.to().connected(), xml,
                        clock.instant());
                journal.put(r);
            }
            moved = r;
        }
        try {
            StepTimes.step("disconnect", () -> connectors.forRecorded(m.from().path(), m.from().driverVolumeType())
                    .disconnect(m.from().paths(), m.from().connected()));
            store.remove(m.key());
            LOG.infof("moved volume %s of %s onto its new connection (%s path)", m.volumeId(), m.domain(),
                    m.to().path().wire());
        } catch (RuntimeException e) {
            store.put(m.withError(e.getMessage(), clock.instant()));
            LOG.warnf("moved volume %s of %s; the old connection is not down yet (%s): retried every settle interval",
                    m.volumeId(), m.domain(), e.getMessage());
        }
        return moved;
    }

    /** Before the pivot: the new connection down, the move forgotten, the attachment back on the old volume. */
    void undo(MoveRecord m, String why) {
        ConnectedVolume c = m.to().connected();
        VolumeConnector connector = connectors.forRecorded(m.to().path(), m.to().driverVolumeType());
        try {
            if (c != null) {
                connector.disconnect(m.to().paths(), c);
            } else {
                connector.disconnectInterrupted(m.to().key(), m.to().paths());
            }
        } catch (RuntimeException e) {
            store.put(m.withError(e.getMessage(), clock.instant()));
            LOG.errorf("undo of the move of %s on %s incomplete (%s): retried every settle interval", m.volumeId(),
                    m.domain(), e.getMessage());
            return;
        }
        settleBack(m, why);
    }

    private void settleBack(MoveRecord m, String why) {
        try (var held = locks.volume(m.volumeId())) {
            journal.find(m.volumeId(), m.domain()).filter(r -> r.phase() == Phase.MOVING)
                    .ifPresent(r -> journal.put(r.withError(Phase.ATTACHED, "move undone: " + why, clock.instant())));
            store.remove(m.key());
        }
    }

    /** Abandons a copy still going (the guest keeps its disk); a failure is only logged, the job dies with QEMU. */
    void abandon(String domain, String dev) {
        try {
            hypervisor.endBlockJob(domain, dev, false);
        } catch (RuntimeException e) {
            LOG.debugf("no copy to abandon on %s of %s: %s", dev, domain, e.getMessage());
        }
    }

    /**
     * Whether the guest's disk (live, else as defined) reads from {@code target}'s source; false when the domain
     * or its disk is gone, empty when libvirt cannot be asked.
     */
    Optional<Boolean> where(String domain, UUID volumeId, DiskXml target) {
        try {
            return Optional.of(hotplug.find(domain, DiskXmlFactory.alias(volumeId), volumeId.toString())
                    .filter(d -> DiskXmlFactory.sameSource(d, target)).isPresent());
        } catch (TetherException e) {
            return e.code() == ErrorCode.DOMAIN_NOT_FOUND ? Optional.of(false) : Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Whether a move of this attachment runs in this process. */
    boolean inProgress(String key) {
        return running.containsKey(key);
    }

    /** Until an event or a cancel concerns the copy, or {@link #POLL} passed. */
    private static void await(Running run) {
        try {
            if (run.wake.tryAcquire(POLL.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                run.wake.drainPermits();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TetherException(ErrorCode.INTERNAL, "interrupted while copying", e);
        }
    }
}
