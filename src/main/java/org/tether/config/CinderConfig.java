package org.tether.config;

import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** {@code tether.cinder.*}: the Cinder the agent calls for Cinder attachments, the Keystone user it calls it as, retries and timeouts. */
public interface CinderConfig extends KeystoneUserConfig {
    /** Keystone v3, e.g. {@code https://keystone.example:5000/v3}. */
    Optional<java.net.URI> authUrl();

    ServiceUserConfig serviceUser();

    /** Cinder's versioned root, e.g. {@code https://cinder.example:8776/v3}; unset = from the Keystone catalog. */
    Optional<java.net.URI> endpoint();

    /** Catalog interface: public, internal or admin. */
    @WithDefault("public")
    String endpointInterface();

    /** The region whose endpoints are taken from Keystone's catalog; unset: the first of each service. */
    Optional<String> region();

    /** PEM file of the CA certificates to trust for Keystone and Cinder; unset = the JVM's trust store. */
    Optional<Path> caFile();

    /** Longest a TCP and TLS connect to an OpenStack service may take. */
    @WithDefault("10s")
    Duration connectTimeout();

    /** For one HTTP request, waiting for its answer. */
    @WithDefault("30s")
    Duration timeout();

    /** Repeats after a 5xx, a connection error or a timeout; other answers are never repeated. */
    @WithDefault("3")
    int retries();

    /** The first pause before a retried OpenStack call; doubled (with jitter) up to {@code max-retry-delay}. */
    @WithDefault("500ms")
    Duration retryDelay();

    /** The longest pause between two tries of an OpenStack call. */
    @WithDefault("10s")
    Duration maxRetryDelay();

    /** A cached token is replaced this long before Keystone says it expires. */
    @WithDefault("120s")
    Duration tokenRefreshMargin();

    enum AuthType { PASSWORD, APPLICATION_CREDENTIAL }
}
