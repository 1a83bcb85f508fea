package org.tether.compute.libvirt;

/** Where a domain stands on this host, as far as a live migration is concerned. */
public enum MigrationState {
    /** libvirt on this host has no such domain. */
    ABSENT,
    /** The destination's half of a migration in progress: QEMU started paused, memory still arriving. */
    INCOMING,
    /** Running, with any migration of it over (or none begun). */
    RUNNING,
    /** Paused by someone, shut off, crashed: not a state a migration leaves behind. */
    OTHER
}
