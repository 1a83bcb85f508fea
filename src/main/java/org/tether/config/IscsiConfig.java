package org.tether.config;

import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;

/** {@code tether.iscsi.*}: open-iscsi on the kernel path: iscsiadm, its node database lock, sysfs, multipath, the initiator name. */
public interface IscsiConfig {
    /** Root of sysfs; tests point it at a recorded tree. */
    @WithDefault("/sys")
    Path sysfsRoot();

    /** Where the host's device nodes are ({@code /dev}; a test tree elsewhere). */
    @WithDefault("/dev")
    Path devRoot();

    /** The {@code iscsiadm} program (open-iscsi). */
    @WithDefault("iscsiadm")
    String iscsiadm();

    /**
     * The lock file taken (fcntl, exclusive, as oslo.concurrency's external locks) around every write to
     * open-iscsi's node database. Where os-brick runs on the same host (a Nova being replaced, a Cinder
     * backup service), point it at os-brick's {@code <lock_path>/os-brick-connect_volume}: os-brick holds
     * that lock through each connect and disconnect, so neither changes node records under the other.
     */
    @WithDefault("/run/lock/tether-iscsi-node-db")
    Path nodeDbLock();

    /** Time one iscsiadm call may take before it is killed. */
    @WithDefault("30s")
    Duration commandTimeout();

    /** Deadline for the SCSI disk of a freshly scanned LUN to appear. */
    @WithDefault("20s")
    Duration deviceTimeout();

    /**
     * Log in to every portal of a volume and attach its multipath device (Nova's
     * {@code volume_use_multipath}); also reported in the connector.
     */
    @WithDefault("false")
    boolean multipath();

    /**
     * Reported in the connector as {@code enforce_multipath} (Nova's {@code volume_enforce_multipath}) for the
     * controller to act on.
     */
    @WithDefault("true")
    boolean enforceMultipath();

    /** open-iscsi's initiator name file: this host's IQN, sent in the connector. */
    @WithDefault("/etc/iscsi/initiatorname.iscsi")
    Path initiatorNameFile();
}
