package org.tether.config;

import java.util.Optional;

/**
 * The key manager of encrypted volumes: Barbican, reached with the Keystone credentials of
 * {@code tether.cinder.*}, as castellan reaches it for Nova and Cinder.
 */
public interface KeyManagerConfig {
    /** Barbican's root, e.g. {@code https://barbican.example:9311}; unset = the catalog's {@code key-manager}. */
    Optional<java.net.URI> endpoint();
}
