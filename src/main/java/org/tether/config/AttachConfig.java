package org.tether.config;

import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;

/** {@code tether.attach.*}: the default attach path, and the deadlines and intervals of detaches and moves. */
public interface AttachConfig {
    /** Path used for iSCSI when a request does not name one; RBD goes through QEMU unless a request names a path. */
    @WithDefault("kernel")
    org.tether.disk.AttachPath defaultPath();

    /** How long a detach waits for the guest to release the disk. */
    @WithDefault("30s")
    Duration detachTimeout();

    /** How often a rollback that failed (libvirtd or the target away) is tried again. */
    @WithDefault("15s")
    Duration settleInterval();

    /** How often a pending live detach is asked again while waiting. */
    @WithDefault("5s")
    Duration detachRetryInterval();

    /**
     * How long a move of an attached volume may copy before it is abandoned (the guest stays on the old
     * volume): a guest writing faster than the copy never lets it get in sync.
     */
    @WithDefault("2h")
    Duration moveTimeout();
}
