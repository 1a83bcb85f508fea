package org.tether.config;

import io.smallrye.config.WithDefault;

import java.time.Duration;

/** {@code tether.metrics.*}: the agent's own metrics. */
public interface MetricsConfig {
    /** How often the per-disk I/O counters are read from libvirt: one call for every running domain. */
    @WithDefault("15s")
    Duration diskIoInterval();
}
