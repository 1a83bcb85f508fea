package org.tether.compute.encryption;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import org.tether.connection.ConnectionInfo;
import org.tether.disk.DiskSource;
import org.tether.config.TetherConfig;
import org.tether.encryption.EncryptionSpec;
import org.tether.encryption.LuksFormatter;
import org.tether.exec.CommandRunner;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.nio.file.Path;

/**
 * An encrypted volume made ready for QEMU to open, between the host's connect and the hot-plug: its LUKS header
 * read (the payload offset is recorded for a later live extend); a volume with no header formatted on its first
 * use, as Nova does on the kernel path (os-brick's LUKS encryptor formats any volume that is not LUKS; here only
 * one whose first and last megabyte read zero, so a volume holding anything is never overwritten), and on the
 * qemu path too, through QEMU's own client (where Nova formats nothing); a LUKS2 header or a volume with data
 * and no header refused with the reason.
 */
@ApplicationScoped
public class LuksFirstUse {
    private static final Logger LOG = Logger.getLogger(LuksFirstUse.class);

    private final LuksHeaders headers;
    private final QemuVolumeAccess access;
    private final LuksFormatter formatter;

    @Inject
    public LuksFirstUse(LuksHeaders headers, QemuVolumeAccess access, CommandRunner runner, TetherConfig config) {
        this(headers, access, new LuksFormatter(runner, config.stateDir().resolve("luks-keys"),
                config.encryption().luksIterTime()));
    }

    public LuksFirstUse(LuksHeaders headers, QemuVolumeAccess access, LuksFormatter formatter) {
        this.headers = headers;
        this.access = access;
        this.formatter = formatter;
    }

    /**
     * @param hostDevice the host's device on the kernel path, else null
     * @return the payload offset in bytes, or null where this host cannot read the header (QEMU still checks it)
     */
    public Long prepare(String volume, String hostDevice, DiskSource source, ConnectionInfo info,
                        EncryptionSpec spec, byte[] passphrase) {
        LuksHeaders.Probe probe = headers.probe(hostDevice, source, info);
        if (probe.kind() == LuksHeaders.Probe.Kind.UNKNOWN) {
            return null;
        }
        if (probe.kind() == LuksHeaders.Probe.Kind.LUKS) {
            if (probe.header().version() != 1) {
                throw new TetherException(ErrorCode.UNSUPPORTED_ENCRYPTION, "encryption.provider", "the volume has a "
                        + "LUKS" + probe.header().version() + " header; QEMU opens LUKS1 only (provider luks)");
            }
            return probe.header().payloadOffsetBytes();
        }
        if (hostDevice == null) {
            return overQemuClient(volume, source, info, spec, passphrase, probe.size());
        }
        Path device = Path.of(hostDevice);
        long size = LuksHeaders.deviceSize(device);
        if (!LuksHeaders.blank(device, size)) {
            throw holdsData();
        }
        formatter.format(hostDevice, size, spec, passphrase);
        LuksHeaders.Probe formatted = headers.probe(hostDevice, source, info);
        if (formatted.kind() != LuksHeaders.Probe.Kind.LUKS) {
            throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "the LUKS header written onto " + hostDevice
                    + " does not read back");
        }
        return formatted(volume, formatted, spec);
    }

    /** The same on the qemu path, through QEMU's own client (qemu-io reads the ends, qemu-img writes the header). */
    private Long overQemuClient(String volume, DiskSource source, ConnectionInfo info, EncryptionSpec spec,
                                byte[] passphrase, long size) {
        try (QemuVolumeAccess.Access a = access.of(source, info).orElseThrow()) {
            if (size <= 0 || !headers.blank(a, size)) {
                throw holdsData();
            }
            formatter.formatOnto(a.fileOptions(), a.secret(), spec, passphrase);
            LuksHeaders.Probe formatted = headers.probe(a);
            if (formatted.kind() != LuksHeaders.Probe.Kind.LUKS) {
                throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "the LUKS header written onto volume "
                        + volume + " does not read back");
            }
            return formatted(volume, formatted, spec);
        }
    }

    private static TetherException holdsData() {
        return new TetherException(ErrorCode.UNSUPPORTED_ENCRYPTION, "encryption", "the volume has no LUKS header "
                + "but holds data (its first or last megabyte is not zero); Tether formats only a blank volume, "
                + "so nothing on it is overwritten");
    }

    private static Long formatted(String volume, LuksHeaders.Probe formatted, EncryptionSpec spec) {
        LOG.infof("volume %s was blank: formatted with LUKS1 (%s, %d-bit key) on its first use", volume,
                spec.cipher(), spec.keySizeBits());
        return formatted.header().payloadOffsetBytes();
    }
}
