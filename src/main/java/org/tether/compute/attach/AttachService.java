package org.tether.compute.attach;

import org.tether.disk.AttachPath;
import org.tether.disk.ConnectedVolume;
import org.tether.disk.VolumeConnector;
import org.tether.metrics.OperationMetrics;
import org.tether.metrics.StepTimes;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;
import org.tether.connection.ConnectionInfo;
import org.tether.connection.ConnectionInfoParser;
import org.tether.connection.IscsiConnectionInfo;
import org.tether.encryption.EncryptionSpec;
import org.tether.encryption.EncryptionSpecParser;
import org.tether.compute.encryption.LuksFirstUse;
import org.tether.compute.encryption.LuksPassphrases;
import org.tether.compute.encryption.LuksRefusals;
import org.tether.compute.libvirt.DiskHotplug;
import org.tether.compute.libvirt.DiskXmlFactory;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.state.AttachmentJournal;
import org.tether.state.AttachmentRecord;
import org.tether.state.AttachmentRecord.Phase;

import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

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
    private final OperationMetrics metrics;
    private final LuksPassphrases passphrases;
    private final LuksFirstUse firstUse;

    private final AttachPath defaultPath;

    public AttachService(ConnectionInfoParser parser, Connectors connectors, DiskHotplug hotplug,
                         AttachmentJournal journal, AttachmentLocks locks, Teardown teardown, Clock clock,
                         OperationMetrics metrics, org.tether.config.TetherConfig config,
                         LuksPassphrases passphrases, LuksFirstUse firstUse) {
        this.passphrases = passphrases;
        this.firstUse = firstUse;
        this.metrics = metrics;
        this.defaultPath = config.attach().defaultPath();
        this.parser = parser;
        this.connectors = connectors;
        this.hotplug = hotplug;
        this.journal = journal;
        this.locks = locks;
        this.teardown = teardown;
        this.clock = clock;
    }

    /**
     * An attach request validated in full; nothing on the host was touched yet.
     *
     * @param encryption the volume's LUKS encryption when QEMU must open it, else null
     */
    public record Prepared(AttachCommand cmd, ConnectionInfo info, VolumeConnector connector, String fingerprint,
                           EncryptionSpec encryption) {
    }

    /** Every check that needs no host state: connection_info, volume id, a connector for the path. */
    public Prepared prepare(AttachCommand cmd, String field) {
        ConnectionInfo info = parser.parse(cmd.connectionInfo());
        if (cmd.path() == null) {
            cmd = cmd.withPath(defaultPathFor(info));
        }
        if (info.volumeId() != null && !info.volumeId().equals(cmd.volumeId())) {
            throw new TetherException(ErrorCode.VOLUME_ID_MISMATCH, field + ".volume_id",
                    "connection_info names volume " + info.volumeId() + ", the request " + cmd.volumeId());
        }
        EncryptionSpec encryption = info.options().encrypted() ? encryption(cmd) : null;
        return new Prepared(cmd, info, connectors.forAttach(cmd.path(), info), Fingerprint.of(cmd, info), encryption);
    }

    private static EncryptionSpec encryption(AttachCommand cmd) {
        if (cmd.encryption() == null || cmd.encryption().isNull()) {
            throw new TetherException(ErrorCode.MISSING_FIELD, "encryption", "connection_info says the volume is "
                    + "encrypted: its encryption metadata (Cinder's GET /v3/{project}/volumes/{id}/encryption) is "
                    + "needed in encryption");
        }
        EncryptionSpec spec = EncryptionSpecParser.parse(cmd.encryption(), "encryption");
        if (spec != null && cmd.multiattach()) {
            throw new TetherException(ErrorCode.UNSUPPORTED_ENCRYPTION, "multiattach", "an encrypted volume is "
                    + "attached to one domain at a time (Cinder refuses multiattach encrypted volumes too)");
        }
        return spec;
    }

    /**
     * The path of a request that names none: RBD goes through QEMU's librbd, as Nova attaches it (there is
     * no kernel RBD path), NVMe over TCP through the host's kernel (QEMU has no NVMe-oF client); everything
     * else takes {@code tether.attach.default-path}.
     */
    public AttachPath defaultPathFor(ConnectionInfo info) {
        if (info instanceof org.tether.connection.NvmeofConnectionInfo) {
            return AttachPath.KERNEL;
        }
        return info instanceof org.tether.connection.RbdConnectionInfo ? AttachPath.QEMU : defaultPath;
    }

    public AttachmentRecord attach(AttachCommand request) {
        Prepared p = prepare(request, "connection_info");
        return metrics.time("attach", p.cmd().path().wire(), () -> attachTimed(p));
    }

    private AttachmentRecord attachTimed(Prepared p) {
        AttachCommand cmd = p.cmd();
        String fingerprint = p.fingerprint();
        try (var held = StepTimes.step("lock", () -> locks.volume(cmd.volumeId()))) {
            Optional<AttachmentRecord> existing = journal.find(cmd.volumeId(), cmd.domain());
            if (existing.isPresent()) {
                return repeat(existing.get(), fingerprint);
            }
            checkNotElsewhere(cmd);
            // a 404 for an unknown domain, before anything is touched; on the qemu path the connect is only a
            // libvirt secret, so the domain's lock is kept from this read to the plug, which picks its device
            // name from it (a host login is never made under it)
            boolean hold = cmd.path() == AttachPath.QEMU && p.encryption() == null;
            try (DiskHotplug.Reading domain = StepTimes.step("libvirt_read", () -> hotplug.read(cmd.domain(), hold))) {
                refuseForeignDisk(domain, cmd);
                byte[] passphrase = passphrase(p);
                try {
                    return attachNew(p, passphrase, domain);
                } finally {
                    if (passphrase != null) {
                        java.util.Arrays.fill(passphrase, (byte) 0);
                    }
                }
            }
        }
    }

    /** A disk of the volume in the domain that no record of Tether's explains: someone else's; never a second one. */
    private static void refuseForeignDisk(DiskHotplug.Reading domain, AttachCommand cmd) {
        if (domain.find(DiskXmlFactory.alias(cmd.volumeId()), cmd.volumeId().toString()).isPresent()) {
            throw new TetherException(ErrorCode.ATTACHMENT_CONFLICT, "volume_id", "domain " + cmd.domain()
                    + " already has a disk for volume " + cmd.volumeId() + " that Tether did not attach");
        }
    }

    /**
     * The LUKS passphrase of an encrypted volume (null for others), fetched before anything on the host is
     * touched, so a key manager that is away or a key that does not fit leaves the host as it was. The caller
     * zeroes it when done.
     */
    public byte[] passphrase(Prepared p) {
        return p.encryption() == null ? null : passphrases.passphrase(p.encryption());
    }

    /**
     * After the connect of an encrypted volume: its LUKS header read (a blank volume on the kernel path formatted)
     * and the passphrase secret's UUID journalled before the secret exists, so every teardown (rollback, detach,
     * recovery) takes it away. Then {@link #holdPassphrase} puts the passphrase where QEMU reads it.
     */
    public AttachmentRecord journalLuks(Prepared p, AttachmentRecord record, byte[] passphrase) {
        Long payloadOffset = firstUse.prepare(p.cmd().volumeId().toString(), record.connected().hostDevice(),
                record.connected().source(), p.info(), p.encryption(), passphrase);
        record = record.withConnected(record.connected().withPassphrase(
                LuksPassphrases.secretUuid(p.cmd().volumeId()), payloadOffset), clock.instant());
        journal.put(record);
        return record;
    }

    public void holdPassphrase(AttachmentRecord record, byte[] passphrase) {
        passphrases.hold(record.volumeId(), passphrase);
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

    /** Refuses a volume that another domain holds, unless all of them share it (multiattach). */
    public void checkNotElsewhere(AttachCommand cmd) {
        List<AttachmentRecord> others = journal.forVolume(cmd.volumeId());
        if (!others.isEmpty() && !(cmd.multiattach() && others.stream().allMatch(AttachmentRecord::multiattach))) {
            throw new TetherException(ErrorCode.ATTACHMENT_CONFLICT, "volume_id", "volume " + cmd.volumeId()
                    + " is attached to " + others.get(0).domain() + "; only multiattach volumes can be shared");
        }
    }

    /**
     * Connects the host side, journalled: CONNECTING before, CONNECTED after. The caller holds the volume
     * lock. On failure the connector has cleaned up and the record is gone.
     */
    public AttachmentRecord connect(Prepared p) {
        return connect(p, java.util.function.UnaryOperator.identity());
    }

    /**
     * The same, the record journalled after the connect being {@code then} of the CONNECTED one (a migration's
     * prepare records the disk and its INCOMING phase in that one write).
     */
    public AttachmentRecord connect(Prepared p, java.util.function.UnaryOperator<AttachmentRecord> then) {
        AttachCommand cmd = p.cmd();
        ConnectionInfo info = p.info();
        AttachmentRecord record = new AttachmentRecord(cmd.volumeId(), cmd.domain(), Phase.CONNECTING,
                cmd.path(), info.driverVolumeType(), paths(info), null, cmd.multiattach(), null, null,
                info.options().qos().ignoredKeys(), p.fingerprint(), clock.instant(), clock.instant(), null);
        Optional<ConnectedVolume> planned = p.connector().planned(record.key(), cmd.volumeId(), info);
        if (planned.isPresent()) {
            return connectPlanned(p, then.apply(record.withConnected(planned.get(), clock.instant())));
        }
        journal.put(record);
        try {
            String key = record.key();
            record = record.withConnected(StepTimes.step("connect", () -> p.connector().connect(key, cmd.volumeId(),
                    info)), clock.instant());
        } catch (RuntimeException e) {
            journal.remove(record);
            throw e;
        }
        try {
            record = then.apply(record);
            journal.put(record);
        } catch (RuntimeException e) {
            // the journal cannot say what was connected (a full state disk, seen in the soak): undo it now,
            // or the CONNECTING record left behind is undone by the next settle pass
            undoConnect(p, record);
            throw e;
        }
        return record;
    }

    /** Disconnects and forgets; what cannot be undone now stays recorded for the settle pass or the next start. */
    private void undoConnect(Prepared p, AttachmentRecord record) {
        try {
            p.connector().disconnect(record.paths(), record.connected());
            journal.remove(record);
        } catch (RuntimeException undo) {
            LOG.errorf("undo of connect %s incomplete: %s", record.key(), undo.getMessage());
        }
    }

    /**
     * A connect whose outcome was known beforehand (QEMU's own clients: a libvirt secret named by the
     * attachment): one journal write, before the host is touched, says what it makes, so a crash at any point
     * after is undone from it or, once the disk is in the domain, finished (one fsynced write fewer than
     * CONNECTING then CONNECTED).
     */
    private AttachmentRecord connectPlanned(Prepared p, AttachmentRecord record) {
        journal.put(record);
        ConnectedVolume made;
        try {
            made = StepTimes.step("connect", () -> p.connector().connect(record.key(), p.cmd().volumeId(),
                    p.info()));
        } catch (RuntimeException e) {
            // the connector undid its own part (libvirtd away: nothing to ask it anyway); the record goes
            journal.remove(record);
            throw e;
        }
        if (!made.equals(record.connected())) {
            undoConnect(p, record);
            throw new IllegalStateException("connector " + p.connector().getClass().getSimpleName()
                    + " made another connection than it planned");
        }
        return record;
    }

    private AttachmentRecord attachNew(Prepared p, byte[] passphrase, DiskHotplug.Reading domain) {
        AttachCommand cmd = p.cmd();
        ConnectionInfo info = p.info();
        AttachmentRecord record = connect(p);
        try {
            if (passphrase != null) {
                record = journalLuks(p, record, passphrase);
                holdPassphrase(record, passphrase);
            }
            AttachmentRecord connected = record;
            UUID luks = record.connected().passphraseSecret();
            DiskHotplug.Plugged plugged;
            try {
                plugged = StepTimes.step("libvirt_plug", () -> domain.plug(cmd.requestedDevice(),
                        cmd.bus(), dev -> DiskXmlFactory.build(cmd.volumeId(),
                                connected.connected().source(), dev, info.options(), cmd.multiattach(), luks),
                        fresh -> refuseForeignDisk(fresh, cmd)));
            } catch (TetherException e) {
                throw luks == null ? e : LuksRefusals.explain(e, p.encryption());
            }
            record = record.withDisk(plugged.device(), plugged.xml(), clock.instant()).withPhase(Phase.ATTACHED,
                    clock.instant());
            journal.put(record);
            LOG.infof("attached volume %s to %s as %s (%s path)", cmd.volumeId(), cmd.domain(),
                    plugged.device().dev(), cmd.path().wire());
            return record;
        } catch (RuntimeException e) {
            throw teardown.rollback(record, namedTarget(e, info));
        }
    }

    /** QEMU's own iSCSI client says only that it could not connect; the answer names the target and portals. */
    private static RuntimeException namedTarget(RuntimeException e, ConnectionInfo info) {
        if (!(e instanceof TetherException t) || t.code() != ErrorCode.TARGET_UNAVAILABLE) {
            return e;
        }
        String where = paths(info).stream().map(p -> p.iqn() + " at " + p.portal().hostPort()).distinct()
                .collect(java.util.stream.Collectors.joining(", "));
        return new TetherException(ErrorCode.TARGET_UNAVAILABLE, "QEMU could not reach "
                + (where.isEmpty() ? "the volume's server" : where) + " (portal down, target not there yet, or "
                + "login refused); retry later: " + t.getMessage(), e);
    }

    /** The portals (iSCSI) or transport paths (NVMe/TCP) a journal record keeps for a connection. */
    public static List<org.tether.connection.IscsiPath> paths(ConnectionInfo info) {
        if (info instanceof org.tether.connection.NvmeofConnectionInfo n) {
            return n.paths();
        }
        return info instanceof IscsiConnectionInfo i ? i.paths() : List.of();
    }
}
