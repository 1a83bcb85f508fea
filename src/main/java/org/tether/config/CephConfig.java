package org.tether.config;

import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * This host's cephx identity for RBD volumes (compute mode), as operators configure Nova's
 * {@code rbd_secret_uuid}: the agent keeps a private libvirt secret of type ceph with this UUID holding
 * the key read from {@code key-file} (0600 or 0400, root's). Without it, RBD connection_info must name a
 * secret the host already has, or carry a {@code keyring}.
 */
public interface CephConfig {
    /**
     * UUID of the libvirt secret holding this host's cephx key (Nova's {@code rbd_secret_uuid}); with
     * {@code key-file} the agent defines it, otherwise the host must have it.
     */
    Optional<java.util.UUID> secretUuid();

    /** A file holding the base64 key (as {@code ceph auth get-key} prints it) or a whole keyring. */
    Optional<Path> keyFile();

    /** The cephx user the key belongs to (without {@code client.}). */
    @WithDefault("cinder")
    String user();

    /**
     * How long QEMU's librbd waits for the monitors when a volume is plugged: librbd's own default is 300 s,
     * and a wrong key makes it wait all of it, holding the domain. Written as {@code client_mount_timeout}
     * into {@code client-conf}, which the disk names when the connection_info lists its monitors.
     */
    @WithDefault("20s")
    Duration connectTimeout();

    /** The ceph.conf of client settings QEMU reads; must be readable by QEMU's user. */
    @WithDefault("${tether.state-dir:/var/lib/tether}/ceph/librbd.conf")
    Path clientConf();
}
