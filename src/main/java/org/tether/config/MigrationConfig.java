package org.tether.config;

import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Live migration to other hosts ({@code tether.migration.*}): the Tether agents this one may send a domain to,
 * by name, and how its libvirtd reaches theirs. A destination that is not named here is refused.
 */
public interface MigrationConfig {
    Map<String, Peer> peers();

    /**
     * A destination drops what it prepared for a domain that never arrived once this long has passed since the
     * prepare (the source died before it began): never while libvirt is bringing the domain in.
     */
    @WithDefault("2m")
    java.time.Duration prepareGrace();

    /** The longest a migration may run before it is aborted (the guest stays on the source). */
    @WithDefault("30m")
    java.time.Duration timeout();

    /** The longest one call to a peer agent may take (a prepare connects every volume there). */
    @WithDefault("5m")
    java.time.Duration peerTimeout();

    interface Peer {
        /** The peer agent's API, e.g. {@code https://compute-2:8443}. */
        java.net.URI url();

        /** File holding the bearer token of the peer's API ({@code tether.api.token-file} there). */
        Optional<Path> tokenFile();

        /** CA certificate (PEM) the peer's TLS certificate is verified against; unset: the JVM's trust store. */
        Optional<Path> caFile();

        /** How this host's libvirtd reaches the peer's, e.g. {@code qemu+tls://compute-2/system}. */
        String libvirtUri();

        /** Where QEMU sends memory, {@code tcp://address[:port]}; unset: libvirt's choice from the peer's name. */
        Optional<String> migrateUri();

        /** The address the peer's QEMU listens on for the incoming migration; unset: libvirt's default. */
        Optional<String> listenAddress();
    }
}
