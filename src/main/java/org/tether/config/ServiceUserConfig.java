package org.tether.config;

import io.smallrye.config.WithDefault;

/**
 * Nova's {@code [service_user]}: an {@code X-Service-Token} sent beside the user's token on every Cinder
 * call. Cinder has needed it since OSSA-2023-003 to delete an attachment that has connection_info; without
 * it Cinder asks Nova whether the server still uses the volume. Unset credentials mean the agent's own
 * user serves, when its token has {@link #role()}.
 */
public interface ServiceUserConfig extends KeystoneUserConfig {
    /** Nova's {@code send_service_user_token}. */
    @WithDefault("true")
    boolean sendToken();

    /** The role Cinder demands of a service token (its {@code [keystone_authtoken] service_token_roles}). */
    @WithDefault("service")
    String role();
}
