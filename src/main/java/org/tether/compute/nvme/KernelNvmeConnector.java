package org.tether.compute.nvme;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import org.tether.compute.iscsi.Blockdev;
import org.tether.disk.AttachPath;
import org.tether.disk.ConnectedVolume;
import org.tether.disk.DiskSource;
import org.tether.disk.Drift;
import org.tether.disk.VolumeConnector;
import org.tether.concurrent.Deadline;
import org.tether.config.TetherConfig;
import org.tether.connection.ConnectionInfo;
import org.tether.connection.IscsiPath;
import org.tether.connection.NvmeofConnectionInfo;
import org.tether.connection.Portal;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.metrics.StepTimes;
import org.tether.state.AttachmentJournal;
import org.tether.state.AttachmentRecord;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * NVMe over TCP on the kernel path, as os-brick's NVMeOFConnector does it, without its known faults: a
 * controller that already serves the subsystem at that portal is reused (its namespaces rescanned) rather than
 * connected twice; the device is the namespace head found by the namespace's UUID (then NGUID, then id) under
 * the subsystem, never a before/after diff of {@code /dev}; the host NQN is the one kept in
 * {@code /etc/nvme/hostnqn}; a disconnect takes a controller away only when no other attachment uses the
 * subsystem, and one nvme-cli cannot remove is deleted through sysfs. With several portals, one controller per
 * portal: the kernel's native multipath joins them under one namespace head.
 * <p>
 * The disk the domain is given is udev's {@code /dev/disk/by-id/nvme-<wwid>} link of that head (the wwid is the
 * namespace's UUID, which is the volume id), not the head's own name: {@code nvmeXnY} numbers follow the order
 * subsystems are connected in, so after a reboot or a reconnect another volume can take a name a domain
 * definition still holds. The head's name is used only where udev makes no link.
 */
@ApplicationScoped
public class KernelNvmeConnector implements VolumeConnector {
    private static final Logger LOG = Logger.getLogger(KernelNvmeConnector.class);

    private final NvmeCli cli;
    private final NvmeSysfs sysfs;
    private final NvmeHostIdentity identity;
    private final Blockdev blockdev;
    private final AttachmentJournal journal;
    private final Path devRoot;
    private final Duration deviceTimeout;
    private final Duration udevLinkTimeout;

    @Inject
    public KernelNvmeConnector(NvmeCli cli, NvmeSysfs sysfs, NvmeHostIdentity identity, Blockdev blockdev,
                               AttachmentJournal journal, TetherConfig config) {
        this(cli, sysfs, identity, blockdev, journal, config.iscsi().devRoot(), config.nvme().deviceTimeout(),
                config.nvme().udevLinkTimeout());
    }

    public KernelNvmeConnector(NvmeCli cli, NvmeSysfs sysfs, NvmeHostIdentity identity, Blockdev blockdev,
                               AttachmentJournal journal, Path devRoot, Duration deviceTimeout,
                               Duration udevLinkTimeout) {
        this.cli = cli;
        this.sysfs = sysfs;
        this.identity = identity;
        this.blockdev = blockdev;
        this.journal = journal;
        this.devRoot = devRoot;
        this.deviceTimeout = deviceTimeout;
        this.udevLinkTimeout = udevLinkTimeout;
    }

    @Override
    public AttachPath path() {
        return AttachPath.KERNEL;
    }

    @Override
    public String driverVolumeType() {
        return NvmeofConnectionInfo.TYPE;
    }

    @Override
    public boolean supports(ConnectionInfo info) {
        return info instanceof NvmeofConnectionInfo;
    }

