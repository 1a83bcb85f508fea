package org.tether.storage.lvm;

import org.jboss.logging.Logger;
import org.tether.config.LvmConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.exec.CommandResult;
import org.tether.storage.volume.VolumeBackend;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Volumes as LVs in one VG, named and tagged as Cinder's LVM driver does: {@code volume-<uuid>},
 * {@code _snapshot-<uuid>}, thin pool {@code <vg>-pool} created on first need. Only LVs carrying the
 * ownership tag are ever removed.
 */
public class LvmBackend implements VolumeBackend {
    private static final Logger LOG = Logger.getLogger(LvmBackend.class);
    public static final String TAG = "tether";

    private final Lvm lvm;
    private final String vg;
    private final String pool;
    private final String poolSize;
    private final LvmConfig.Wipe wipe;
    private final Duration timeout;

    public LvmBackend(Lvm lvm, LvmConfig config) {
        this(lvm, config.vg(), config.thinPoolSize(), config.wipe(), config.timeout());
    }

    public LvmBackend(Lvm lvm, String vg, String poolSize, LvmConfig.Wipe wipe, Duration timeout) {
        this.lvm = lvm;
        this.vg = vg;
        this.pool = vg + "-pool";
        this.poolSize = poolSize;
        this.wipe = wipe;
        this.timeout = timeout;
    }

    static String volumeLv(UUID id) {
        return "volume-" + id;
    }

    static String snapshotLv(UUID id) {
        return "_snapshot-" + id;
    }

    @Override
    public String devicePath(UUID volumeId) {
        return "/dev/" + vg + "/" + volumeLv(volumeId);
    }

    /** A thin LV reads as zeroes until written; a thick one holds whatever its extents held before. */
    @Override
    public ImageTarget imageTarget(UUID id, boolean thin) {
        return new ImageTarget(devicePath(id), true, thin);
    }

    private String path(String lv) {
        return vg + "/" + lv;
    }

    @Override
    public void create(UUID id, long bytes, boolean thin) {
        String name = volumeLv(id);
        if (sameSizeExists(name, bytes)) {
            return;
        }
        if (thin) {
            ensurePool();
            create(name, bytes, List.of("--type", "thin", "--thinpool", path(pool), "-V", bytes + "b",
                    "-n", name, "--addtag", TAG));
        } else {
            create(name, bytes, List.of("-L", bytes + "b", "-n", name, "--addtag", TAG, "-Wy", "--yes", vg));
        }
    }

    @Override
    public void createFromSnapshot(UUID id, long bytes, boolean thin, UUID sourceVolume, UUID snapshot) {
        copyOrSnapshot(id, bytes, thin, snapshotLv(snapshot));
    }

    @Override
    public void cloneVolume(UUID id, long bytes, boolean thin, UUID source) {
        copyOrSnapshot(id, bytes, thin, volumeLv(source));
    }

    /** Thin: a snapshot of the source, activated (-kn), grown if asked. Thick: a new LV and a full copy. */
    private void copyOrSnapshot(UUID id, long bytes, boolean thin, String source) {
        String name = volumeLv(id);
        LvInfo src = find(source).orElseThrow(() -> new TetherException(ErrorCode.STORAGE_BACKEND_FAILED,
                "source LV " + source + " is missing"));
        if (find(name).isEmpty()) {
            if (thin && src.poolLv() != null) {
                run("lvcreate", List.of("-s", "-kn", "-n", name, "--addtag", TAG, path(source)));
            } else {
                create(id, src.sizeBytes(), false);
                CommandResult r = lvm.run("lvchange", List.of("-ay", path(source)), timeout);
                if (!r.succeeded()) {
                    throw Lvm.failed(r);
                }
                copy(path(source), path(name), src.sizeBytes());
            }
        }
        if (bytes > src.sizeBytes()) {
            extend(id, bytes);
        }
    }

