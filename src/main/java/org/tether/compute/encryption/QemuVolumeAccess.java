package org.tether.compute.encryption;

import jakarta.enterprise.context.ApplicationScoped;
import org.tether.connection.CephKeys;
import org.tether.connection.ChapCredentials;
import org.tether.connection.ConnectionInfo;
import org.tether.connection.IscsiConnectionInfo;
import org.tether.connection.RbdConnectionInfo;
import org.tether.disk.DiskSource;
import org.tether.compute.rbd.CephHostSecret;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * How qemu-img and qemu-io reach a volume the way QEMU itself does on the qemu path: the protocol node's
 * {@code --image-opts} (iSCSI with the host's initiator name, or librbd on the listed monitors with Tether's
 * client conf) and its secret, named {@code key0}: the CHAP password, or the cephx key's raw bytes (QEMU hands
 * them to librbd base64-encoded). A cephx key is available from the connection_info's keyring or the host's key
 * file behind {@code tether.ceph.secret-uuid}; a secret someone else made (Nova's {@code rbd_secret_uuid}) is not
 * read back, and then there is no access from here.
 */
@ApplicationScoped
public class QemuVolumeAccess {
    /**
     * The protocol node's options ({@code file.*}) and the secret they name as {@code key0}, or null;
     * {@link #close()} zeroes the secret.
     */
    public record Access(String fileOptions, byte[] secret) implements AutoCloseable {
        @Override
        public void close() {
            if (secret != null) {
                java.util.Arrays.fill(secret, (byte) 0);
            }
        }
    }

    private final CephHostSecret hostKeys;

    public QemuVolumeAccess(CephHostSecret hostKeys) {
        this.hostKeys = hostKeys;
    }

    public Optional<Access> of(DiskSource source, ConnectionInfo info) {
        if (source instanceof DiskSource.NetworkIscsi n && info instanceof IscsiConnectionInfo iscsi) {
            return Optional.of(iscsi(n, iscsi.sessionChap()));
        }
        if (source instanceof DiskSource.NetworkRbd n && info instanceof RbdConnectionInfo rbd) {
            return rbd(n, rbd);
        }
        return Optional.empty();
    }

    private static Access iscsi(DiskSource.NetworkIscsi n, ChapCredentials chap) {
        StringBuilder opts = new StringBuilder("file.driver=iscsi,file.transport=tcp,file.portal=")
                .append(n.hosts().get(0).hostPort()).append(",file.target=").append(opt(n.iqn()))
                .append(",file.lun=").append(n.lun());
        if (n.initiator() != null) {
            opts.append(",file.initiator-name=").append(opt(n.initiator()));
        }
        if (chap == null) {
            return new Access(opts.toString(), null);
        }
        opts.append(",file.user=").append(opt(chap.username())).append(",file.password-secret=key0");
        return new Access(opts.toString(), chap.password().getBytes(StandardCharsets.UTF_8));
    }

    private Optional<Access> rbd(DiskSource.NetworkRbd n, RbdConnectionInfo rbd) {
        StringBuilder opts = new StringBuilder("file.driver=rbd,file.pool=").append(opt(n.pool()))
                .append(",file.image=").append(opt(n.image()));
        for (int i = 0; i < n.monitors().size(); i++) {
            opts.append(",file.server.").append(i).append(".host=").append(opt(n.monitors().get(i).host()))
                    .append(",file.server.").append(i).append(".port=").append(n.monitors().get(i).port());
        }
        if (n.configFile() != null) {
            opts.append(",file.conf=").append(opt(n.configFile()));
        }
        if (n.username() == null) {
            return Optional.of(new Access(opts.toString(), null));
        }
        String key = rbd.keyringKey() != null ? rbd.keyringKey()
                : n.secretUuid() == null ? null : hostKeys.keyFor(n.secretUuid()).orElse(null);
        if (key == null) {
            return Optional.empty();
        }
        opts.append(",file.user=").append(opt(n.username())).append(",file.key-secret=key0");
        return Optional.of(new Access(opts.toString(), CephKeys.decode(key)));
    }

    /** A value inside {@code --image-opts}, where a comma is written twice. */
    static String opt(String value) {
        return value.replace(",", ",,");
    }
}
