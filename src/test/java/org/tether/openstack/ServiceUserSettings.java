package org.tether.openstack;

import org.tether.config.CinderConfig;
import org.tether.config.ServiceUserConfig;

import java.nio.file.Path;
import java.util.Optional;

/** {@code tether.cinder.service-user.*} in unit tests. */
record ServiceUserSettings(boolean send, String user, Path pwFile, String project, String roleName)
        implements ServiceUserConfig {

    /** The defaults: a service token is sent, the agent's own user's token when it has the role. */
    static ServiceUserSettings sameUser() {
        return new ServiceUserSettings(true, null, null, null, "service");
    }

    static ServiceUserSettings user(String name, Path pwFile, String project) {
        return new ServiceUserSettings(true, name, pwFile, project, "service");
    }

    static ServiceUserSettings off() {
        return new ServiceUserSettings(false, null, null, null, "service");
    }

    @Override public boolean sendToken() { return send; }
    @Override public String role() { return roleName; }
    @Override public CinderConfig.AuthType authType() { return CinderConfig.AuthType.PASSWORD; }
    @Override public Optional<String> username() { return Optional.ofNullable(user); }
    @Override public String userDomainName() { return "Default"; }
    @Override public Optional<Path> passwordFile() { return Optional.ofNullable(pwFile); }
    @Override public Optional<String> projectId() { return Optional.ofNullable(project); }
    @Override public Optional<String> projectName() { return Optional.empty(); }
    @Override public String projectDomainName() { return "Default"; }
    @Override public Optional<String> applicationCredentialId() { return Optional.empty(); }
    @Override public Optional<Path> applicationCredentialSecretFile() { return Optional.empty(); }
}
