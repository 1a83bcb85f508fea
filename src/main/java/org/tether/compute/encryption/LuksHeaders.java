package org.tether.compute.encryption;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.tether.compute.connection.ChapCredentials;
import org.tether.compute.connection.ConnectionInfo;
import org.tether.compute.connection.IscsiConnectionInfo;
import org.tether.compute.connection.RbdConnectionInfo;
import org.tether.compute.rbd.CephHostSecret;
import org.tether.compute.libvirt.DiskSource;
import org.tether.config.TetherConfig;
import org.tether.encryption.LuksHeader;
import org.tether.encryption.SecretFile;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.exec.Command;
import org.tether.exec.CommandResult;
import org.tether.exec.CommandRunner;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;

/**
 * Reads an encrypted volume's LUKS header where this host reaches it before QEMU opens it: on the kernel path
 * from the host's device; on the qemu path with {@code qemu-img info} through QEMU's own iSCSI client (the
 * same initiator name, the CHAP password as a secret object from a 0600 file) or through its librbd (the cephx
 * key QEMU is given, the same way), as Nova reads it before an extend. Only the header is read; its key slots stay closed (qemu-img opens it without I/O and without the key).
 */
@ApplicationScoped
public class LuksHeaders {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How much of each end of a device must read zero for it to count as blank (partition tables, superblocks). */
    static final int BLANK_PROBE = 1 << 20;

    /** What the probe found. {@code header} is null for {@link Kind#NONE} and {@link Kind#UNKNOWN}. */
    public record Probe(Kind kind, LuksHeader header) {
        public enum Kind { LUKS, NONE, UNKNOWN }

        static final Probe UNKNOWN = new Probe(Kind.UNKNOWN, null);
        static final Probe NONE = new Probe(Kind.NONE, null);
    }

    private final CommandRunner runner;
    private final CephHostSecret hostKeys;
    private final Path secretDir;
    private final Duration timeout;

    @Inject
    public LuksHeaders(CommandRunner runner, CephHostSecret hostKeys, TetherConfig config) {
        this(runner, hostKeys, config.stateDir().resolve("luks-keys"), config.iscsi().commandTimeout());
    }

    public LuksHeaders(CommandRunner runner, CephHostSecret hostKeys, Path secretDir, Duration timeout) {
        this.runner = runner;
        this.hostKeys = hostKeys;
        this.secretDir = secretDir;
        this.timeout = timeout;
    }

    /**
     * The header of a connected volume; {@link Probe.Kind#UNKNOWN} where this host cannot read it (RBD).
     *
     * @param hostDevice the host's device on the kernel path, else null
     * @param source     what QEMU opens
     */
    public Probe probe(String hostDevice, DiskSource source, ConnectionInfo info) {
        if (hostDevice != null) {
            return fromHead(read(Path.of(hostDevice), 0, LuksHeader.PROBE_BYTES));
        }
        if (source instanceof DiskSource.NetworkIscsi n && info instanceof IscsiConnectionInfo iscsi) {
            return overIscsi(n, iscsi.sessionChap());
        }
        if (source instanceof DiskSource.NetworkRbd n && info instanceof RbdConnectionInfo rbd) {
            return overRbd(n, rbd);
        }
        return Probe.UNKNOWN;
    }

    /**
     * Through QEMU's librbd with the key QEMU gets: the connection_info's keyring, or the host's own key file
     * behind {@code tether.ceph.secret-uuid}. A secret someone else made (Nova's {@code rbd_secret_uuid}) is not
     * read back: then the header is not read here ({@link Probe.Kind#UNKNOWN}), and QEMU still checks it.
     */
    private Probe overRbd(DiskSource.NetworkRbd n, RbdConnectionInfo rbd) {
        String key = null;
        if (n.username() != null) {
            key = rbd.keyringKey() != null ? rbd.keyringKey()
                    : n.secretUuid() == null ? null : hostKeys.keyFor(n.secretUuid()).orElse(null);
            if (key == null) {
                return Probe.UNKNOWN;
            }
        }
        StringBuilder opts = new StringBuilder("file.driver=rbd,file.pool=").append(opt(n.pool()))
                .append(",file.image=").append(opt(n.image()));
        for (int i = 0; i < n.monitors().size(); i++) {
            opts.append(",file.server.").append(i).append(".host=").append(opt(n.monitors().get(i).host()))
                    .append(",file.server.").append(i).append(".port=").append(n.monitors().get(i).port());
        }
        if (n.configFile() != null) {
            opts.append(",file.conf=").append(opt(n.configFile()));
        }
        if (key == null) {
            return info(opts, null);
        }
        // QEMU hands the secret's bytes to librbd base64-encoded: the secret is the key's raw bytes
        opts.append(",file.user=").append(opt(n.username())).append(",file.key-secret=key0");
        return info(opts, org.tether.compute.connection.CephKeys.decode(key));
    }

