package org.tether.compute.iscsi;

import jakarta.enterprise.context.ApplicationScoped;
import org.tether.connection.IscsiNames;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The SCSI side of an iSCSI session as sysfs shows it, read and written directly (no rescan-scsi-bus,
 * no udevadm): which target a session has, scanning one LUN, the disk a LUN became, deleting it.
 */
@ApplicationScoped
public class ScsiSysfs {
    private static final Pattern TARGET_DIR = Pattern.compile("target(\\d+):(\\d+):(\\d+)");
    private static final Pattern LUN_DIR = Pattern.compile("\\d+:\\d+:\\d+:\\d+");
    private static final Pattern DISK_NAME = Pattern.compile("sd[a-z]{1,4}|dm-\\d+");

    private final Path sys;

    @jakarta.inject.Inject
    public ScsiSysfs(TetherConfig config) {
        this(config.iscsi().sysfsRoot());
    }

    public ScsiSysfs(Path sysfsRoot) {
        this.sys = sysfsRoot;
    }

    private Path sessionDevice(int sessionId) {
        return sys.resolve("class/iscsi_session/session" + sessionId + "/device");
    }

    /**
     * The kernel's iSCSI sessions, as {@code iscsiadm -m session} lists them but read from sysfs: the target
     * name of {@code iscsi_session/sessionN} and the portal it logged in to ({@code persistent_address/port} of
     * its connection). No fork, no lock: a connect asks this twice. A session still being set up (no
     * connection yet) is left out.
     */
    public List<IscsiSession> sessions() {
        List<IscsiSession> out = new ArrayList<>();
        for (Path dir : list(sys.resolve("class/iscsi_session"))) {
            String name = dir.getFileName().toString();
            if (!name.matches("session\\d+")) {
                continue;
            }
            int id = Integer.parseInt(name.substring("session".length()));
            Path conn = sys.resolve("class/iscsi_connection/connection" + id + ":0");
            Optional<String> iqn = text(dir.resolve("targetname"));
            Optional<String> address = text(conn.resolve("persistent_address"));
            Optional<String> port = text(conn.resolve("persistent_port"));
            if (iqn.isEmpty() || address.isEmpty() || port.isEmpty() || !IscsiNames.isValidName(iqn.get())) {
                continue;
            }
            String host = address.get().contains(":") ? "[" + address.get() + "]" : address.get();
            try {
                out.add(new IscsiSession(id, IscsiNames.parsePortal(host + ":" + port.get(), "session"), iqn.get()));
            } catch (RuntimeException e) {
                // a portal we cannot parse is not one we log into
            }
        }
        return out;
    }

