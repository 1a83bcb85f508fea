package org.tether.config;

import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The Cinder v3 attachments client ({@code /v1/cinder-attachments}). Off unless {@code auth-url} is set.
 * Secrets come from 0600 files, never from this configuration.
 */
/**
 * Who Tether is to Keystone: a user's password with a project scope, or an application credential (which
 * carries its own scope).
 */
public interface KeystoneUserConfig {
    /** {@code password} (a user and a project) or {@code application-credential}. */
    @WithDefault("password")
    CinderConfig.AuthType authType();

    /** The Keystone user (password auth). */
    Optional<String> username();

    /** The user's domain (password auth). */
    @WithDefault("Default")
    String userDomainName();

    /** A file holding the user's password (mode 0600; never in the configuration itself). */
    Optional<Path> passwordFile();

    /** The project the token is scoped to (password auth); by id, or by name in its domain. */
    Optional<String> projectId();

    /** The project by name, in {@code project-domain-name} (when no {@code project-id} is set). */
    Optional<String> projectName();

    /** The domain of {@code project-name}. */
    @WithDefault("Default")
    String projectDomainName();

    /** The application credential's id (application credential auth). */
    Optional<String> applicationCredentialId();

    /** A file holding the application credential's secret (mode 0600). */
    Optional<Path> applicationCredentialSecretFile();
}
