package org.tether.compute.attach;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import org.tether.compute.libvirt.DiskHotplug;
import org.tether.compute.libvirt.DiskXml;
import org.tether.compute.libvirt.DiskXmlFactory;
import org.tether.disk.GuestDevice;
import org.tether.compute.libvirt.LibvirtXml;
import org.tether.config.TetherConfig;
import org.tether.error.TetherException;
import org.tether.state.AttachmentJournal;
import org.tether.state.AttachmentRecord;
import org.tether.state.AttachmentRecord.Phase;

import java.time.Clock;
import java.util.Optional;

/**
 * At start, finishes or undoes every attachment an earlier run left in flight: a connect that never reached
 * the domain is undone, a plug that did reach it is recorded as attached, a detach is finished.
 */
@ApplicationScoped
public class AttachmentRecovery {
    private static final Logger LOG = Logger.getLogger(AttachmentRecovery.class);

    private final AttachmentJournal journal;
    private final AttachmentLocks locks;
    private final Teardown teardown;
    private final DiskHotplug hotplug;
    private final TetherConfig config;
    private final Clock clock;

    public AttachmentRecovery(AttachmentJournal journal, AttachmentLocks locks, Teardown teardown,
                              DiskHotplug hotplug, TetherConfig config, Clock clock) {
        this.journal = journal;
        this.locks = locks;
        this.teardown = teardown;
        this.hotplug = hotplug;
        this.config = config;
        this.clock = clock;
    }

    void onStart(@Observes StartupEvent event) {
        if (config.mode() != TetherConfig.Mode.STORAGE) {
            recover();
        }
    }

    /** @return how many records were in flight */
    public int recover() {
        int n = 0;
        for (AttachmentRecord r : journal.all()) {
            if (r.phase() == Phase.ATTACHED || r.phase().owned()) {
                continue; // a migration's or a move's records are its recovery's
            }
            n++;
            try (var held = locks.volume(r.volumeId())) {
                recoverOne(r);
            } catch (TetherException e) {
                LOG.errorf("could not recover attachment %s (%s): %s", r.key(), r.phase(), e.getMessage());
            }
        }
        return n;
    }

    /**
     * A rollback that failed, a detach that stopped half-way, or a connect whose journal write failed
     * (libvirtd or the target away, a full state disk) is taken to its end every
     * {@code tether.attach.settle-interval}, as the next start would, so the volume does not stay blocked
     * (a controller retrying gets 409 until it settles; the soak showed each of these).
     */
    @io.quarkus.scheduler.Scheduled(every = "${tether.attach.settle-interval:15s}",
            delayed = "${tether.attach.settle-interval:15s}",
            concurrentExecution = io.quarkus.scheduler.Scheduled.ConcurrentExecution.SKIP, identity = "rollback-settle")
    void settle() {
        if (config.mode() == TetherConfig.Mode.STORAGE) {
            return;
        }
        settleUnfinished();
    }

    /** @return how many unsettled records (not attached, owned by no request) were taken to their end */
    public int settleUnfinished() {
        int done = 0;
        for (AttachmentRecord listed : journal.all()) {
            if (listed.phase() == Phase.ATTACHED || listed.phase().owned()) {
                continue;
            }
            try (var held = locks.volume(listed.volumeId())) {
                // read again under the lock: every request holds it while it works, so a record still not
                // settled now belongs to no request (its own failed to finish it): it ends as at a start
                Optional<AttachmentRecord> now = journal.find(listed.volumeId(), listed.domain());
                if (now.isEmpty() || now.get().phase() == Phase.ATTACHED || now.get().phase().owned()) {
                    continue;
                }
                recoverOne(now.get());
                if (journal.find(listed.volumeId(), listed.domain()).isEmpty()) {
                    done++;
                }
            } catch (TetherException e) {
                LOG.debugf("pending rollback of %s not settled yet: %s", listed.key(), e.getMessage());
            }
        }
        return done;
    }

    private void recoverOne(AttachmentRecord r) {
        switch (r.phase()) {
            case DETACHING -> teardown.detach(r);
            case CONNECTED -> {
                Optional<DiskXml> disk = findDisk(r);
                if (disk.isPresent() && disk.get().target != null) {
                    GuestDevice dev = new GuestDevice(disk.get().targetDev(),
                            GuestDevice.Bus.valueOf(disk.get().target.bus.toUpperCase(java.util.Locale.ROOT)));
                    journal.put(r.withDisk(dev, LibvirtXml.write(disk.get()), clock.instant())
                            .withPhase(Phase.ATTACHED, clock.instant()));
                    LOG.infof("recovered attachment %s: the disk reached the domain", r.key());
                } else {
                    undo(r);
                }
            }
            default -> undo(r);
        }
    }

    private void undo(AttachmentRecord r) {
        RuntimeException outcome = teardown.rollback(r, new TetherException(
                org.tether.error.ErrorCode.INTERNAL, "interrupted " + r.phase().name().toLowerCase()));
        LOG.infof("undid attachment %s: %s", r.key(), outcome.getMessage());
    }

    private Optional<DiskXml> findDisk(AttachmentRecord r) {
        try {
            return hotplug.find(r.domain(), DiskXmlFactory.alias(r.volumeId()), r.volumeId().toString());
        } catch (TetherException e) {
            return Optional.empty();
        }
    }
}
