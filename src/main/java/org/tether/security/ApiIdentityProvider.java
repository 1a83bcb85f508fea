package org.tether.security;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import org.tether.config.TetherConfig;
import org.tether.config.ApiConfig;

import java.util.Optional;

/**
 * Decides who an {@link ApiCaller} is: the agent itself running an asynchronous call (its per-process
 * token, from this host only), a client certificate the TLS layer verified, the bearer token of the 0600
 * token file, or, on a lab host that asked for it, nobody in particular. Every admitted identity has
 * {@link ApiCaller#ROLE}; anything else is refused with a fixed reason.
 */
@ApplicationScoped
public class ApiIdentityProvider implements IdentityProvider<ApiCaller> {
    private static final Logger LOG = Logger.getLogger(ApiIdentityProvider.class);

    private final InternalCalls internal;
    private final Optional<ApiToken> token;
    private final boolean requireCert;
    private final KeystoneCallers keystone;

    public ApiIdentityProvider(TetherConfig config, InternalCalls internal, org.eclipse.microprofile.config.Config raw,
                               KeystoneCallers keystone) {
        this.keystone = keystone;
        ApiConfig api = config.api();
        ListenerPolicy.from(raw, io.quarkus.runtime.LaunchMode.current() == io.quarkus.runtime.LaunchMode.TEST)
                .requireSafe(api.allowPlainHttp());
        this.internal = internal;
        this.token = api.tokenFile().map(ApiToken::read);
        this.requireCert = api.requireClientCert();
        if (token.isEmpty() && !requireCert && !keystone.enabled() && !api.allowUnauthenticated()) {
            throw new IllegalStateException("no API credentials configured: set tether.api.token-file (a 0600 file "
                    + "holding the bearer token), tether.api.keystone.enabled=true (Keystone tokens) and/or "
                    + "tether.api.require-client-cert=true with TLS; "
                    + "tether.api.allow-unauthenticated=true is for a lab on loopback only");
        }
    }

    void onStart(@Observes StartupEvent event) {
        if (token.isEmpty() && !requireCert && !keystone.enabled()) {
            LOG.warn("API authentication is off (tether.api.allow-unauthenticated=true): lab use only");
        }
        LOG.infof("API authentication: %s%s%s", token.isPresent() ? "bearer token (" + token.get().id() + ")" : "none",
                keystone.enabled() ? " or Keystone token" : "", requireCert ? " + client certificate" : "");
    }

    @Override
    public Class<ApiCaller> getRequestType() {
        return ApiCaller.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(ApiCaller caller, AuthenticationRequestContext context) {
        if (viaKeystone(caller)) {
            // Keystone is asked over HTTP: off the event loop
            return context.runBlocking(() -> identity(keystone.identify(caller.keystoneToken().get())));
        }
        try {
            return Uni.createFrom().item(identify(caller));
        } catch (Refusal r) {
            return Uni.createFrom().failure(r);
        }
    }

    /** A Keystone token decides when no bearer token was sent, Keystone tokens are on, and TLS allows it. */
    private boolean viaKeystone(ApiCaller caller) {
        return keystone.enabled() && caller.internalToken().isEmpty() && caller.bearer().isEmpty()
                && caller.keystoneToken().isPresent() && (!requireCert || caller.certificate().isPresent());
    }

    /** @throws Refusal when the caller presented too little, or something wrong */
    SecurityIdentity identify(ApiCaller caller) {
        if (caller.internalToken().isPresent()) {
            if (!caller.fromThisHost() || !internal.matches(caller.internalToken().get())) {
                throw new Refusal("invalid internal call");
            }
            return identity("async:" + caller.onBehalfOf());
        }
        if (requireCert && caller.certificate().isEmpty()) {
            throw new Refusal("no verified client certificate");
        }
        if (token.isPresent() || keystone.enabled()) {
            if (caller.bearer().isEmpty()) {
                throw new Refusal(keystone.enabled() ? "missing bearer token or X-Auth-Token" : "missing bearer token");
            }
            if (token.isEmpty()) {
                throw new Refusal("bearer tokens are not configured; send a Keystone token in X-Auth-Token");
            }
            if (!token.get().matches(caller.bearer().get())) {
                throw new Refusal("wrong bearer token");
            }
        }
        if (caller.certificate().isPresent() && requireCert) {
            return identity("cert:" + caller.certificate().get().getSubjectX500Principal().getName());
        }
        return identity(token.map(ApiToken::id).orElse("anonymous"));
    }

    private static SecurityIdentity identity(String name) {
        return QuarkusSecurityIdentity.builder().setPrincipal(new QuarkusPrincipal(name)).addRole(ApiCaller.ROLE)
                .build();
    }
}
