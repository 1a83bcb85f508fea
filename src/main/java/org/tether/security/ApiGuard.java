package org.tether.security;

import io.quarkus.runtime.StartupEvent;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import org.tether.config.TetherConfig;

import javax.net.ssl.SSLPeerUnverifiedException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * In front of every route: {@code /v1} (and {@code /q/metrics} when configured) needs the bearer token and/or
 * a verified client certificate; a refusal is a 401 problem+json and an audit line. Every mutating
 * {@code /v1} call is audited with its outcome. Health is always open: probes must not need secrets.
 */
@ApplicationScoped
public class ApiGuard {
    private static final Logger LOG = Logger.getLogger(ApiGuard.class);
    private static final Set<HttpMethod> MUTATING = Set.of(HttpMethod.PUT, HttpMethod.POST, HttpMethod.DELETE,
            HttpMethod.PATCH);

    /** Routing-context key under which the authenticated caller is left for later handlers. */
    public static final String CALLER = "tether.caller";

    private final TetherConfig.Api config;
    private final InternalCalls internal;
    private final AuditLog audit;
    private final Optional<ApiToken> token;
    private final long maxBody;

    public ApiGuard(TetherConfig config, AuditLog audit, InternalCalls internal,
                    @org.eclipse.microprofile.config.inject.ConfigProperty(name = "quarkus.http.limits.max-body-size",
                            defaultValue = "10M") io.quarkus.runtime.configuration.MemorySize maxBody) {
        this.maxBody = maxBody.asLongValue();
        this.internal = internal;
        this.config = config.api();
        this.audit = audit;
        this.token = this.config.tokenFile().map(ApiToken::read);
        if (token.isEmpty() && !this.config.requireClientCert() && !this.config.allowUnauthenticated()) {
            throw new IllegalStateException("no API credentials configured: set tether.api.token-file (a 0600 file "
                    + "holding the bearer token) and/or tether.api.require-client-cert=true with TLS; "
                    + "tether.api.allow-unauthenticated=true is for a lab on loopback only");
        }
    }

    void onStart(@Observes StartupEvent event) {
        if (token.isEmpty() && !config.requireClientCert()) {
            LOG.warn("API authentication is off (tether.api.allow-unauthenticated=true): lab use only");
        }
        LOG.infof("API authentication: %s%s", token.isPresent() ? "bearer token (" + token.get().id() + ")" : "none",
                config.requireClientCert() ? " + client certificate" : "");
    }

    void install(@Observes Router router) {
        router.route().order(-1000).handler(this::handle);
    }

    /**
     * A body announced past the limit is refused here, as problem+json, before it is read (the HTTP layer
     * would refuse it too, but with an empty answer).
     */
    private boolean tooLarge(RoutingContext ctx) {
        String length = ctx.request().getHeader("Content-Length");
        try {
            if (length == null || Long.parseLong(length.strip()) <= maxBody) {
                return false;
            }
        } catch (NumberFormatException e) {
            return false; // the HTTP layer answers a malformed length itself
        }
        ctx.response().setStatusCode(413).putHeader("Content-Type", "application/problem+json")
                .putHeader(org.tether.api.ProblemMappers.PROBLEM_HEADER, "body_too_large")
                .end("{\"type\":\"urn:tether:problem:body_too_large\",\"title\":\"Request body too large\","
                        + "\"status\":413,\"detail\":\"the request body is larger than the agent accepts\","
                        + "\"code\":\"body_too_large\"}");
        return true;
    }

    private void handle(RoutingContext ctx) {
        String path = ctx.normalizedPath();
        boolean api = path.equals("/v1") || path.startsWith("/v1/");
        boolean guarded = api || (config.protectMetrics() && path.startsWith("/q/metrics"));
        long start = System.nanoTime();
        String who = "anonymous";
        if (guarded && internal.isInternal(ctx)) {
            String behalf = ctx.request().getHeader(InternalCalls.ON_BEHALF_OF);
            who = "async:" + (behalf == null ? "anonymous" : behalf);
        } else if (guarded) {
            Optional<String> refusal = refusal(ctx);
            who = caller(ctx);
            if (refusal.isPresent()) {
                audit(ctx, who, path, 401, start, "unauthorized");
                LOG.warnf("refused %s %s from %s: %s", ctx.request().method(), path, remote(ctx), refusal.get());
                ctx.response().setStatusCode(401).putHeader("Content-Type", "application/problem+json")
                        .putHeader("WWW-Authenticate", "Bearer realm=\"tether\"")
                        .end("{\"type\":\"urn:tether:problem:unauthorized\",\"title\":\"Unauthorized\","
                                + "\"status\":401,\"detail\":\"" + refusal.get() + "\",\"code\":\"unauthorized\"}");
                return;
            }
        }
        ctx.put(CALLER, who);
        if (tooLarge(ctx)) {
            if (api) {
                audit(ctx, who, path, 413, start, "body_too_large");
            }
            return;
        }
        if (api && MUTATING.contains(ctx.request().method())) {
            String caller = who;
            ctx.addEndHandler(done -> audit(ctx, caller, path, ctx.response().getStatusCode(), start,
                    ctx.response().headers().get(org.tether.api.ProblemMappers.PROBLEM_HEADER)));
        }
        ctx.next();
    }

    /** Why the call is refused (a fixed phrase, never echoing what was sent), or empty when it may pass. */
    private Optional<String> refusal(RoutingContext ctx) {
        if (token.isPresent()) {
            String header = ctx.request().getHeader("Authorization");
            if (header == null || !header.startsWith("Bearer ")) {
                return Optional.of("missing bearer token");
            }
            if (!token.get().matches(header.substring("Bearer ".length()).strip())) {
                return Optional.of("wrong bearer token");
            }
        }
        if (config.requireClientCert() && clientCert(ctx).isEmpty()) {
            return Optional.of("no verified client certificate");
        }
        return Optional.empty();
    }

    private String caller(RoutingContext ctx) {
        Optional<X509Certificate> cert = clientCert(ctx);
        if (cert.isPresent()) {
            return "cert:" + cert.get().getSubjectX500Principal().getName();
        }
        String header = ctx.request().getHeader("Authorization");
        if (token.isPresent() && header != null && header.startsWith("Bearer ")
                && token.get().matches(header.substring("Bearer ".length()).strip())) {
            return token.get().id();
        }
        return "anonymous";
    }

    private static Optional<X509Certificate> clientCert(RoutingContext ctx) {
        if (!ctx.request().isSSL()) {
            return Optional.empty();
        }
        try {
            for (Certificate c : ctx.request().connection().peerCertificates()) {
                if (c instanceof X509Certificate x) {
                    return Optional.of(x);
                }
            }
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private void audit(RoutingContext ctx, String who, String path, int status, long start, String problem) {
        audit.write(new AuditLog.Entry(Instant.now(), who, ctx.request().method().name(), path, status,
                (System.nanoTime() - start) / 1_000_000, remote(ctx), problem));
    }

    private static String remote(RoutingContext ctx) {
        return ctx.request().remoteAddress() == null ? null : ctx.request().remoteAddress().hostAddress();
    }
}
