package org.tether.compute.rbd;

import jakarta.enterprise.context.ApplicationScoped;
import org.tether.disk.AttachPath;
import org.tether.disk.ConnectedVolume;
import org.tether.disk.Drift;
import org.tether.disk.VolumeConnector;
import org.tether.connection.ConnectionInfo;
import org.tether.connection.IscsiPath;
import org.tether.connection.RbdConnectionInfo;
import org.tether.disk.DiskSource;
import org.tether.connection.CephKeys;
import org.tether.compute.libvirt.Hypervisor;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * RBD through QEMU's own librbd, as Nova attaches Cinder's RBD volumes: nothing on the host but the cephx
 * key in a libvirt secret, never a kernel {@code rbd map}. The key comes from, in this order: a
 * {@code keyring} sent in the connection_info (then a secret of this attachment alone, removed at detach),
 * the {@code secret_uuid} it names, or the host's {@code tether.ceph.secret-uuid}.
 */
@ApplicationScoped
public class QemuRbdConnector implements VolumeConnector {
    private final Hypervisor hypervisor;
    private final CephHostSecret hostSecret;
    private final LibrbdClientConf clientConf;

    public QemuRbdConnector(Hypervisor hypervisor, CephHostSecret hostSecret, LibrbdClientConf clientConf) {
        this.hypervisor = hypervisor;
        this.hostSecret = hostSecret;
        this.clientConf = clientConf;
    }

    @Override
    public AttachPath path() {
        return AttachPath.QEMU;
    }

    @Override
    public String driverVolumeType() {
        return RbdConnectionInfo.TYPE;
    }

    @Override
    public boolean supports(ConnectionInfo info) {
        return info instanceof RbdConnectionInfo;
    }

    /** The secret of one attachment's own key: derived from the attachment, so a retry finds it again. */
    public static UUID secretUuid(String attachmentKey) {
        return UUID.nameUUIDFromBytes(("tether-cephx:" + attachmentKey).getBytes(StandardCharsets.UTF_8));
    }

    public static String secretUsage(String attachmentKey) {
        return "tether-ceph/" + attachmentKey;
    }

    /**
     * Known beforehand unless the key is a shared secret (the host's or one the controller names), which is
     * looked up, and made from the host's key file when missing, at the connect.
     */
    @Override
    public Optional<ConnectedVolume> planned(String attachmentKey, UUID volumeId, ConnectionInfo info) {
        RbdConnectionInfo rbd = (RbdConnectionInfo) info;
        String conf = rbd.monitors().isEmpty() ? null : clientConf.path();
        if (!rbd.authEnabled()) {
            return Optional.of(connected(rbd, null, null, conf));
        }
        if (rbd.keyringKey() != null) {
            UUID own = secretUuid(attachmentKey);
            return Optional.of(connected(rbd, own, own, conf));
        }
        return Optional.empty();
    }

    @Override
    public ConnectedVolume connect(String attachmentKey, UUID volumeId, ConnectionInfo info) {
        RbdConnectionInfo rbd = (RbdConnectionInfo) info;
        // Tether's librbd settings only when the monitors are listed: without them librbd must read the
        // host's own ceph.conf for mon_host. Written first: nothing is left to undo if it fails.
        String conf = rbd.monitors().isEmpty() ? null : clientConf.ensure();
        if (!rbd.authEnabled()) {
            return connected(rbd, null, null, conf);
        }
        if (rbd.keyringKey() != null) {
            UUID own = secretUuid(attachmentKey);
            byte[] raw = CephKeys.decode(rbd.keyringKey());
            try {
                hypervisor.defineCephSecret(own, secretUsage(attachmentKey),
                        "cephx key of client." + rbd.authUsername() + " for " + attachmentKey + " (Tether)", raw);
            } finally {
                Arrays.fill(raw, (byte) 0);
            }
            return connected(rbd, own, own, conf);
        }
        return connected(rbd, sharedSecret(rbd), null, conf);
    }

    /** The secret named by the controller, else the host's; it must hold a key before QEMU is asked. */
    private UUID sharedSecret(RbdConnectionInfo rbd) {
        Optional<UUID> host = hostSecret.uuid();
        UUID use = rbd.secretUuid() != null ? rbd.secretUuid() : host.orElse(null);
        if (use == null) {
            throw new TetherException(ErrorCode.CEPH_SECRET_MISSING, "connection_info.data.secret_uuid",
                    "the connection_info names no secret_uuid and carries no keyring, and this host has no "
                            + "tether.ceph.secret-uuid");
        }
        if (host.isPresent() && host.get().equals(use) && !hypervisor.secretExists(use)) {
            hostSecret.ensure();
        }
        if (!hypervisor.secretExists(use)) {
            throw new TetherException(ErrorCode.CEPH_SECRET_MISSING, "connection_info.data.secret_uuid",
                    "libvirt on this host has no secret " + use + " (Nova's rbd_secret_uuid): set "
                            + "tether.ceph.secret-uuid and tether.ceph.key-file, or have Cinder send the keyring");
        }
        return use;
    }

    private static ConnectedVolume connected(RbdConnectionInfo rbd, UUID used, UUID own, String conf) {
        DiskSource source = new DiskSource.NetworkRbd(rbd.pool(), rbd.image(), rbd.monitors(),
                rbd.authUsername(), used, conf);
        return new ConnectedVolume(source, null, List.of(), null, own);
    }

    /** Only the attachment's own secret goes; a shared one (the host's, Nova's) stays for the others. */
    @Override
    public void disconnect(List<IscsiPath> paths, ConnectedVolume connected) {
        if (connected != null && connected.secretUuid() != null) {
            hypervisor.undefineSecret(connected.secretUuid());
        }
    }

    /** A connect cut short may have defined the attachment's own secret; a shared one is never touched. */
    @Override
    public void disconnectInterrupted(String attachmentKey, List<IscsiPath> paths) {
        hypervisor.undefineSecret(secretUuid(attachmentKey));
    }

    /**
     * A missing secret means QEMU cannot reconnect to the monitors after a restart of the domain. The host's
     * configured secret is made again from its key file; an attachment's own key cannot be (it was only in
     * the request), and neither can a secret the operator made.
     */
    @Override
    public HostCheck check(List<IscsiPath> paths, ConnectedVolume connected) {
        return check(paths, connected, hypervisor::secretExists);
    }

    @Override
    public HostCheck check(List<IscsiPath> paths, ConnectedVolume connected,
                           java.util.function.Predicate<UUID> secretExists) {
        if (connected == null || !(connected.source() instanceof DiskSource.NetworkRbd r) || r.secretUuid() == null
                || secretExists.test(r.secretUuid())) {
            return new HostCheck(List.of(), connected);
        }
        if (hostSecret.uuid().filter(r.secretUuid()::equals).isPresent()) {
            try {
                hostSecret.ensure();
                return new HostCheck(List.of(Drift.repaired("secret_missing", "libvirt secret " + r.secretUuid()
                        + " was gone; made again from tether.ceph.key-file")), connected);
            } catch (TetherException e) {
                // reported below
            }
        }
        return new HostCheck(List.of(Drift.found("secret_missing", "libvirt secret " + r.secretUuid()
                + " is gone; QEMU cannot reconnect to Ceph after a restart of the domain")), connected);
    }

    /** QEMU reads the image's size from Ceph; the block resize tells the guest. */
    @Override
    public OptionalLong refreshSize(ConnectedVolume connected) {
        return OptionalLong.empty();
    }
}
