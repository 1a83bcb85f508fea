package org.tether.config;

import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Who may call the API, and the record of what they did. */
public interface ApiConfig {
    /**
     * File holding the bearer token every {@code /v1} call must present ({@code Authorization: Bearer}).
     * Must be mode 0600 or stricter; unset means no token is asked for.
     */
    Optional<Path> tokenFile();

    /** Demand a client certificate verified against the TLS trust store (mutual TLS) on {@code /v1}. */
    @WithDefault("false")
    boolean requireClientCert();

    /**
     * Without a token file or client certificates the agent refuses to start, unless this is set: for a
     * lab on loopback, never for a host on a network.
     */
    @WithDefault("false")
    boolean allowUnauthenticated();

    /**
     * Plain HTTP is served only on a loopback address unless this is set (a lab on a private network):
     * elsewhere the agent refuses to start and asks for TLS.
     */
    @WithDefault("false")
    boolean allowPlainHttp();

    /** Whether {@code /q/metrics} needs the same credentials as {@code /v1}; health stays open always. */
    @WithDefault("false")
    boolean protectMetrics();

    Keystone keystone();

    /**
     * Keystone tokens ({@code X-Auth-Token}) as a way in beside the token file: validated against Keystone
     * with the agent's own service credentials ({@code tether.cinder.*}), as keystonemiddleware does.
     */
    interface Keystone {
        /**
         * Admit Keystone tokens ({@code X-Auth-Token}) on {@code /v1}, validated by Keystone with the agent's own
         * service credentials.
         */
        @WithDefault("false")
        boolean enabled();

        /** A token is admitted only when it carries one of these roles. */
        @WithDefault("admin,service")
        java.util.List<String> roles();

        /**
         * How long a validated token is trusted without asking Keystone again (never past its expiry): a
         * revocation takes effect within this time, as with keystonemiddleware's token_cache_time.
         */
        @WithDefault("5m")
        Duration cacheTime();
    }

    /** JSON-lines audit log of every mutating call and every refused one; never a body or a secret. */
    @WithDefault("/var/log/tether/audit.jsonl")
    Path auditFile();

    /** Size at which the logging stack rotates the audit log (read by its handler in application.properties). */
    @WithDefault("50M")
    String auditMaxFileSize();

    /** Rotated audit files kept. */
    @WithDefault("10")
    int auditKeep();
}
