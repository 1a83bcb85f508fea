package org.tether.compute.encryption;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.tether.connection.ConnectionInfo;
import org.tether.disk.DiskSource;
import org.tether.config.TetherConfig;
import org.tether.encryption.LuksHeader;
import org.tether.encryption.QemuSecretFile;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.exec.Command;
import org.tether.exec.CommandResult;
import org.tether.exec.CommandRunner;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
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
    /** How much of each end of a device must read zero for it to count as blank (partition tables, superblocks). */
    static final int BLANK_PROBE = 1 << 20;

    /**
     * What the probe found. {@code header} is null for {@link Kind#NONE} and {@link Kind#UNKNOWN};
     * {@code size} is the volume's size when qemu-img read it (no header), else -1.
     */
    public record Probe(Kind kind, LuksHeader header, long size) {
        public enum Kind { LUKS, NONE, UNKNOWN }

        static final Probe UNKNOWN = new Probe(Kind.UNKNOWN, null);
        static final Probe NONE = new Probe(Kind.NONE, null);

        Probe(Kind kind, LuksHeader header) {
            this(kind, header, -1);
        }
    }

    private final CommandRunner runner;
    private final QemuVolumeAccess access;
    private final Path secretDir;
    private final Duration timeout;
    private final ObjectMapper json;

    @Inject
    public LuksHeaders(CommandRunner runner, QemuVolumeAccess access, TetherConfig config, ObjectMapper json) {
        this(runner, access, config.stateDir().resolve("luks-keys"), config.iscsi().commandTimeout(), json);
    }

    public LuksHeaders(CommandRunner runner, QemuVolumeAccess access, Path secretDir, Duration timeout,
                       ObjectMapper json) {
        this.json = json;
        this.runner = runner;
        this.access = access;
        this.secretDir = secretDir;
        this.timeout = timeout;
    }

    /**
     * The header of a connected volume; {@link Probe.Kind#UNKNOWN} where this host cannot read it (RBD behind a
     * secret it cannot read back).
     *
     * @param hostDevice the host's device on the kernel path, else null
     * @param source     what QEMU opens
     */
    public Probe probe(String hostDevice, DiskSource source, ConnectionInfo info) {
        if (hostDevice != null) {
            return fromHead(read(Path.of(hostDevice), 0, LuksHeader.PROBE_BYTES));
        }
        Optional<QemuVolumeAccess.Access> a = access.of(source, info);
        if (a.isEmpty()) {
            return Probe.UNKNOWN;
        }
        try {
            return probe(a.get());
        } finally {
            a.get().close();
        }
    }

    /**
     * On the qemu path: true when the volume's first and last megabyte read zero through QEMU's own client
     * ({@code qemu-io read -P 0}), the same test as {@link #blank(Path, long)} on a host device.
     */
    public boolean blank(QemuVolumeAccess.Access a, long size) {
        int n = (int) Math.min(BLANK_PROBE, size);
        String out = withSecret(a, null, c -> c.args("-r", "--image-opts", "driver=raw," + a.fileOptions(), "-c",
                "read -P 0 0 " + n, "-c", "read -P 0 " + (size - n) + " " + n)).stdout();
        if (out.contains("Pattern verification failed")) {
            return false;
        }
        if (!out.contains("read " + n + "/" + n)) {
            throw new TetherException(ErrorCode.COMMAND_FAILED, "qemu-io did not read the volume's ends: " + out);
        }
        return true;
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

    /** {@code qemu-img info} through QEMU's own client: the format it probes, and a LUKS header's offset. */
    public Probe probe(QemuVolumeAccess.Access a) {
        CommandResult r = withSecret(a, "info", c -> c.args("--output=json", "--force-share", "--image-opts",
                a.fileOptions()));
        if (!r.succeeded()) {
            if (r.stderr().contains("Unsupported LUKS version")) {
                return new Probe(Probe.Kind.LUKS, new LuksHeader(2, 0));
            }
            throw new TetherException(ErrorCode.TARGET_UNAVAILABLE, "reading the volume's LUKS header through "
                    + "QEMU's own client failed: " + r.summary());
        }
        try {
            JsonNode info = json.readTree(r.stdout());
            if (!"luks".equals(info.path("format").asText())) {
                return new Probe(Probe.Kind.NONE, null, info.path("virtual-size").asLong(-1));
            }
            long offset = info.path("format-specific").path("data").path("payload-offset").asLong(-1);
            if (offset <= 0) {
                throw new TetherException(ErrorCode.COMMAND_FAILED, "qemu-img info named no LUKS payload offset");
            }
            return new Probe(Probe.Kind.LUKS, new LuksHeader(1, offset));
        } catch (IOException e) {
            throw new TetherException(ErrorCode.COMMAND_FAILED, "qemu-img info printed no readable JSON", e);
        }
    }

    /**
     * Runs qemu-img (with its {@code subcommand}) or qemu-io (null) with the access's secret, if any, as object
     * {@code key0} from a 0600 file.
     */
    private CommandResult withSecret(QemuVolumeAccess.Access a, String subcommand,
                                     java.util.function.Consumer<Command.Builder> args) {
        Command.Builder c = Command.of(subcommand == null ? "qemu-io" : "qemu-img", timeout);
        if (subcommand != null) {
            c.arg(subcommand);
        }
        QemuSecretFile file = a.secret() == null ? null : QemuSecretFile.write(secretDir, a.secret());
        try {
            if (file != null) {
                c.args("--object", file.object("key0"));
            }
            args.accept(c);
            return runner.run(c.build());
        } finally {
            if (file != null) {
                file.close();
            }
        }
    }
}
