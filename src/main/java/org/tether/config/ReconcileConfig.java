package org.tether.config;

import io.smallrye.config.WithDefault;

import java.time.Duration;

/** {@code tether.reconcile.*}: the reconciliation of the journal with libvirt and the kernel. */
public interface ReconcileConfig {
    /** Time between reconciliation passes after the one at start; 0 turns the periodic passes off. */
    @WithDefault("60s")
    Duration interval();
}