    private static Optional<String> text(Path file) {
        try {
            String v = Files.readString(file).strip();
            return v.isEmpty() ? Optional.empty() : Optional.of(v);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The SCSI host number of a session ({@code /sys/class/iscsi_host/hostH/device/sessionN}); it exists as
     * soon as the login completes, before any LUN is scanned.
     */
    public Optional<Integer> host(int sessionId) {
        for (Path host : list(sys.resolve("class/iscsi_host"))) {
            String name = host.getFileName().toString();
            if (name.startsWith("host") && Files.exists(host.resolve("device/session" + sessionId))) {
                return Optional.of(Integer.parseInt(name.substring(4)));
            }
        }
        return Optional.empty();
    }

    /**
     * Asks the kernel to probe exactly one LUN, as os-brick does with manual scanning. Channel and target are
     * wildcards until the session's target exists (with manual scanning it appears with the first LUN).
     */
    public void scan(int host, int sessionId, int lun) {
        Optional<Hctl> t = target(sessionId);
        String ct = t.map(h -> h.channel() + " " + h.target()).orElse("- -");
        write(sys.resolve("class/scsi_host/host" + host + "/scan"), ct + " " + lun);
    }

    private Optional<Hctl> target(int sessionId) {
        for (Path dir : list(sessionDevice(sessionId))) {
            var m = TARGET_DIR.matcher(dir.getFileName().toString());
            if (m.matches()) {
                return Optional.of(new Hctl(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                        Integer.parseInt(m.group(3)), 0));
            }
        }
        return Optional.empty();
    }

    /** The block device ({@code sdX}) the session's LUN became, once the kernel created it. */
    public Optional<String> blockDevice(int sessionId, int lun) {
        for (Hctl address : lunsOf(sessionId)) {
            if (address.lun() != lun) {
                continue;
            }
            Path block = sessionDevice(sessionId)
                    .resolve("target" + address.host() + ":" + address.channel() + ":" + address.target())
                    .resolve(address.name()).resolve("block");
            Optional<String> disk = list(block).stream().map(p -> p.getFileName().toString())
                    .filter(n -> DISK_NAME.matcher(n).matches()).findFirst();
            if (disk.isPresent()) {
                return disk;
            }
        }
        return Optional.empty();
    }

    /** Every LUN address that still has a SCSI device on this session. */
    public List<Hctl> lunsOf(int sessionId) {
        List<Hctl> out = new ArrayList<>();
        for (Path target : list(sessionDevice(sessionId))) {
            if (!TARGET_DIR.matcher(target.getFileName().toString()).matches()) {
                continue;
            }
            for (Path lun : list(target)) {
                if (LUN_DIR.matcher(lun.getFileName().toString()).matches()) {
                    out.add(Hctl.parse(lun.getFileName().toString()));
                }
            }
        }
        return out;
    }

    /** The device-mapper devices stacked on a disk (a multipath map), as {@code dm-N}. */
    public List<String> holders(String disk) {
        return list(sys.resolve("block/" + disk + "/holders")).stream()
                .map(p -> p.getFileName().toString()).filter(n -> n.startsWith("dm-")).sorted().toList();
    }

    /** The {@code dm-N} device of the device-mapper map {@code name}, if it exists. */
    public Optional<String> dmDevice(String name) {
        return list(sys.resolve("block")).stream().map(p -> p.getFileName().toString())
                .filter(n -> n.startsWith("dm-")).filter(dm -> dmName(dm).filter(name::equals).isPresent()).findFirst();
    }

    /** The SCSI disks under {@code dm-N} now: a multipath map's live paths. */
    public List<String> slaves(String dm) {
        requireDiskName(dm);
        return list(sys.resolve("block/" + dm + "/slaves")).stream()
                .map(p -> p.getFileName().toString()).filter(n -> n.startsWith("sd")).sorted().toList();
    }

    /** The device-mapper name of {@code dm-N} (the multipath map name). */
    public Optional<String> dmName(String dm) {
        Path name = sys.resolve("block/" + dm + "/dm/name");
        try {
            return Files.exists(name) ? Optional.of(Files.readString(name).strip()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Asks the SCSI disk to re-read its capacity (after the target grew the LUN). */
    public void rescan(String disk) {
        requireDiskName(disk);
        Path rescan = sys.resolve("block/" + disk + "/device/rescan");
        if (!Files.exists(rescan)) {
            throw new TetherException(ErrorCode.ISCSI_DEVICE_NOT_FOUND, "no SCSI device " + disk + " to rescan");
        }
        write(rescan, "1");
    }

    /** A disk's (or device-mapper map's) size in bytes as the kernel has it now. */
    public long sizeBytes(String disk) {
        requireDiskName(disk);
        Path size = sys.resolve("block/" + disk + "/size");
        try {
            return Long.parseLong(Files.readString(size).strip()) * 512L;
        } catch (IOException | NumberFormatException e) {
            throw new TetherException(ErrorCode.ISCSI_DEVICE_NOT_FOUND, "cannot read the size of " + disk, e);
        }
    }

    /** Removes the SCSI device from the kernel; a device that is already gone is success. */
    public void delete(String disk) {
        requireDiskName(disk);
        Path delete = sys.resolve("block/" + disk + "/device/delete");
        if (Files.exists(delete)) {
            write(delete, "1");
        }
    }

    private static void requireDiskName(String disk) {
        if (!DISK_NAME.matcher(disk).matches()) {
            throw new IllegalArgumentException("not a disk name: " + disk);
        }
    }

    private static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(out::add);
        } catch (IOException e) {
            return List.of();
        }
        out.sort(null);
        return out;
    }

    private static void write(Path file, String value) {
        try {
            Files.writeString(file, value, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new TetherException(ErrorCode.COMMAND_FAILED, "cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
