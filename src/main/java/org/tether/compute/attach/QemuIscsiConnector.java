package org.tether.compute.attach;

import org.tether.disk.AttachPath;
import org.tether.disk.Drift;
import org.tether.disk.VolumeConnector;
import org.tether.disk.ConnectedVolume;
import jakarta.enterprise.context.ApplicationScoped;
import org.tether.connection.ChapCredentials;
import org.tether.connection.ConnectionInfo;
import org.tether.connection.IscsiConnectionInfo;
import org.tether.connection.IscsiPath;
import org.tether.compute.connector.HostConnector;
import org.tether.disk.DiskSource;
import org.tether.compute.libvirt.Hypervisor;
import org.tether.error.TetherException;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * QEMU's own iSCSI client (libiscsi): no host session at all. QEMU logs in with this host's initiator name,
 * the one the connector reported, so per-initiator ACLs admit it. CHAP goes into a libvirt secret that lives
 * exactly as long as the attachment; its UUID is derived from the attachment so a retry finds it again.
 */
@ApplicationScoped
public class QemuIscsiConnector implements VolumeConnector {
    private final Hypervisor hypervisor;
    private final HostConnector host;

    public QemuIscsiConnector(Hypervisor hypervisor, HostConnector host) {
        this.hypervisor = hypervisor;
        this.host = host;
    }

    @Override
    public AttachPath path() {
        return AttachPath.QEMU;
    }

    @Override
    public String driverVolumeType() {
        return IscsiConnectionInfo.TYPE;
    }

    @Override
    public boolean supports(ConnectionInfo info) {
        return info instanceof IscsiConnectionInfo;
    }

    public static UUID secretUuid(String attachmentKey) {
        return UUID.nameUUIDFromBytes(("tether-chap:" + attachmentKey).getBytes(StandardCharsets.UTF_8));
    }

    public static String secretUsage(String attachmentKey) {
        return "tether/" + attachmentKey;
    }

    /** Always known beforehand: the source names the first path, the secret's UUID and usage the attachment. */
    @Override
    public java.util.Optional<ConnectedVolume> planned(String attachmentKey, UUID volumeId, ConnectionInfo info) {
        IscsiConnectionInfo iscsi = (IscsiConnectionInfo) info;
        ChapCredentials chap = iscsi.sessionChap();
        if (chap != null && chap.mutual()) {
            throw TetherException.invalid("connection_info.auth_username_in",
                    "mutual CHAP is not supported by QEMU's iSCSI client; use attach_path kernel");
        }
        // QEMU's client has no multipath: it uses the first path, as listed by the controller
        IscsiPath path = iscsi.primaryPath();
        UUID secret = chap == null ? null : secretUuid(attachmentKey);
        String usage = chap == null ? null : secretUsage(attachmentKey);
        DiskSource source = new DiskSource.NetworkIscsi(path.iqn(), path.lun(), List.of(path.portal()),
                chap == null ? null : chap.username(), usage, host.initiator().orElse(null));
        return java.util.Optional.of(new ConnectedVolume(source, null, List.of(), null, secret));
    }

    @Override
    public ConnectedVolume connect(String attachmentKey, UUID volumeId, ConnectionInfo info) {
        ConnectedVolume planned = planned(attachmentKey, volumeId, info).orElseThrow();
        ChapCredentials chap = ((IscsiConnectionInfo) info).sessionChap();
        if (chap != null) {
            byte[] value = chap.password().getBytes(StandardCharsets.UTF_8);
            try {
                hypervisor.defineIscsiSecret(planned.secretUuid(), secretUsage(attachmentKey), value);
            } finally {
                Arrays.fill(value, (byte) 0);
            }
        }
        return planned;
    }

    @Override
    public void disconnect(List<IscsiPath> paths, ConnectedVolume connected) {
        if (connected != null && connected.secretUuid() != null) {
            hypervisor.undefineSecret(connected.secretUuid());
        }
    }

    @Override
    public void disconnectInterrupted(String attachmentKey, List<IscsiPath> paths) {
        hypervisor.undefineSecret(secretUuid(attachmentKey));
    }

    /** QEMU keeps its own session; the host holds only the CHAP secret, which cannot be re-made without it. */
    @Override
    public HostCheck check(List<IscsiPath> paths, ConnectedVolume connected) {
        return check(paths, connected, hypervisor::secretExists);
    }

    @Override
    public HostCheck check(List<IscsiPath> paths, ConnectedVolume connected,
                           java.util.function.Predicate<UUID> secretExists) {
        if (connected != null && connected.secretUuid() != null && connected.source() instanceof
                org.tether.disk.DiskSource.NetworkIscsi n && n.chapUsername() != null
                && !secretExists.test(connected.secretUuid())) {
            return new HostCheck(List.of(Drift.found("secret_missing", "libvirt secret " + connected.secretUuid()
                    + " is gone; QEMU cannot log in again after a restart of the domain")), connected);
        }
        return new HostCheck(List.of(), connected);
    }

    @Override
    public OptionalLong refreshSize(ConnectedVolume connected) {
        return OptionalLong.empty();
    }
}