    @Override
    public ConnectedVolume connect(String attachmentKey, UUID volumeId, ConnectionInfo info) {
        NvmeofConnectionInfo n = (NvmeofConnectionInfo) info;
        NvmeHostIdentity.Identity host = identity.ensure();
        List<String> controllers = new ArrayList<>();
        List<String> made = new ArrayList<>();
        TetherException last = null;
        for (Portal p : n.portals()) {
            try {
                Optional<NvmeSysfs.Controller> live = sysfs.controller(n.targetNqn(), p);
                if (live.isPresent()) {
                    sysfs.rescan(live.get().name());
                    controllers.add(live.get().name());
                    continue;
                }
                StepTimes.step("connect.nvme_connect", () -> cli.connect(n.targetNqn(), p, host));
                String name = Deadline.in(deviceTimeout).poll(() -> sysfs.controller(n.targetNqn(), p)
                        .map(NvmeSysfs.Controller::name), Duration.ofMillis(20), Duration.ofMillis(200))
                        .orElseThrow(() -> new TetherException(ErrorCode.NVME_CONNECT_FAILED, "nvme connect to "
                                + n.targetNqn() + " at " + p.hostPort() + " made no controller"));
                controllers.add(name);
                made.add(name);
            } catch (TetherException e) {
                LOG.warnf("NVMe path %s %s failed: %s", p.hostPort(), n.targetNqn(), e.getMessage());
                last = e;
            }
        }
        if (controllers.isEmpty()) {
            throw last;
        }
        Optional<String> head = StepTimes.step("connect.namespace", () -> Deadline.in(deviceTimeout).poll(
                () -> sysfs.namespace(n.targetNqn(), n.nsUuid(), n.nsId()), Duration.ofMillis(20), Duration.ofMillis(200)));
        if (head.isEmpty()) {
            made.forEach(this::removeController);
            throw new TetherException(ErrorCode.NVME_DEVICE_NOT_FOUND, "no namespace " + (n.nsUuid() != null
                    ? n.nsUuid() : "id " + n.nsId()) + " of " + n.targetNqn() + " appeared within " + deviceTimeout);
        }
        String device = StepTimes.step("connect.udev_link", () -> stableDevicePath(head.get()));
        LOG.infof("NVMe namespace of %s is %s (%s) over %s", n.targetNqn(), device, head.get(), controllers);
        return new ConnectedVolume(new DiskSource.BlockDevice(device), device, controllers, null, null);
    }

    /** udev's by-id link of the head once it points at that head; the head's own path where there is none. */
    private String stableDevicePath(String head) {
        Path headPath = devRoot.resolve(head);
        String wwid = sysfs.wwid(head);
        if (wwid.isEmpty()) {
            return headPath.toString();
        }
        Path link = devRoot.resolve("disk/by-id/nvme-" + wwid);
        return Deadline.in(udevLinkTimeout).poll(() -> pointsAt(link, headPath) ? Optional.of(link.toString())
                : Optional.<String>empty(), Duration.ofMillis(10), Duration.ofMillis(50)).orElseGet(() -> {
                    LOG.warnf("no udev link %s to %s; the domain gets the head's own name", link, headPath);
                    return headPath.toString();
                });
    }

