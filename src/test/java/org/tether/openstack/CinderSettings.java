package org.tether.openstack;

import org.tether.config.CinderConfig;
import org.tether.config.ServiceUserConfig;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Settings for the Cinder client in unit tests, changed one field at a time with the {@code with*} copies. */
record CinderSettings(URI auth, AuthType type, String user, Path pwFile, String project, String projectNameValue,
                      String appCredId, Path appCredSecretFile, URI endpointValue, String iface, String regionValue,
                      Path ca, Duration requestTimeout, int retryCount, Duration delay, Duration maxDelay,
                      Duration margin, ServiceUserConfig service) implements CinderConfig {

    static CinderSettings password(URI auth, Path pwFile) {
        return new CinderSettings(auth, AuthType.PASSWORD, "tether", pwFile, "a1b2c3d4e5f60718293a4b5c6d7e8f90",
                null, null, null, null, "public", null, null, Duration.ofSeconds(2), 3, Duration.ofMillis(100),
                Duration.ofSeconds(2), Duration.ofSeconds(120), ServiceUserSettings.sameUser());
    }

    CinderSettings withEndpoint(URI e) {
        return new CinderSettings(auth, type, user, pwFile, project, projectNameValue, appCredId, appCredSecretFile,
                e, iface, regionValue, ca, requestTimeout, retryCount, delay, maxDelay, margin, service);
    }

    CinderSettings withRegion(String iface, String region) {
        return new CinderSettings(auth, type, user, pwFile, project, projectNameValue, appCredId, appCredSecretFile,
                endpointValue, iface, region, ca, requestTimeout, retryCount, delay, maxDelay, margin, service);
    }

    CinderSettings withProjectName(String name) {
        return new CinderSettings(auth, type, user, pwFile, null, name, appCredId, appCredSecretFile,
                endpointValue, iface, regionValue, ca, requestTimeout, retryCount, delay, maxDelay, margin, service);
    }

    CinderSettings withApplicationCredential(String id, Path secretFile) {
        return new CinderSettings(auth, AuthType.APPLICATION_CREDENTIAL, null, null, null, null, id, secretFile,
                endpointValue, iface, regionValue, ca, requestTimeout, retryCount, delay, maxDelay, margin, service);
    }

    CinderSettings withCa(Path caFile) {
        return new CinderSettings(auth, type, user, pwFile, project, projectNameValue, appCredId, appCredSecretFile,
                endpointValue, iface, regionValue, caFile, requestTimeout, retryCount, delay, maxDelay, margin, service);
    }

    CinderSettings withTimeout(Duration t) {
        return new CinderSettings(auth, type, user, pwFile, project, projectNameValue, appCredId, appCredSecretFile,
                endpointValue, iface, regionValue, ca, t, retryCount, delay, maxDelay, margin, service);
    }

    CinderSettings withServiceUser(ServiceUserConfig s) {
        return new CinderSettings(auth, type, user, pwFile, project, projectNameValue, appCredId, appCredSecretFile,
                endpointValue, iface, regionValue, ca, requestTimeout, retryCount, delay, maxDelay, margin, s);
    }

    @Override public ServiceUserConfig serviceUser() { return service; }
    @Override public Optional<URI> authUrl() { return Optional.ofNullable(auth); }
    @Override public AuthType authType() { return type; }
    @Override public Optional<String> username() { return Optional.ofNullable(user); }
    @Override public String userDomainName() { return "Default"; }
    @Override public Optional<Path> passwordFile() { return Optional.ofNullable(pwFile); }
    @Override public Optional<String> projectId() { return Optional.ofNullable(project); }
    @Override public Optional<String> projectName() { return Optional.ofNullable(projectNameValue); }
    @Override public String projectDomainName() { return "Default"; }
    @Override public Optional<String> applicationCredentialId() { return Optional.ofNullable(appCredId); }
    @Override public Optional<Path> applicationCredentialSecretFile() { return Optional.ofNullable(appCredSecretFile); }
    @Override public Optional<URI> endpoint() { return Optional.ofNullable(endpointValue); }
    @Override public String endpointInterface() { return iface; }
    @Override public Optional<String> region() { return Optional.ofNullable(regionValue); }
    @Override public Optional<Path> caFile() { return Optional.ofNullable(ca); }
    @Override public Duration connectTimeout() { return Duration.ofSeconds(2); }
    @Override public Duration timeout() { return requestTimeout; }
    @Override public int retries() { return retryCount; }
    @Override public Duration retryDelay() { return delay; }
    @Override public Duration maxRetryDelay() { return maxDelay; }
    @Override public Duration tokenRefreshMargin() { return margin; }
}
