package org.tether.storage.target;

import org.jboss.logging.Logger;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Exports through the kernel's LIO target, straight through configfs as rtslib does, no Python: a block
 * backstore on the volume's device, a target with TPG 1 ({@code authentication=1},
 * {@code generate_node_acls=0}), the configured portals, LUN 0, and one NodeACL per initiator with CHAP and
 * a mapped LUN 0.
 *
 * <p>Exports of different volumes run side by side: the caller holds the volume's lock, each volume has its own
 * target and storage object, and configfs takes concurrent changes to different objects. Two things the kernel
 * shares between targets are changed under {@link #shared} only: the number of a new storage object's HBA
 * ({@code iblock_N}, one per volume as rtslib makes them: chosen and taken at once, removed likewise), and the
 * network portals (one listening socket per address, shared by every TPG that names it: while another TPG is
 * disabled or drops the portal, its login thread is reset, and a TPG adding the portal in that window is
 * refused with EINVAL — seen under load in the test-host VM).
 *
 * <p>{@code /etc/target/saveconfig.json} is left to the tools that own it (targetcli, target.service): Tether's
 * objects are restored from its own records at start and on every repair pass, so it has no need of the file,
 * and writing the whole tree back in rtslib's format risks damaging targets others made (their fileio
 * backstores, LUN numbers, parameters and attributes would have to be written exactly as rtslib does).
 */
public class LioDriver implements ExportDriver {
    private static final Logger LOG = Logger.getLogger(LioDriver.class);
    static final int LUN = 0;

    private final Configfs fs;
    private final java.util.List<String> portals;
    private final Object shared = new Object();

    public LioDriver(Path configfsRoot, java.util.List<String> portals) {
        this(new Configfs(configfsRoot), portals);
    }

    public LioDriver(Configfs fs, java.util.List<String> portals) {
        this.fs = fs;
        this.portals = java.util.List.copyOf(portals);
    }

    @Override
    public String name() {
        return "lio";
    }

    @Override
    public int lun() {
        return LUN;
    }

    @Override
    public void followResize(String iqn, String devicePath) {
        // nothing to do: iblock reads the block device's size on every capacity query
    }

    private Path tpg(String iqn) {
        return fs.root().resolve("iscsi").resolve(iqn).resolve("tpgt_1");
    }

    @Override
    public void export(ExportSpec spec) {
        requireLoaded();
        Path storage = ensureStorageObject(spec.volumeName(), spec.devicePath());
        Path tpg = tpg(spec.iqn());
        boolean created = !fs.exists(tpg);
        try {
            fs.mkdir(fs.root().resolve("iscsi"));
            fs.mkdir(tpg.getParent());
            fs.mkdir(tpg);
            fs.write(tpg.resolve("attrib/authentication"), "1");
            fs.write(tpg.resolve("attrib/generate_node_acls"), "0");
            fs.write(tpg.resolve("attrib/demo_mode_write_protect"), "1");
            synchronized (shared) {
                for (String portal : portals) {
                    fs.mkdir(tpg.resolve("np"));
                    fs.mkdir(tpg.resolve("np").resolve(portal));
                }
            }
            Path lun = tpg.resolve("lun/lun_" + LUN);
            fs.mkdir(tpg.resolve("lun"));
            fs.mkdir(lun);
            fs.symlink(lun.resolve(spec.volumeName()), storage);
            addAcl(tpg, spec);
            fs.write(tpg.resolve("enable"), "1");
        } catch (TetherException e) {
            if (created) {
                removeTarget(spec.iqn(), spec.volumeName());
            }
            throw e;
        }
        LOG.debugf("LIO target %s admits %s", spec.iqn(), spec.initiator());
    }

    private void addAcl(Path tpg, ExportSpec spec) {
        Path acl = tpg.resolve("acls").resolve(spec.initiator());
        fs.mkdir(tpg.resolve("acls"));
        fs.mkdir(acl);
        fs.write(acl.resolve("auth/userid"), spec.chapUser());
        fs.write(acl.resolve("auth/password"), spec.chapPassword());
        Path mapped = acl.resolve("lun_" + LUN);
        fs.mkdir(mapped);
        fs.symlink(mapped.resolve("lun_" + LUN), tpg.resolve("lun/lun_" + LUN));
        fs.write(mapped.resolve("write_protect"), "0");
    }

    @Override
    public void unexport(String iqn, String volumeName, String initiator, String chapUser,
                                      boolean last) {
        Path tpg = tpg(iqn);
        Path acl = tpg.resolve("acls").resolve(initiator);
        if (fs.exists(acl)) {
            fs.remove(acl.resolve("lun_" + LUN).resolve("lun_" + LUN));
            fs.remove(acl.resolve("lun_" + LUN));
            fs.remove(acl);
        }
        if (last) {
            removeTarget(iqn, volumeName);
        }
    }

    /** Everything under the target, then its backstore; in the order configfs allows. */
    private void removeTarget(String iqn, String volumeName) {
        Path tpg = tpg(iqn);
        if (fs.exists(tpg)) {
            synchronized (shared) {
                fs.write(tpg.resolve("enable"), "0"); // resets the login thread of every portal the TPG uses
            }
            for (Path acl : fs.list(tpg.resolve("acls"))) {
                for (Path mapped : fs.list(acl)) {
                    if (mapped.getFileName().toString().startsWith("lun_")) {
                        fs.remove(mapped.resolve(mapped.getFileName()));
                        fs.remove(mapped);
                    }
                }
                fs.remove(acl);
            }
            for (Path lun : fs.list(tpg.resolve("lun"))) {
                fs.list(lun).stream().filter(p -> java.nio.file.Files.isSymbolicLink(p)).forEach(fs::remove);
                fs.remove(lun);
            }
            synchronized (shared) {
                fs.list(tpg.resolve("np")).forEach(fs::remove);
            }
            fs.remove(tpg);
            fs.remove(tpg.getParent());
        }
        findStorageObject(volumeName).ifPresent(so -> {
            synchronized (shared) {
                fs.remove(so);
                fs.remove(so.getParent());
            }
        });
    }

