package org.tether.security;

import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.BaseAuthenticationRequest;

import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * What a caller presented, as {@link ApiAuthMechanism} read it off the request; {@link ApiIdentityProvider}
 * decides who (if anyone) that is. Never logged: it holds the bearer token.
 */
public final class ApiCaller extends BaseAuthenticationRequest {
    /** The role every admitted caller has; the {@code tether-api} policy asks for it. */
    public static final String ROLE = "tether-api";

    private final String bearer;
    private final X509Certificate certificate;
    private final String internalToken;
    private final String onBehalfOf;
    private final boolean fromThisHost;
    private final String keystoneToken;

    public ApiCaller(String bearer, X509Certificate certificate, String internalToken, String onBehalfOf,
                     boolean fromThisHost, String keystoneToken) {
        this.keystoneToken = keystoneToken;
        this.bearer = bearer;
        this.certificate = certificate;
        this.internalToken = internalToken;
        this.onBehalfOf = onBehalfOf;
        this.fromThisHost = fromThisHost;
    }

    public Optional<String> bearer() {
        return Optional.ofNullable(bearer);
    }

    /** A Keystone token ({@code X-Auth-Token}). */
    public Optional<String> keystoneToken() {
        return Optional.ofNullable(keystoneToken).filter(t -> !t.isBlank());
    }

    public Optional<X509Certificate> certificate() {
        return Optional.ofNullable(certificate);
    }

    public Optional<String> internalToken() {
        return Optional.ofNullable(internalToken);
    }

    public String onBehalfOf() {
        return onBehalfOf == null ? "anonymous" : onBehalfOf;
    }

    /** The connection comes from an address of this host (loopback, or the address the agent listens on). */
    public boolean fromThisHost() {
        return fromThisHost;
    }

    /** Whether an identity was admitted to the API (rather than being the anonymous one). */
    public static boolean admitted(SecurityIdentity identity) {
        return identity != null && !identity.isAnonymous() && identity.hasRole(ROLE);
    }
}
