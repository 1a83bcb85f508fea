package org.tether.config;

import io.smallrye.config.WithDefault;

import java.time.Duration;

/** {@code tether.libvirt.*}: the libvirtd the agent drives. */
public interface LibvirtConfig {
    /** The libvirtd the agent drives. */
    @WithDefault("qemu:///system")
    String uri();

    /**
     * While libvirtd cannot be reached the agent answers 503 and reconnects on every call and readiness
     * probe; after this long liveness goes DOWN and the systemd watchdog stops, so systemd restarts it.
     */
    @WithDefault("5m")
    Duration giveUpAfter();
}