    private void copy(String from, String to, long bytes) {
        Duration limit = timeout.plusSeconds(bytes >> 26); // about 64 MiB/s at the slowest
        CommandResult r = lvm.runner().run(org.tether.exec.Command.of("dd", limit).args(
                "if=/dev/" + from, "of=/dev/" + to, "bs=1M", "count=" + (bytes >> 20), "iflag=direct",
                "oflag=direct", "status=none").build());
        if (!r.succeeded()) {
            throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, r.summary());
        }
    }

    @Override
    public void extend(UUID id, long bytes) {
        String name = volumeLv(id);
        LvInfo lv = owned(name);
        if (lv.sizeBytes() >= bytes) {
            return;
        }
        run("lvextend", List.of("-L", bytes + "b", path(name)));
    }

    @Override
    public void delete(UUID id, boolean thin) {
        Optional<LvInfo> lv = find(volumeLv(id));
        if (lv.isEmpty()) {
            return;
        }
        requireOwned(lv.get());
        if (lv.get().poolLv() == null) {
            wipe(volumeLv(id), lv.get().sizeBytes());
        }
        remove(volumeLv(id));
    }

    /** Thick LVs share extents with whatever the VG hands out next: clear them before they go. */
    private void wipe(String name, long bytes) {
        List<String> argv = switch (wipe) {
            case NONE -> null;
            case ZERO -> List.of("blkdiscard", "-z", "/dev/" + path(name));
            case DISCARD -> List.of("blkdiscard", "/dev/" + path(name));
        };
        if (argv == null) {
            return;
        }
        var b = org.tether.exec.Command.of(argv.get(0), timeout.plusSeconds(bytes >> 26));
        argv.subList(1, argv.size()).forEach(b::arg);
        CommandResult r = lvm.runner().run(b.build());
        if (!r.succeeded()) {
            throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "wipe before delete failed: " + r.summary());
        }
    }

    @Override
    public void createSnapshot(UUID volume, UUID snapshot, boolean thin) {
        String name = snapshotLv(snapshot);
        if (find(name).isPresent()) {
            return;
        }
        LvInfo origin = owned(volumeLv(volume));
        List<String> args = new ArrayList<>(List.of("-s", "-n", name, "--addtag", TAG));
        if (origin.poolLv() != null) {
            args.add("-kn");
        } else {
            args.addAll(List.of("-L", origin.sizeBytes() + "b"));
        }
        args.add(path(volumeLv(volume)));
        run("lvcreate", args);
    }

    @Override
    public void deleteSnapshot(UUID volume, UUID snapshot) {
        Optional<LvInfo> lv = find(snapshotLv(snapshot));
        if (lv.isPresent()) {
            requireOwned(lv.get());
            remove(snapshotLv(snapshot));
        }
    }

    /** Merges the snapshot into its origin, then takes the snapshot again so it survives the revert. */
    @Override
    public void revert(UUID volume, UUID snapshot, boolean thin) {
        owned(snapshotLv(snapshot));
        run("lvconvert", List.of("--merge", path(snapshotLv(snapshot))));
        createSnapshot(volume, snapshot, thin);
    }

    @Override
    public PoolStats stats() {
        VgInfo info = lvm.vg(vg);
        if (info == null) {
            throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "volume group " + vg + " does not exist");
        }
        Optional<LvInfo> thinPool = find(pool);
        return new PoolStats("lvm", info.sizeBytes(), info.freeBytes(),
                thinPool.map(LvInfo::dataPercent).orElse(null), thinPool.map(LvInfo::metadataPercent).orElse(null));
    }

    private void ensurePool() {
        if (find(pool).isPresent()) {
            return;
        }
        String sizeFlag = poolSize.contains("%") ? "-l" : "-L";
        CommandResult r = lvm.run("lvcreate", List.of("--type", "thin-pool", sizeFlag, poolSize, "-n", pool,
                "--addtag", TAG, vg), timeout);
        if (!r.succeeded() && !Lvm.alreadyExists(r)) {
            throw Lvm.failed(r);
        }
        LOG.infof("created thin pool %s", path(pool));
    }

    private void create(String name, long bytes, List<String> args) {
        CommandResult r = lvm.run("lvcreate", args, timeout);
        if (!r.succeeded()) {
            if (Lvm.alreadyExists(r) && sameSizeExists(name, bytes)) {
                return;
            }
            throw Lvm.failed(r);
        }
    }

    private void remove(String name) {
        CommandResult r = lvm.run("lvremove", List.of("-f", path(name)), timeout);
        if (!r.succeeded() && !Lvm.notFound(r)) {
            throw Lvm.failed(r);
        }
    }

    private void run(String sub, List<String> args) {
        CommandResult r = lvm.run(sub, args, timeout);
        if (!r.succeeded()) {
            throw Lvm.failed(r);
        }
    }

    private boolean sameSizeExists(String name, long bytes) {
        Optional<LvInfo> lv = find(name);
        if (lv.isEmpty()) {
            return false;
        }
        if (lv.get().sizeBytes() != bytes) {
            throw new TetherException(ErrorCode.VOLUME_CONFLICT, name + " exists with " + lv.get().sizeBytes()
                    + " bytes, not " + bytes);
        }
        return true;
    }

    private Optional<LvInfo> find(String name) {
        return lvm.lvs(vg).stream().filter(lv -> name.equals(lv.name())).findFirst();
    }

    private LvInfo owned(String name) {
        LvInfo lv = find(name).orElseThrow(() -> new TetherException(ErrorCode.STORAGE_BACKEND_FAILED,
                "LV " + path(name) + " is missing"));
        requireOwned(lv);
        return lv;
    }

    private void requireOwned(LvInfo lv) {
        if (!lv.tags().contains(TAG)) {
            throw new TetherException(ErrorCode.VOLUME_CONFLICT, "LV " + path(lv.name())
                    + " does not carry the '" + TAG + "' tag; Tether does not touch LVs it did not create");
        }
    }
}