    private static Probe fromHead(byte[] head) {
        return LuksHeader.parse(head).map(h -> new Probe(Probe.Kind.LUKS, h)).orElse(Probe.NONE);
    }

    /** A host device's size in bytes, from sysfs (its {@code size} in 512-byte sectors). */
    public static long deviceSize(Path device) {
        try {
            String name = device.toRealPath().getFileName().toString();
            return Long.parseLong(Files.readString(Path.of("/sys/class/block", name, "size")).trim()) * 512;
        } catch (IOException | NumberFormatException e) {
            throw new TetherException(ErrorCode.ISCSI_DEVICE_NOT_FOUND, "cannot read the size of " + device + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * True when the device's first and last megabyte read zero: nothing (partition table, filesystem, LVM,
     * MD or another LUKS) is on it, so a header may be written. A volume with data is never formatted.
     */
    public static boolean blank(Path device, long size) {
        int n = (int) Math.min(BLANK_PROBE, size);
        return zero(read(device, 0, n)) && zero(read(device, size - n, n));
    }

    private static boolean zero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    static byte[] read(Path device, long offset, int length) {
        try (FileChannel ch = FileChannel.open(device, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(length);
            while (buf.hasRemaining()) {
                if (ch.read(buf, offset + buf.position()) < 0) {
                    break;
                }
            }
            return java.util.Arrays.copyOf(buf.array(), buf.position());
        } catch (IOException e) {
            throw new TetherException(ErrorCode.ISCSI_DEVICE_NOT_FOUND, "cannot read " + device + ": "
                    + e.getMessage(), e);
        }
    }

    private Probe overIscsi(DiskSource.NetworkIscsi n, ChapCredentials chap) {
        StringBuilder opts = new StringBuilder("file.driver=iscsi,file.transport=tcp,file.portal=")
                .append(n.hosts().get(0).hostPort()).append(",file.target=").append(opt(n.iqn()))
                .append(",file.lun=").append(n.lun());
        if (n.initiator() != null) {
            opts.append(",file.initiator-name=").append(opt(n.initiator()));
        }
        if (chap != null) {
            opts.append(",file.user=").append(opt(chap.username())).append(",file.password-secret=key0");
        }
        return info(opts, chap == null ? null : chap.password().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * {@code qemu-img info} of the image options, {@code secret} (a CHAP password, a cephx key) as {@code key0};
     * the secret's bytes are zeroed here.
     */
    private Probe info(StringBuilder opts, byte[] secret) {
        SecretFile file = null;
        try {
            Command.Builder c = Command.of("qemu-img", timeout).args("info", "--output=json", "--force-share");
            if (secret != null) {
                try {
                    file = SecretFile.write(secretDir, secret);
                } finally {
                    java.util.Arrays.fill(secret, (byte) 0);
                }
                c.args("--object", file.object("key0"));
            }
            CommandResult r = runner.run(c.args("--image-opts", opts.toString()).build());
            if (!r.succeeded()) {
                if (r.stderr().contains("Unsupported LUKS version")) {
                    return new Probe(Probe.Kind.LUKS, new LuksHeader(2, 0));
                }
                throw new TetherException(ErrorCode.TARGET_UNAVAILABLE, "reading the volume's LUKS header through "
                        + "QEMU's own client failed: " + r.summary());
            }
            JsonNode info = JSON.readTree(r.stdout());
            if (!"luks".equals(info.path("format").asText())) {
                return Probe.NONE;
            }
            long offset = info.path("format-specific").path("data").path("payload-offset").asLong(-1);
            if (offset <= 0) {
                throw new TetherException(ErrorCode.COMMAND_FAILED, "qemu-img info named no LUKS payload offset");
            }
            return new Probe(Probe.Kind.LUKS, new LuksHeader(1, offset));
        } catch (IOException e) {
            throw new TetherException(ErrorCode.COMMAND_FAILED, "qemu-img info printed no readable JSON", e);
        } finally {
            if (file != null) {
                file.close();
            }
        }
    }

    /** A value inside {@code --image-opts}, where a comma is written twice. */
    private static String opt(String value) {
        return value.replace(",", ",,");
    }
}
