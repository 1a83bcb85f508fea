package org.tether.config;

import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Ceph RBD (backend {@code rbd}), as Cinder's RBD driver is configured: images {@code volume-<id>} in one
 * pool, reached as one cephx user through the {@code rbd} and {@code ceph} programs.
 */
public interface RbdConfig {
    /** The Ceph pool volumes are made in. */
    @WithDefault("volumes")
    String pool();

    /** The cephx user, without {@code client.} (Cinder's {@code rbd_user}). */
    @WithDefault("cinder")
    String user();

    /** The keyring of the cephx user ({@code user}). */
    @WithDefault("/etc/ceph/ceph.client.cinder.keyring")
    Path keyring();

    /** The cluster's {@code ceph.conf}. */
    @WithDefault("/etc/ceph/ceph.conf")
    Path conf();

    /** Written into connection_info as {@code cluster_name}. */
    @WithDefault("ceph")
    String clusterName();

    /** The libvirt secret compute hosts hold this user's key under (Cinder's {@code rbd_secret_uuid}). */
    Optional<java.util.UUID> secretUuid();

    /**
     * Sends the keyring in connection_info (Cinder's {@code rbd_keyring_conf}), for compute hosts without
     * the secret. The key then travels to every controller that exports; off by default.
     */
    @WithDefault("false")
    boolean sendKeyring();

    /** A clone whose chain of parents would be deeper than this is flattened (Cinder's {@code rbd_max_clone_depth}). */
    @WithDefault("5")
    int maxCloneDepth();

    /**
     * The pool of Glance's RBD store when it is this cluster (Glance and Cinder on one Ceph). Set, a raw
     * upload of a volume ({@code POST /v1/volumes/{id}/image}) is copied inside Ceph into this pool (a clone
     * of a snapshot, flattened) and given to Glance as a location, instead of streamed through Glance. The
     * agent's user then needs {@code profile rbd pool=<this>}, and Glance {@code show_multiple_locations}.
     */
    Optional<String> glancePool();

    /**
     * How old a reading of the pool's statistics ({@code ceph df}) a create, extend or move may be admitted
     * by; health and the pool listing always read afresh. {@code 0s} reads on every create.
     */
    @WithDefault("15s")
    Duration statsMaxAge();

    /** Longest an rbd or ceph call may take (flatten and copies included). */
    @WithDefault("300s")
    Duration timeout();

    /** How long a call waits for the monitors before it answers 503. */
    @WithDefault("10s")
    Duration connectTimeout();

    /**
     * Creates and removes images through one librados session the agent keeps (librbd through JNA), ~5 ms,
     * instead of an {@code rbd} process per call, ~100 ms. false: the rbd program for everything.
     */
    @WithDefault("true")
    boolean librbd();
}
