package org.tether.compute.attach;

import org.tether.disk.ConnectedVolume;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;
import org.tether.compute.encryption.LuksPassphrases;
import org.tether.compute.libvirt.DiskHotplug;
import org.tether.compute.libvirt.DiskXmlFactory;
import org.tether.compute.libvirt.LibvirtXml;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.metrics.StepTimes;
import org.tether.state.AttachmentJournal;
import org.tether.state.AttachmentRecord;
import org.tether.state.AttachmentRecord.Phase;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * Takes an attachment apart from its journal record alone: disk out of the domain, host connection down,
 * record gone. Used by detach, by attach rollback and by recovery at start. The caller holds the volume lock.
 */
@ApplicationScoped
public class Teardown {
    private static final Logger LOG = Logger.getLogger(Teardown.class);

    private final DiskHotplug hotplug;
    private final Connectors connectors;
    private final AttachmentJournal journal;
    private final Duration detachTimeout;
    private final Clock clock;
    private final LuksPassphrases passphrases;

    private final org.tether.compute.backup.DiskBackups backups;
    public Teardown(DiskHotplug hotplug, Connectors connectors, AttachmentJournal journal, TetherConfig config,
                    Clock clock, LuksPassphrases passphrases, org.tether.compute.backup.DiskBackups backups) {
        this.backups = backups;
        this.passphrases = passphrases;
        this.hotplug = hotplug;
        this.connectors = connectors;
        this.journal = journal;
        this.detachTimeout = config.attach().detachTimeout();
        this.clock = clock;
    }

    /**
     * Detaches and disconnects. When the guest does not release the disk in time the record goes back to
     * ATTACHED with the error, nothing on the host is torn down, and DETACH_TIMEOUT is thrown. Refused (409
     * {@code backup_busy}, nothing changed) while a backup reads the disk: libvirt refuses to unplug a disk in a
     * block job, and Cinder refuses to detach a volume that is backing up. Refused as well (409 {@code
     * attachment_conflict}) while a live migration or a move owns the attachment.
     */
    public void detach(AttachmentRecord record) {
        if (record.phase().owned()) {
            throw new TetherException(ErrorCode.ATTACHMENT_CONFLICT, null, "attachment of " + record.volumeId()
                    + " to " + record.domain() + " is " + record.phase().name().toLowerCase(java.util.Locale.ROOT)
                    + "; detach it once that ends");
        }
        backups.running(record.domain(), record.volumeId()).ifPresent(b -> {
            throw new TetherException(ErrorCode.BACKUP_BUSY, "volume " + record.volumeId() + " on " + record.domain()
                    + " is being backed up (backup " + b + "); detach it once the backup ends");
        });
        journal.put(record.withPhase(Phase.DETACHING, clock.instant()));
        try {
            unplug(record);
        } catch (TetherException e) {
            if (e.code() == ErrorCode.DETACH_TIMEOUT) {
                journal.put(record.withError(Phase.ATTACHED, e.getMessage(), clock.instant()));
            }
            throw e;
        }
        disconnect(record);
        journal.remove(record);
        LOG.infof("detached volume %s from %s", record.volumeId(), record.domain());
    }

    /**
     * Undoes a failed attach. Returns the exception to throw: the original failure, with the rollback's
     * outcome in its detail.
     */
    public TetherException rollback(AttachmentRecord record, RuntimeException cause) {
        TetherException original = cause instanceof TetherException t ? t
                : new TetherException(ErrorCode.INTERNAL, cause.getMessage(), cause);
        try {
            unplug(record);
            disconnect(record);
            journal.remove(record);
            return new TetherException(original.code(), original.field(), original.getMessage() + "; rolled back");
        } catch (RuntimeException undo) {
            LOG.errorf("rollback of %s incomplete: %s", record.key(), undo.getMessage());
            journal.put(record.withError(Phase.ROLLBACK_PENDING, undo.getMessage(), clock.instant()));
            return new TetherException(original.code(), original.field(), original.getMessage()
                    + "; rollback incomplete (" + undo.getMessage() + "), it is retried every settle interval and at "
                    + "the next start");
        }
    }

    /**
     * The host side of an attachment whose disk is no longer this host's to unplug: the domain left for another
     * host with it (a migration), or never arrived. Disconnects and forgets it; the domain is not touched.
     */
    public void release(AttachmentRecord record) {
        disconnect(record);
        journal.remove(record);
        LOG.infof("released volume %s of %s on this host", record.volumeId(), record.domain());
    }

    private void unplug(AttachmentRecord record) {
        String alias = DiskXmlFactory.alias(record.volumeId());
        String serial = record.volumeId().toString();
        Optional<String> xml;
        try {
            xml = Optional.ofNullable(record.diskXml()).or(() -> StepTimes.step("libvirt_read",
                    () -> hotplug.find(record.domain(), alias, serial).map(LibvirtXml::write)));
        } catch (TetherException e) {
            if (e.code() == ErrorCode.DOMAIN_NOT_FOUND) {
                return; // the domain is gone, and its disks with it
            }
            throw e;
        }
        if (xml.isEmpty()) {
            return;
        }
        try {
            String disk = xml.get();
            StepTimes.step("libvirt_unplug", () -> hotplug.unplug(record.domain(), alias, serial, disk, detachTimeout));
        } catch (TetherException e) {
            if (e.code() != ErrorCode.DOMAIN_NOT_FOUND) {
                throw e;
            }
        }
    }

    private void disconnect(AttachmentRecord record) {
        ConnectedVolume connected = record.connected();
        if (connected == null) {
            if (record.phase() != Phase.CONNECTING) {
                return;
            }
            // a crash during connect: the connector may have got part-way; it undoes from the key and paths alone
            connectors.forRecord(record).disconnectInterrupted(record.key(), record.paths());
            return;
        }
        StepTimes.step("disconnect", () -> connectors.forRecord(record).disconnect(record.paths(), connected));
        if (connected.passphraseSecret() != null) {
            passphrases.release(connected.passphraseSecret()); // the passphrase lives no longer than the disk
        }
    }
}
