package org.tether.openstack;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.tether.config.CinderConfig;
import org.tether.config.KeystoneUserConfig;
import org.tether.config.ServiceUserConfig;
import org.tether.config.SecretFile;

/**
 * What Tether proves its identity to Keystone with, checked when the agent starts: a user's password with a
 * project scope, or an application credential (which carries its own scope). The secret is read from a 0600
 * file and appears only in the body of {@code POST /v3/auth/tokens}.
 */
final class KeystoneCredentials {
    private final KeystoneUserConfig config;
    private final String secret;
    private final String role;

    private KeystoneCredentials(KeystoneUserConfig config, String secret, String role) {
        this.config = config;
        this.secret = secret;
        this.role = role;
    }

    /** The agent's own user, {@code tether.cinder.*}. */
    static KeystoneCredentials from(CinderConfig c) {
        return from(c, "tether.cinder.", "");
    }

    /** The service user of {@code tether.cinder.service-user.*}; empty when none is set (the agent's user serves). */
    static java.util.Optional<KeystoneCredentials> serviceUser(ServiceUserConfig s) {
        if (s.username().isEmpty() && s.applicationCredentialId().isEmpty()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(from(s, "tether.cinder.service-user.", "service "));
    }

    /**
     * @param prefix the settings' prefix, for messages
     * @param role   how {@link #who()} introduces the identity ("service " or nothing)
     * @throws IllegalStateException naming the missing or contradictory settings
     */
    private static KeystoneCredentials from(KeystoneUserConfig c, String prefix, String role) {
        return switch (c.authType()) {
            case PASSWORD -> {
                require(c.username().isPresent(), prefix + "username");
                require(c.passwordFile().isPresent(), prefix + "password-file");
                require(c.projectId().isPresent() || c.projectName().isPresent(),
                        prefix + "project-id or " + prefix + "project-name");
                if (c.projectId().isPresent() && c.projectName().isPresent()) {
                    throw new IllegalStateException("set " + prefix + "project-id or " + prefix + "project-name, not both");
                }
                yield new KeystoneCredentials(c, SecretFile.read(c.passwordFile().get(), "Keystone password", 1), role);
            }
            case APPLICATION_CREDENTIAL -> {
                require(c.applicationCredentialId().isPresent(), prefix + "application-credential-id");
                require(c.applicationCredentialSecretFile().isPresent(), prefix + "application-credential-secret-file");
                yield new KeystoneCredentials(c, SecretFile.read(c.applicationCredentialSecretFile().get(),
                        "application credential secret", 1), role);
            }
        };
    }

    private static void require(boolean present, String key) {
        if (!present) {
            throw new IllegalStateException("tether.cinder.auth-url is set, so " + key + " is needed");
        }
    }

    /** Who, for log lines and errors; never the secret. */
    String who() {
        return switch (config.authType()) {
            case PASSWORD -> role + "user " + config.username().orElseThrow() + " (domain " + config.userDomainName() + ")";
            case APPLICATION_CREDENTIAL -> role + "application credential " + config.applicationCredentialId().orElseThrow();
        };
    }

    /** The body of {@code POST /v3/auth/tokens}. */
    ObjectNode tokenRequest() {
        ObjectNode root = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        ObjectNode auth = root.putObject("auth");
        ObjectNode identity = auth.putObject("identity");
        switch (config.authType()) {
            case PASSWORD -> {
                identity.putArray("methods").add("password");
                ObjectNode user = identity.putObject("password").putObject("user");
                user.put("name", config.username().orElseThrow());
                user.putObject("domain").put("name", config.userDomainName());
                user.put("password", secret);
                ObjectNode project = auth.putObject("scope").putObject("project");
                if (config.projectId().isPresent()) {
                    project.put("id", config.projectId().get());
                } else {
                    project.put("name", config.projectName().orElseThrow());
                    project.putObject("domain").put("name", config.projectDomainName());
                }
            }
            case APPLICATION_CREDENTIAL -> {
                identity.putArray("methods").add("application_credential");
                identity.putObject("application_credential")
                        .put("id", config.applicationCredentialId().orElseThrow()).put("secret", secret);
            }
        }
        return root;
    }
}
