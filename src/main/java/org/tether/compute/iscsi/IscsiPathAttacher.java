package org.tether.compute.iscsi;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import org.tether.connection.ChapCredentials;
import org.tether.connection.IscsiPath;
import org.tether.concurrent.Deadline;
import org.tether.concurrent.KeyedLocks;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.metrics.StepTimes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * One (portal, iqn, lun) on the kernel initiator: from node record to {@code sdX} and back. Everything that
 * touches a session holds that target's lock, so a logout never races a login of another LUN.
 */
@ApplicationScoped
public class IscsiPathAttacher {
    private static final Logger LOG = Logger.getLogger(IscsiPathAttacher.class);
    /** sysfs reads and a stat are cheap: poll often, so a disk that appears is used within 50 ms of it. */
    private static final Duration FIRST_POLL = Duration.ofMillis(10);
    private static final Duration MAX_POLL = Duration.ofMillis(50);
    /** How long a new disk may wait for udev's by-path link before its kernel name is used. */
    static final Duration UDEV_LINK_TIMEOUT = Duration.ofSeconds(3);

    private final Iscsiadm iscsiadm;
    private final ScsiSysfs sysfs;
    private final Blockdev blockdev;
    private final Path devRoot;
    private final Duration deviceTimeout;
    private final Duration udevLinkTimeout;
    private final KeyedLocks targetLocks = new KeyedLocks();

    @Inject
    public IscsiPathAttacher(Iscsiadm iscsiadm, ScsiSysfs sysfs, Blockdev blockdev, TetherConfig config) {
        this(iscsiadm, sysfs, blockdev, config.iscsi().devRoot(), config.iscsi().deviceTimeout(), UDEV_LINK_TIMEOUT);
    }

    public IscsiPathAttacher(Iscsiadm iscsiadm, ScsiSysfs sysfs, Blockdev blockdev, Path devRoot,
                             Duration deviceTimeout, Duration udevLinkTimeout) {
        this.udevLinkTimeout = udevLinkTimeout;
        this.iscsiadm = iscsiadm;
        this.sysfs = sysfs;
        this.blockdev = blockdev;
        this.devRoot = devRoot;
        this.deviceTimeout = deviceTimeout;
    }

    static String targetKey(IscsiPath p) {
        return p.portal().hostPort() + "," + p.iqn();
    }

    /**
     * Brings the LUN up and returns its disk name ({@code sdb}). On failure, whatever this call created
     * (a session, a node record) is removed again, unless another LUN uses it.
     */
    public String attach(IscsiPath path, ChapCredentials chap) {
        try (KeyedLocks.Held held = targetLocks.lock(targetKey(path))) {
            Optional<IscsiSession> existing = session(path);
            if (existing.isEmpty()) {
                StepTimes.step("connect.node", () -> iscsiadm.createNode(path.portal(), path.iqn(), chap));
            }
            try {
                IscsiSession session = existing.orElseGet(() -> StepTimes.step("connect.login", () -> login(path, chap)));
                return StepTimes.step("connect.scan", () -> scanAndFind(session, path.lun()));
            } catch (RuntimeException e) {
                if (existing.isEmpty()) {
                    undoLogin(path);
                }
                throw e;
            }
        }
    }

    /**
     * Logs in. A CHAP refusal is tried once more only when the node record turns out not to hold the CHAP
     * name it was given (under parallel logins to one LIO portal a login was seen going out without its
     * CHAP name, "Could not find CHAP_N"): the record is written again first. A refusal with the record
     * intact is the password's and is not repeated — a second failed login right after the first one
     * trips a NULL dereference in Debian 6.1's iscsi_tcp connection cleanup, seen in the test-host VM.
     */
    private IscsiSession login(IscsiPath path, ChapCredentials chap) {
        try {
            iscsiadm.login(path.portal(), path.iqn());
        } catch (TetherException e) {
            if (e.code() != ErrorCode.ISCSI_AUTH_FAILED || chap == null || chap.username().equals(
                    iscsiadm.nodeSetting(path.portal(), path.iqn(), "node.session.auth.username").orElse(null))) {
                throw e;
            }
            LOG.warnf("CHAP login to %s at %s refused; writing the node record again and retrying once",
                    path.iqn(), path.portal());
            iscsiadm.createNode(path.portal(), path.iqn(), chap);
            iscsiadm.login(path.portal(), path.iqn());
        }
        return session(path).orElseThrow(() -> new TetherException(ErrorCode.ISCSI_LOGIN_FAILED,
                "login to " + path.iqn() + " at " + path.portal() + " left no session"));
    }

