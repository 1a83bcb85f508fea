package org.tether.compute.attach;

import org.tether.disk.VolumeConnector;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;
import org.tether.compute.libvirt.DomainState;
import org.tether.compute.libvirt.Hypervisor;
import org.tether.config.TetherConfig;
import org.tether.concurrent.Deadline;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.state.AttachmentRecord;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * Lets a domain see a volume the storage side grew, as Nova's extend_volume does: the host re-reads the
 * device (kernel path: every path's SCSI disk and the multipath map) until it has the size, then
 * {@code virDomainBlockResize} tells QEMU and the guest. On the qemu path QEMU asks the target itself.
 */
@ApplicationScoped
public class LiveResize {
    private static final Logger LOG = Logger.getLogger(LiveResize.class);

    private final AttachedDisks disks;
    private final AttachmentLocks locks;
    private final Connectors connectors;
    private final Hypervisor hypervisor;
    private final Duration deviceTimeout;

    @jakarta.inject.Inject
    public LiveResize(AttachedDisks disks, AttachmentLocks locks, Connectors connectors, Hypervisor hypervisor,
                      TetherConfig config) {
        this(disks, locks, connectors, hypervisor, config.iscsi().deviceTimeout());
    }

    LiveResize(AttachedDisks disks, AttachmentLocks locks, Connectors connectors, Hypervisor hypervisor,
               Duration deviceTimeout) {
        this.disks = disks;
        this.locks = locks;
        this.connectors = connectors;
        this.hypervisor = hypervisor;
        this.deviceTimeout = deviceTimeout;
    }

    /** The disk's size afterwards. */
    public record Resized(AttachmentRecord attachment, long sizeBytes, long previousBytes) {
    }

    /**
     * @param requested the size the storage side now has, in bytes; needed on the qemu path, optional on
     *                  the kernel path (where it is waited for; without it the rescanned size is used)
     */
    public Resized extend(UUID volumeId, String domain, OptionalLong requested) {
        try (var held = locks.volume(volumeId)) {
            AttachmentRecord r = disks.require(volumeId, domain);
            long header = 0;
            if (r.connected() != null && r.connected().passphraseSecret() != null) {
                // the guest's size is the volume's less the LUKS header, whose length the header said at attach;
                // a resize to the volume's own size would ask QEMU for more than there is (Nova subtracts it too)
                if (r.connected().luksPayloadOffset() == null) {
                    throw new TetherException(ErrorCode.UNSUPPORTED_ENCRYPTION, "new_size", "the length of this "
                            + "encrypted volume's LUKS header was not read when it was attached (RBD behind a "
                            + "secret this agent cannot read back, or attached by an earlier Tether): detach it, "
                            + "extend it, attach it again");
                }
                header = r.connected().luksPayloadOffset();
            }
            DomainState state = hypervisor.domainState(domain);
            String dev = r.device().dev();
            long before = state.active() ? hypervisor.blockCapacity(domain, dev) : -1;
            VolumeConnector connector = connectors.forRecord(r);
            long size = hostSize(connector, r, requested) - header;
            if (before >= 0 && size < before) {
                throw new TetherException(ErrorCode.ATTACHMENT_CONFLICT, "new_size", "the volume has "
                        + size + " bytes, the disk " + before + "; volumes only grow");
            }
            if (state.active() && size > before) {
                hypervisor.blockResize(domain, dev, size);
            }
            long after = state.active() ? hypervisor.blockCapacity(domain, dev) : size;
            LOG.infof("extended volume %s in %s (%s): %d -> %d bytes", volumeId, domain, dev, before, after);
            return new Resized(r, after, before);
        }
    }

    private long hostSize(VolumeConnector connector, AttachmentRecord r, OptionalLong requested) {
        OptionalLong first = connector.refreshSize(r.connected());
        if (first.isEmpty()) {
            return requested.orElseThrow(() -> TetherException.missing("new_size"));
        }
        if (requested.isEmpty() || first.getAsLong() >= requested.getAsLong()) {
            return first.getAsLong();
        }
        long want = requested.getAsLong();
        Optional<Long> reached = Deadline.in(deviceTimeout).poll(() -> {
            long now = connector.refreshSize(r.connected()).getAsLong();
            return now >= want ? Optional.of(now) : Optional.empty();
        }, Duration.ofMillis(50), Duration.ofMillis(500));
        return reached.orElseThrow(() -> new TetherException(ErrorCode.ISCSI_DEVICE_NOT_FOUND, "new_size",
                "the host device did not reach " + want + " bytes within " + deviceTimeout
                        + "; has the storage side grown the volume?"));
    }
}
