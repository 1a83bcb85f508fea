package org.tether.config;

import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/** {@code tether.storage.lvm.*}: the LVM backend (a volume group, thick or thin). */
public interface LvmConfig {
    /** The volume group volumes are made in. */
    @WithDefault("cinder-volumes")
    String vg();

    /** Physical volumes the device filter admits; empty admits every device. */
    Optional<java.util.List<String>> pvs();

    /** Thin pool size as lvcreate takes it ({@code 90%VG}, {@code 100g}). */
    @WithDefault("90%VG")
    String thinPoolSize();

    /** What a thick volume's blocks get before the LV is removed: none, zero or discard. */
    @WithDefault("zero")
    Wipe wipe();

    /** Longest one lvm command may take before it is killed. */
    @WithDefault("120s")
    Duration timeout();

    /** The most lvm processes at once, across every LVM pool. */
    @WithDefault("4")
    int maxConcurrent();

    /**
     * How long an LVM report ({@code vgs}, {@code lvs}) serves again while the agent itself changed nothing
     * (its own changes are seen at once): what others change on the host is seen after at most this long.
     */
    @WithDefault("2s")
    Duration reportMaxAge();

    enum Wipe { NONE, ZERO, DISCARD }
}
