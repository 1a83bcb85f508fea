package org.tether.compute.attach;

import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;
import org.tether.compute.connection.ConnectionInfo;
import org.tether.compute.connection.ConnectionInfoParser;
import org.tether.compute.connection.IscsiConnectionInfo;
import org.tether.compute.libvirt.DiskHotplug;
import org.tether.compute.libvirt.DiskXmlFactory;
import org.tether.compute.libvirt.LibvirtXml;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.state.AttachmentJournal;
import org.tether.state.AttachmentRecord;
import org.tether.state.AttachmentRecord.Phase;

import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * Attach: validate everything, record the intent, connect the host, plug the disk, record the result.
 * A failure undoes what this request did, in reverse order; an undo that itself fails is recorded so the
 * next start finishes it.
 */
@ApplicationScoped
public class AttachService {
    private static final Logger LOG = Logger.getLogger(AttachService.class);

    private final ConnectionInfoParser parser;
    private final Connectors connectors;
    private final DiskHotplug hotplug;
    private final AttachmentJournal journal;
    private final AttachmentLocks locks;
    private final Teardown teardown;
    private final Clock clock;

    public AttachService(ConnectionInfoParser parser, Connectors connectors, DiskHotplug hotplug,
                         AttachmentJournal journal, AttachmentLocks locks, Teardown teardown, Clock clock) {
        this.parser = parser;
        this.connectors = connectors;
        this.hotplug = hotplug;
        this.journal = journal;
        this.locks = locks;
        this.teardown = teardown;
        this.clock = clock;
    }

    public AttachmentRecord attach(AttachCommand cmd) {
        ConnectionInfo info = parser.parse(cmd.connectionInfo());
        if (info.volumeId() != null && !info.volumeId().equals(cmd.volumeId())) {
            throw new TetherException(ErrorCode.VOLUME_ID_MISMATCH, "connection_info.volume_id",
                    "connection_info names volume " + info.volumeId() + ", the URL " + cmd.volumeId());
        }
        VolumeConnector connector = connectors.forAttach(cmd.path(), info);
        String fingerprint = Fingerprint.of(cmd, info);
        try (var held = locks.volume(cmd.volumeId())) {
            Optional<AttachmentRecord> existing = journal.find(cmd.volumeId(), cmd.domain());
            if (existing.isPresent()) {
                return repeat(existing.get(), fingerprint);
            }
            checkNotElsewhere(cmd);
            hotplug.state(cmd.domain()); // 404 before anything is touched
            if (hotplug.find(cmd.domain(), DiskXmlFactory.alias(cmd.volumeId()), cmd.volumeId().toString())
                    .isPresent()) {
                throw new TetherException(ErrorCode.ATTACHMENT_CONFLICT, "volume_id", "domain " + cmd.domain()
                        + " already has a disk for volume " + cmd.volumeId() + " that Tether did not attach");
            }
            return attachNew(cmd, info, connector, fingerprint);
        }
    }

    private AttachmentRecord repeat(AttachmentRecord r, String fingerprint) {
        if (r.phase() == Phase.ATTACHED && r.fingerprint().equals(fingerprint)) {
            return r;
        }
        if (r.phase() == Phase.ATTACHED) {
            throw new TetherException(ErrorCode.ATTACHMENT_CONFLICT, "connection_info", "volume " + r.volumeId()
                    + " is already attached to " + r.domain() + " with a different request; detach it first");
        }
        throw new TetherException(ErrorCode.ATTACHMENT_CONFLICT, null, "attachment of " + r.volumeId() + " to "
                + r.domain() + " is " + r.phase().name().toLowerCase() + "; retry after it settles");
    }

    private void checkNotElsewhere(AttachCommand cmd) {
        List<AttachmentRecord> others = journal.forVolume(cmd.volumeId());
        if (!others.isEmpty() && !(cmd.multiattach() && others.stream().allMatch(AttachmentRecord::multiattach))) {
            throw new TetherException(ErrorCode.ATTACHMENT_CONFLICT, "volume_id", "volume " + cmd.volumeId()
                    + " is attached to " + others.get(0).domain() + "; only multiattach volumes can be shared");
        }
    }

    private AttachmentRecord attachNew(AttachCommand cmd, ConnectionInfo info, VolumeConnector connector,
                                       String fingerprint) {
        AttachmentRecord record = new AttachmentRecord(cmd.volumeId(), cmd.domain(), Phase.CONNECTING,
                cmd.path(), info.driverVolumeType(), paths(info), null, cmd.multiattach(), null, null,
                info.options().qos().ignoredKeys(), fingerprint, clock.instant(), clock.instant(), null);
        journal.put(record);
        try {
            record = record.withConnected(connector.connect(record.key(), cmd.volumeId(), info), clock.instant());
        } catch (RuntimeException e) {
            // the connector cleaned up after itself
            journal.remove(record);
            throw e;
        }
        journal.put(record);
        try {
            AttachmentRecord connected = record;
            DiskHotplug.Plugged plugged = hotplug.plug(cmd.domain(), cmd.requestedDevice(), cmd.bus(),
                    dev -> LibvirtXml.write(DiskXmlFactory.build(cmd.volumeId(), connected.connected().source(),
                            dev, info.options(), cmd.multiattach())));
            record = record.withDisk(plugged.device(), plugged.xml(), clock.instant()).withPhase(Phase.ATTACHED,
                    clock.instant());
            journal.put(record);
            LOG.infof("attached volume %s to %s as %s (%s path)", cmd.volumeId(), cmd.domain(),
                    plugged.device().dev(), cmd.path().wire());
            return record;
        } catch (RuntimeException e) {
            throw teardown.rollback(record, e);
        }
    }

    private static List<org.tether.compute.connection.IscsiPath> paths(ConnectionInfo info) {
        return info instanceof IscsiConnectionInfo i ? i.paths() : List.of();
    }
}
