package org.tether.compute.iscsi;

import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;
import org.tether.disk.AttachPath;
import org.tether.disk.ConnectedVolume;
import org.tether.disk.Drift;
import org.tether.disk.VolumeConnector;
import org.tether.connection.ConnectionInfo;
import org.tether.connection.IscsiConnectionInfo;
import org.tether.connection.IscsiPath;
import org.tether.disk.DiskSource;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * The kernel initiator path, as os-brick's ISCSIConnector does it: node record with manual scanning and
 * CHAP, login unless a session exists, scan only the needed LUN, find its disk through sysfs. Single path
 * tries each portal in turn; multipath logs in to all and waits for the map.
 */
@ApplicationScoped
public class KernelIscsiConnector implements VolumeConnector {
    private static final Logger LOG = Logger.getLogger(KernelIscsiConnector.class);

    private final Iscsiadm iscsiadm;
    private final IscsiPathAttacher paths;
    private final Multipath multipath;
    private final ScsiSysfs sysfs;
    private final boolean useMultipath;

    @jakarta.inject.Inject
    public KernelIscsiConnector(Iscsiadm iscsiadm, IscsiPathAttacher paths, Multipath multipath, ScsiSysfs sysfs,
                                TetherConfig config) {
        this(iscsiadm, paths, multipath, sysfs, config.iscsi().multipath());
    }

    public KernelIscsiConnector(Iscsiadm iscsiadm, IscsiPathAttacher paths, Multipath multipath, ScsiSysfs sysfs,
                                boolean useMultipath) {
        this.iscsiadm = iscsiadm;
        this.paths = paths;
        this.multipath = multipath;
        this.sysfs = sysfs;
        this.useMultipath = useMultipath;
    }

    @Override
    public AttachPath path() {
        return AttachPath.KERNEL;
    }

    @Override
    public String driverVolumeType() {
        return IscsiConnectionInfo.TYPE;
    }

    @Override
    public boolean supports(ConnectionInfo info) {
        return info instanceof IscsiConnectionInfo;
    }

    @Override
    public ConnectedVolume connect(String attachmentKey, UUID volumeId, ConnectionInfo info) {
        IscsiConnectionInfo iscsi = (IscsiConnectionInfo) info;
        return useMultipath ? connectMultipath(iscsi) : connectSingle(iscsi);
    }

    private ConnectedVolume connectSingle(IscsiConnectionInfo info) {
        TetherException last = null;
        for (IscsiPath path : info.paths()) {
            try {
                String disk = paths.attach(path, info.sessionChap());
                String device = paths.stableDevicePath(path, disk);
                return new ConnectedVolume(new DiskSource.BlockDevice(device), device, List.of(disk), null, null);
            } catch (TetherException e) {
                LOG.warnf("path %s %s failed: %s", path.portal(), path.iqn(), e.getMessage());
                last = e;
                if (e.code() == ErrorCode.ISCSI_AUTH_FAILED) {
                    break; // the same credentials will fail on every portal of the same target
                }
            }
        }
        throw last;
    }

    private ConnectedVolume connectMultipath(IscsiConnectionInfo info) {
        List<IscsiPath> reached = new ArrayList<>();
        List<String> disks = new ArrayList<>();
        TetherException last = null;
        for (IscsiPath path : multipathPaths(info)) {
            try {
                disks.add(paths.attach(path, info.sessionChap()));
                reached.add(path);
            } catch (TetherException e) {
                LOG.warnf("multipath leg %s %s failed: %s", path.portal(), path.iqn(), e.getMessage());
                last = e;
            }
        }
        if (disks.isEmpty()) {
            throw last;
        }
        try {
            String map = multipath.waitForMap(disks);
            String device = "/dev/mapper/" + map;
            return new ConnectedVolume(new DiskSource.BlockDevice(device), device, disks, map, null);
        } catch (TetherException e) {
            detachPaths(reached, disks);
            throw e;
        }
    }

    /**
     * The controller's list of paths; when it gave a single one, the other portals of the same target as
     * sendtargets discovery reports them (os-brick's behaviour for multipath without target_portals).
     */
    private List<IscsiPath> multipathPaths(IscsiConnectionInfo info) {
        if (info.paths().size() > 1) {
            return info.paths();
        }
        IscsiPath only = info.primaryPath();
        List<IscsiPath> found = new ArrayList<>(List.of(only));
        try {
            for (DiscoveredTarget t : iscsiadm.discover(only.portal(), info.discoveryChap())) {
                IscsiPath p = new IscsiPath(t.portal(), t.iqn(), only.lun());
                if (t.iqn().equals(only.iqn()) && !found.contains(p)) {
                    found.add(p);
                }
            }
        } catch (TetherException e) {
            LOG.warnf("discovery at %s failed, using the given path only: %s", only.portal(), e.getMessage());
        }
        return found;
    }