    private String scanAndFind(IscsiSession session, int lun) {
        Deadline deadline = Deadline.in(deviceTimeout);
        Optional<String> disk = sysfs.blockDevice(session.id(), lun);
        if (disk.isPresent()) {
            return disk.get(); // another attachment already scanned this LUN
        }
        int host = deadline.poll(() -> sysfs.host(session.id()), FIRST_POLL, MAX_POLL)
                .orElseThrow(() -> notFound(session, lun, "the session has no SCSI host"));
        sysfs.scan(host, session.id(), lun);
        return deadline.poll(() -> sysfs.blockDevice(session.id(), lun), FIRST_POLL, MAX_POLL)
                .orElseThrow(() -> notFound(session, lun, "no disk appeared on SCSI host " + host));
    }

    private static TetherException notFound(IscsiSession s, int lun, String why) {
        return new TetherException(ErrorCode.ISCSI_DEVICE_NOT_FOUND,
                "LUN " + lun + " of " + s.iqn() + " at " + s.portal() + ": " + why);
    }

    private void undoLogin(IscsiPath path) {
        try {
            Optional<IscsiSession> s = session(path);
            if (s.isEmpty() || sysfs.lunsOf(s.get().id()).isEmpty()) {
                iscsiadm.logout(path.portal(), path.iqn());
                iscsiadm.deleteNode(path.portal(), path.iqn());
            }
        } catch (RuntimeException e) {
            LOG.warnf("rollback of %s at %s incomplete: %s", path.iqn(), path.portal(), e.getMessage());
        }
    }

    /**
     * {@code /dev/disk/by-path/...} (stable across reboots, what Nova puts in the domain), waiting briefly for
     * udev to make it; {@code /dev/sdX} on a host whose udev does not.
     */
    public String stableDevicePath(IscsiPath path, String disk) {
        Path byPath = devRoot.resolve("disk/by-path/ip-" + path.portal().hostPort() + "-iscsi-" + path.iqn()
                + "-lun-" + path.lun());
        return StepTimes.step("connect.udev_link", () -> Deadline.in(udevLinkTimeout)
                .poll(() -> Files.exists(byPath) ? Optional.of(byPath.toString()) : Optional.empty(), FIRST_POLL,
                        MAX_POLL)
                .orElse(devRoot.resolve(disk).toString()));
    }

    /** Flushes and deletes one SCSI disk. */
    public void removeDisk(String disk) {
        Path dev = devRoot.resolve(disk);
        if (Files.exists(dev)) {
            StepTimes.step("disconnect.flush", () -> blockdev.flush(dev));
        }
        StepTimes.step("disconnect.delete_disk", () -> sysfs.delete(disk));
    }

    /**
     * Logs in again with the node record as it is (its CHAP included) and scans the LUN: for a session that
     * an attachment needs and that went away (iscsid restarted, host rebooted, target flapped).
     *
     * @return the LUN's disk name now
     */
    public String relogin(IscsiPath path) {
        try (KeyedLocks.Held held = targetLocks.lock(targetKey(path))) {
            Optional<IscsiSession> existing = session(path);
            IscsiSession session = existing.isPresent() ? existing.get() : login(path, null);
            return scanAndFind(session, path.lun());
        }
    }

    /** Whether a session to the path's target exists. */
    public boolean hasSession(IscsiPath path) {
        return session(path).isPresent();
    }

    /**
     * The SCSI disk the path's LUN has now, if its session exists: for a disconnect that does not know the
     * disk's name because a crash came between the scan and the journal write.
     */
    public Optional<String> currentDisk(IscsiPath path) {
        try (KeyedLocks.Held held = targetLocks.lock(targetKey(path))) {
            return session(path).flatMap(s -> sysfs.blockDevice(s.id(), path.lun()));
        }
    }

    /** Logs out and forgets the node record, but only when no LUN of that session is left. */
    public void releaseSession(IscsiPath path) {
        try (KeyedLocks.Held held = targetLocks.lock(targetKey(path))) {
            Optional<IscsiSession> s = session(path);
            if (s.isPresent()) {
                List<Hctl> left = sysfs.lunsOf(s.get().id());
                if (!left.isEmpty()) {
                    LOG.debugf("keeping session %d: LUNs %s still present", s.get().id(), left);
                    return;
                }
                StepTimes.step("disconnect.logout", () -> iscsiadm.logout(path.portal(), path.iqn()));
            }
            StepTimes.step("disconnect.node", () -> iscsiadm.deleteNode(path.portal(), path.iqn()));
        }
    }

    private Optional<IscsiSession> session(IscsiPath path) {
        return sysfs.sessions().stream().filter(s -> s.matches(path.portal(), path.iqn())).findFirst();
    }
}
