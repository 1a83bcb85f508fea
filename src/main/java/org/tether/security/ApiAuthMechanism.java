package org.tether.security;

import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.smallrye.mutiny.Uni;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import javax.net.ssl.SSLPeerUnverifiedException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Set;

/**
 * Reads what a caller presented (bearer token, a verified client certificate, the agent's own internal-call
 * token) and hands it to {@link ApiIdentityProvider}. Credentials that do not hold leave the request
 * anonymous with the reason noted: the HTTP permissions then decide, and everything but health (and open
 * metrics) is denied to anonymous callers. The denial is answered here, as problem+json, and audited.
 */
@ApplicationScoped
public class ApiAuthMechanism implements HttpAuthenticationMechanism {
    private static final Logger LOG = Logger.getLogger(ApiAuthMechanism.class);
    private static final String BEARER = "Bearer ";
    private static final String UNAVAILABLE = "tether.auth.unavailable";

    private final AuditLog audit;

    public ApiAuthMechanism(AuditLog audit) {
        this.audit = audit;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(RoutingContext ctx, IdentityProviderManager identities) {
        ctx.put(CallAudit.STARTED, System.nanoTime());
        String authorization = ctx.request().getHeader("Authorization");
        String bearer = authorization != null && authorization.startsWith(BEARER)
                ? authorization.substring(BEARER.length()).strip() : null;
        ApiCaller caller = new ApiCaller(bearer, clientCertificate(ctx), ctx.request().getHeader(InternalCalls.HEADER),
                ctx.request().getHeader(InternalCalls.ON_BEHALF_OF), fromThisHost(ctx),
                ctx.request().getHeader("X-Auth-Token"));
        return identities.authenticate(caller).onFailure().recoverWithItem(failure -> {
            ctx.put(Refusal.KEY, failure instanceof Refusal || failure instanceof KeystoneCallers.Unavailable
                    ? failure.getMessage() : "credentials not accepted");
            if (failure instanceof KeystoneCallers.Unavailable) {
                ctx.put(UNAVAILABLE, true);
            } else if (!(failure instanceof Refusal)) {
                LOG.warn("authentication failed unexpectedly", failure);
            }
            return null; // anonymous: the permission policies decide
        });
    }

    @Override
    public Uni<ChallengeData> getChallenge(RoutingContext ctx) {
        return Uni.createFrom().item(new ChallengeData(401, "WWW-Authenticate", "Bearer realm=\"tether\""));
    }

    /** A denied anonymous request: 401 problem+json naming why, one audit line and one log line. */
    @Override
    public Uni<Boolean> sendChallenge(RoutingContext ctx) {
        String reason = ctx.get(Refusal.KEY);
        if (reason == null) {
            reason = "missing credentials";
        }
        String path = ctx.request().path();
        Long started = ctx.get(CallAudit.STARTED);
        long ms = started == null ? 0 : (System.nanoTime() - started) / 1_000_000;
        String remote = remote(ctx);
        boolean unavailable = Boolean.TRUE.equals(ctx.get(UNAVAILABLE));
        int status = unavailable ? 503 : 401;
        String code = unavailable ? "keystone_unavailable" : "unauthorized";
        audit.write(new AuditLog.Entry(Instant.now(), "anonymous", ctx.request().method().name(), path, status, ms,
                remote, code));
        LOG.warnf("refused %s %s from %s: %s", ctx.request().method(), path, remote, reason);
        var response = ctx.response().setStatusCode(status).putHeader("Content-Type", "application/problem+json")
                .putHeader(CallAudit.PROBLEM_HEADER, code);
        if (unavailable) {
            response.putHeader("Retry-After", "5");
        } else {
            response.putHeader("WWW-Authenticate", "Bearer realm=\"tether\"");
        }
        response.end(new io.vertx.core.json.JsonObject().put("type", "urn:tether:problem:" + code)
                .put("title", unavailable ? "Keystone unavailable" : "Unauthorized").put("status", status)
                .put("detail", reason).put("code", code).encode());
        return Uni.createFrom().item(true);
    }

    /**
     * Before Quarkus's own mutual-TLS mechanism (priority 1000, present because the listener asks for client
     * certificates): this one decides, and its challenge is the one that answers.
     */
    @Override
    public int getPriority() {
        return 2000;
    }

    @Override
    public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
        return Set.of(ApiCaller.class);
    }

    private static X509Certificate clientCertificate(RoutingContext ctx) {
        if (!ctx.request().isSSL()) {
            return null;
        }
        try {
            for (Certificate c : ctx.request().connection().peerCertificates()) {
                if (c instanceof X509Certificate x) {
                    return x; // the TLS layer verified it against the trust store, or there would be none
                }
            }
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
        return null;
    }

    /** A connection from loopback, or from the very address it reached (this host calling its own bind). */
    static boolean fromThisHost(RoutingContext ctx) {
        SocketAddress remote = ctx.request().remoteAddress();
        SocketAddress local = ctx.request().localAddress();
        if (remote == null || remote.hostAddress() == null) {
            return false;
        }
        try {
            if (java.net.InetAddress.getByName(remote.hostAddress()).isLoopbackAddress()) {
                return true;
            }
        } catch (java.net.UnknownHostException e) {
            return false;
        }
        return local != null && remote.hostAddress().equals(local.hostAddress());
    }

    static String remote(RoutingContext ctx) {
        return ctx.request().remoteAddress() == null ? null : ctx.request().remoteAddress().hostAddress();
    }
}