    @Override
    public void probe() {
        if (!java.nio.file.Files.isDirectory(fs.root())) {
            throw new TetherException(ErrorCode.TARGET_FAILED, "configfs is not mounted: no " + fs.root()
                    + " (modprobe target_core_mod; mount -t configfs none /sys/kernel/config)");
        }
    }

    @Override
    public Set<String> liveTargets() {
        Set<String> out = new LinkedHashSet<>();
        fs.list(fs.root().resolve("iscsi")).forEach(p -> {
            if (fs.exists(p.resolve("tpgt_1"))) {
                out.add(p.getFileName().toString());
            }
        });
        return out;
    }

    @Override
    public Set<String> initiators(String iqn) {
        Set<String> out = new LinkedHashSet<>();
        fs.list(tpg(iqn).resolve("acls")).forEach(p -> out.add(p.getFileName().toString()));
        return out;
    }

    @Override
    public java.util.List<String> gaps(ExportSpec spec) {
        java.util.List<String> gaps = new java.util.ArrayList<>();
        Path tpg = tpg(spec.iqn());
        if (!fs.exists(tpg)) {
            return java.util.List.of("target " + spec.iqn());
        }
        Optional<Path> so = findStorageObject(spec.volumeName());
        if (so.isEmpty() || !spec.devicePath().equals(fs.read(so.get().resolve("udev_path")))) {
            gaps.add("backstore " + spec.volumeName() + " on " + spec.devicePath());
        }
        Path lun = tpg.resolve("lun/lun_" + LUN);
        if (!fs.exists(lun.resolve(spec.volumeName()))) {
            gaps.add("LUN " + LUN);
        }
        for (String portal : portals) {
            if (!fs.exists(tpg.resolve("np").resolve(portal))) {
                gaps.add("portal " + portal);
            }
        }
        Path acl = tpg.resolve("acls").resolve(spec.initiator());
        if (!fs.exists(acl)) {
            gaps.add("ACL for " + spec.initiator());
        } else {
            if (!fs.exists(acl.resolve("lun_" + LUN).resolve("lun_" + LUN))) {
                gaps.add("mapped LUN for " + spec.initiator());
            }
            if (!spec.chapUser().equals(fs.read(acl.resolve("auth/userid")))) {
                gaps.add("CHAP user for " + spec.initiator());
            }
        }
        if (!"1".equals(fs.read(tpg.resolve("enable")))) {
            gaps.add("enabled TPG");
        }
        return gaps;
    }

    /** {@code core/iblock_N/<name>} with the device configured and enabled; an existing one is reused. */
    private Path ensureStorageObject(String name, String device) {
        Optional<Path> existing = findStorageObject(name);
        if (existing.isPresent()) {
            String dev = fs.read(existing.get().resolve("udev_path"));
            if (!dev.isEmpty() && !dev.equals(device)) {
                throw new TetherException(ErrorCode.TARGET_FAILED, "LIO backstore " + name + " points at " + dev);
            }
            if ("1".equals(fs.read(existing.get().resolve("enable")))) {
                return existing.get();
            }
            // made, never enabled (an earlier call failed or died half-way): the kernel refuses a LUN on it
            // ("se_device not configured yet"), so it is configured now
            return configure(existing.get(), name, device);
        }
        Path so;
        synchronized (shared) {
            Path hba = fs.root().resolve("core").resolve("iblock_" + freeHbaIndex());
            so = hba.resolve(name);
            fs.mkdir(hba);
            fs.mkdir(so);
        }
        return configure(so, name, device);
    }

    private Path configure(Path so, String name, String device) {
        fs.write(so.resolve("control"), "udev_path=" + device);
        fs.write(so.resolve("udev_path"), device);
        fs.write(so.resolve("enable"), "1");
        // the kernel makes no unit serial of its own (rtslib writes one): without it the LUN has no VPD 0x83
        // designator, every LUN shows the same WWID, and dm-multipath would merge different volumes into one map
        fs.write(so.resolve("wwn").resolve("vpd_unit_serial"), unitSerial(name));
        return so;
    }

    /** The volume's UUID for {@code volume-<uuid>}, as Cinder's volumes show it in the guest; else the name. */
    static String unitSerial(String name) {
        return name.startsWith("volume-") ? name.substring("volume-".length()) : name;
    }

    private Optional<Path> findStorageObject(String name) {
        return fs.list(fs.root().resolve("core")).stream()
                .filter(h -> h.getFileName().toString().startsWith("iblock_"))
                .map(h -> h.resolve(name)).filter(fs::exists).findFirst();
    }

    private int freeHbaIndex() {
        int max = -1;
        for (Path h : fs.list(fs.root().resolve("core"))) {
            String n = h.getFileName().toString();
            if (n.startsWith("iblock_")) {
                max = Math.max(max, Integer.parseInt(n.substring("iblock_".length())));
            }
        }
        return max + 1;
    }

    private void requireLoaded() {
        if (!fs.exists(fs.root())) {
            throw new TetherException(ErrorCode.TARGET_FAILED, "LIO is not available: " + fs.root()
                    + " does not exist (load target_core_mod and mount configfs)");
        }
    }
}