    private static boolean pointsAt(Path link, Path target) {
        try {
            return Files.exists(link) && link.toRealPath().equals(target.toRealPath());
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** The head's name ({@code nvmeXnY}) behind a recorded device, which may be its by-id link. */
    private static String headOf(String device) {
        Path p = Path.of(device);
        try {
            return p.toRealPath().getFileName().toString();
        } catch (java.io.IOException e) {
            return p.getFileName().toString();
        }
    }

    @Override
    public void disconnect(List<IscsiPath> paths, ConnectedVolume connected) {
        if (paths.isEmpty()) {
            return;
        }
        String nqn = paths.get(0).iqn();
        String device = connected == null ? null : connected.hostDevice();
        if (device != null && Files.exists(Path.of(device))) {
            StepTimes.step("disconnect.flush", () -> blockdev.flush(Path.of(device)));
        }
        if (sharedWithAnother(nqn, device)) {
            LOG.infof("NVMe subsystem %s stays connected: another attachment uses it", nqn);
            return;
        }
        // no other attachment on this host uses the subsystem: all its controllers go in one nvme-cli call, as
        // os-brick does; one still there afterwards is removed by itself
        StepTimes.step("disconnect.controller", () -> cli.disconnectSubsystem(nqn));
        for (IscsiPath p : paths) {
            sysfs.controller(nqn, p.portal()).ifPresent(c -> StepTimes.step("disconnect.controller",
                    () -> removeController(c.name())));
        }
    }

    /** Another attachment on this host holds a namespace of the same subsystem (another volume's head). */
    private boolean sharedWithAnother(String nqn, String device) {
        for (AttachmentRecord r : journal.all()) {
            if (!NvmeofConnectionInfo.TYPE.equals(r.driverVolumeType()) || r.connected() == null
                    || r.connected().hostDevice() == null || r.connected().hostDevice().equals(device)) {
                continue;
            }
            if (r.paths().stream().anyMatch(p -> p.iqn().equals(nqn))) {
                return true;
            }
        }
        return false;
    }

    private void removeController(String name) {
        if (!cli.disconnect(name)) {
            LOG.warnf("nvme disconnect could not remove %s; deleting it through sysfs", name);
            try {
                sysfs.deleteController(name);
            } catch (TetherException e) {
                LOG.errorf("controller %s could not be removed: %s", name, e.getMessage());
            }
        }
    }

    /**
     * A controller missing for a recorded portal is connected again (the host NQN needs no secret); a
     * namespace head that is gone is drift.
     */
    @Override
    public HostCheck check(List<IscsiPath> paths, ConnectedVolume connected) {
        List<Drift> drift = new ArrayList<>();
        List<String> controllers = new ArrayList<>();
        for (IscsiPath p : paths) {
            Optional<NvmeSysfs.Controller> c = sysfs.controller(p.iqn(), p.portal());
            if (c.isPresent()) {
                controllers.add(c.get().name());
                continue;
            }
            try {
                cli.connect(p.iqn(), p.portal(), identity.ensure());
                sysfs.controller(p.iqn(), p.portal()).ifPresent(x -> controllers.add(x.name()));
                drift.add(Drift.repaired("controller_reconnected", "connected again to " + p.iqn() + " at "
                        + p.portal().hostPort()));
            } catch (TetherException e) {
                drift.add(Drift.found("controller_missing", "no controller for " + p.iqn() + " at "
                        + p.portal().hostPort() + ": " + e.getMessage()));
            }
        }
        boolean reconnected = drift.stream().anyMatch(Drift::repaired);
        if (connected.hostDevice() != null && !appears(Path.of(connected.hostDevice()), reconnected)) {
            drift.add(Drift.found("device_missing", connected.hostDevice() + " does not exist"));
        }
        ConnectedVolume now = controllers.isEmpty() || controllers.equals(connected.scsiDevices()) ? connected
                : connected.withScsiDevices(controllers);
        return new HostCheck(drift, now);
    }

    /** Whether the device is there, given the time a namespace takes to appear when its controller was just made. */
    private boolean appears(Path device, boolean justConnected) {
        if (!justConnected) {
            return Files.exists(device);
        }
        return Deadline.in(deviceTimeout.plus(udevLinkTimeout)).poll(() -> Files.exists(device) ? Optional.of(true)
                : Optional.<Boolean>empty(), Duration.ofMillis(20), Duration.ofMillis(200)).isPresent();
    }

    /** Every controller rescans its namespaces; the head then reports the size the target has now. */
    @Override
    public OptionalLong refreshSize(ConnectedVolume connected) {
        for (String c : connected.scsiDevices()) {
            sysfs.rescan(c);
        }
        String head = headOf(connected.hostDevice());
        long before = sysfs.sizeBytes(head);
        if (before < 0) {
            throw new TetherException(ErrorCode.NVME_DEVICE_NOT_FOUND, connected.hostDevice() + " is gone");
        }
        // the rescan runs in the kernel's scan work: the head's size changes a moment later
        return OptionalLong.of(Deadline.in(Duration.ofSeconds(3)).poll(() -> {
            long now = sysfs.sizeBytes(head);
            return now != before ? Optional.of(now) : Optional.<Long>empty();
        }, Duration.ofMillis(20), Duration.ofMillis(200)).orElse(before));
    }
}
