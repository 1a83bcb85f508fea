package org.tether.config;

import java.util.Optional;

/** Glance v2, reached with the Keystone credentials of {@code tether.cinder.*}. */
public interface GlanceConfig {
    /** Glance's root, e.g. {@code https://glance.example:9292}; unset = the catalog's {@code image} entry. */
    Optional<java.net.URI> endpoint();
}