    @Override
    public void disconnect(List<IscsiPath> targets, ConnectedVolume connected) {
        if (connected.multipathMap() != null) {
            multipath.flush(connected.multipathMap());
        }
        List<String> disks = connected.scsiDevices();
        if (disks.isEmpty()) {
            // interrupted between scan and journal: find the disks the paths' LUNs have now
            disks = targets.stream().map(paths::currentDisk).flatMap(java.util.Optional::stream).toList();
        }
        detachPaths(targets, disks);
    }

    /**
     * A path the attachment uses without a session is logged in again from its node record; its disk name
     * may change (the stable by-path name does not). A device that is still missing afterwards is drift.
     */
    @Override
    public HostCheck check(List<IscsiPath> targets, ConnectedVolume connected) {
        List<Drift> drift = new ArrayList<>();
        List<String> disks = new ArrayList<>();
        for (IscsiPath path : usedPaths(targets, connected)) {
            if (paths.hasSession(path)) {
                paths.currentDisk(path).ifPresentOrElse(disks::add, () -> drift.add(Drift.found("device_missing",
                        "LUN " + path.lun() + " of " + path.iqn() + " has no disk")));
                continue;
            }
            try {
                String disk = paths.relogin(path);
                disks.add(disk);
                paths.stableDevicePath(path, disk); // lets udev make the by-path link before it is checked
                drift.add(Drift.repaired("session_relogged", "logged in again to " + path.iqn() + " at "
                        + path.portal()));
            } catch (TetherException e) {
                drift.add(Drift.found("session_missing", "no session to " + path.iqn() + " at " + path.portal()
                        + ": " + e.getMessage()));
            }
        }
        if (connected.hostDevice() != null && !java.nio.file.Files.exists(java.nio.file.Path.of(
                connected.hostDevice()))) {
            drift.add(Drift.found("device_missing", connected.hostDevice() + " does not exist"));
        }
        ConnectedVolume now = disks.isEmpty() || disks.equals(connected.scsiDevices()) ? connected
                : connected.withScsiDevices(disks);
        return new HostCheck(drift, now);
    }

    /** Multipath uses every path; a single-path attachment the one its by-path device names. */
    private static List<IscsiPath> usedPaths(List<IscsiPath> targets, ConnectedVolume connected) {
        if (connected.multipathMap() != null || connected.hostDevice() == null) {
            return targets;
        }
        List<IscsiPath> named = targets.stream().filter(p -> connected.hostDevice().endsWith("ip-"
                + p.portal().hostPort() + "-iscsi-" + p.iqn() + "-lun-" + p.lun())).toList();
        return named.isEmpty() ? targets.subList(0, Math.min(1, targets.size())) : named;
    }

    /**
     * Every path's disk re-reads its capacity, then the multipath map, as os-brick's extend_volume does. With
     * multipath the paths are the map's members now, not those recorded at attach: a leg that was lost since
     * has no disk to rescan (and its old name may belong to another LUN by now).
     */
    @Override
    public OptionalLong refreshSize(ConnectedVolume connected) {
        String map = connected.multipathMap();
        if (map != null) {
            String dm = sysfs.dmDevice(map).orElseThrow(() -> new TetherException(ErrorCode.ISCSI_DEVICE_NOT_FOUND,
                    "multipath map " + map + " is gone"));
            List<String> legs = sysfs.slaves(dm);
            if (legs.isEmpty()) {
                throw new TetherException(ErrorCode.ISCSI_DEVICE_NOT_FOUND, "multipath map " + map + " has no paths");
            }
            if (legs.size() < connected.scsiDevices().size()) {
                LOG.warnf("multipath map %s has %d of its %d paths; resizing over %s", map, legs.size(),
                        connected.scsiDevices().size(), legs);
            }
            legs.forEach(sysfs::rescan);
            multipath.resize(map);
            return OptionalLong.of(sysfs.sizeBytes(dm));
        }
        for (String disk : connected.scsiDevices()) {
            sysfs.rescan(disk);
        }
        return OptionalLong.of(connected.scsiDevices().stream().mapToLong(sysfs::sizeBytes).min()
                .orElseThrow(() -> new TetherException(ErrorCode.ISCSI_DEVICE_NOT_FOUND, "no SCSI disk recorded")));
    }

    private void detachPaths(List<IscsiPath> targets, List<String> disks) {
        for (String disk : disks) {
            paths.removeDisk(disk);
        }
        for (IscsiPath path : targets) {
            paths.releaseSession(path);
        }
    }
}
