package org.tether.security;

import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.HttpSecurityPolicy;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import org.tether.config.TetherConfig;

/**
 * The named policies {@code application.properties} hands out by path ({@code quarkus.http.auth.permission.*}):
 * every path is {@code tether-api} (an admitted caller only) unless a more specific rule opens it; health is
 * {@code tether-open}, and metrics {@code tether-metrics}. An open path is open only when spelled plainly: a
 * path with matrix parameters, percent-escapes or segments the router rewrote needs a caller as any other,
 * so no spelling can slip from an open rule to something the REST layer would dispatch elsewhere.
 */
public final class ApiPolicies {
    private ApiPolicies() {
    }

    static Uni<HttpSecurityPolicy.CheckResult> admittedOnly(Uni<SecurityIdentity> identity) {
        return identity.map(i -> ApiCaller.admitted(i) ? HttpSecurityPolicy.CheckResult.PERMIT
                : HttpSecurityPolicy.CheckResult.DENY);
    }

    /** The path exactly as sent is the one the router resolved, with nothing it would strip or decode. */
    static boolean plainlySpelled(RoutingContext ctx) {
        String raw = ctx.request().path();
        return raw != null && raw.equals(ctx.normalizedPath()) && raw.indexOf(';') < 0 && raw.indexOf('%') < 0
                && !raw.contains("//");
    }

    static Uni<HttpSecurityPolicy.CheckResult> open(RoutingContext ctx, Uni<SecurityIdentity> identity) {
        return plainlySpelled(ctx) ? Uni.createFrom().item(HttpSecurityPolicy.CheckResult.PERMIT)
                : admittedOnly(identity);
    }

    /** Every path not opened by a more specific permission. */
    @ApplicationScoped
    public static class Api implements HttpSecurityPolicy {
        @Override
        public Uni<CheckResult> checkPermission(RoutingContext ctx, Uni<SecurityIdentity> identity,
                                                AuthorizationRequestContext requestContext) {
            return admittedOnly(identity);
        }

        @Override
        public String name() {
            return "tether-api";
        }
    }

    /** Health: probes must not need secrets. */
    @ApplicationScoped
    public static class Open implements HttpSecurityPolicy {
        @Override
        public Uni<CheckResult> checkPermission(RoutingContext ctx, Uni<SecurityIdentity> identity,
                                                AuthorizationRequestContext requestContext) {
            return open(ctx, identity);
        }

        @Override
        public String name() {
            return "tether-open";
        }
    }

    /** Metrics: open, or an admitted caller only with {@code tether.api.protect-metrics}. */
    @ApplicationScoped
    public static class Metrics implements HttpSecurityPolicy {
        private final boolean protect;

        public Metrics(TetherConfig config) {
            this.protect = config.api().protectMetrics();
        }

        @Override
        public Uni<CheckResult> checkPermission(RoutingContext ctx, Uni<SecurityIdentity> identity,
                                                AuthorizationRequestContext requestContext) {
            return protect ? admittedOnly(identity) : open(ctx, identity);
        }

        @Override
        public String name() {
            return "tether-metrics";
        }
    }
}
