package org.tether.config;

import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;

/** The NVMe over Fabrics host side (nvme-cli, the kernel's nvme-tcp). */
public interface NvmeConfig {
    /** This host's NQN; made once (from a random host id) when missing, then kept, as nvme-cli's own. */
    @WithDefault("/etc/nvme/hostnqn")
    Path hostnqnFile();

    /** File holding this host's NVMe host id, made with the host NQN when missing. */
    @WithDefault("/etc/nvme/hostid")
    Path hostidFile();

    /** The {@code nvme} program (nvme-cli). */
    @WithDefault("nvme")
    String nvme();

    /** Time one nvme-cli call may take before it is killed. */
    @WithDefault("30s")
    Duration commandTimeout();

    /** How long a connected namespace may take to appear as a block device. */
    @WithDefault("20s")
    Duration deviceTimeout();

    /** How long a new namespace head may wait for udev's by-id link before its kernel name is used. */
    @WithDefault("3s")
    Duration udevLinkTimeout();
}
