package org.tether.security;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.tether.config.TetherConfig;

import java.time.Instant;
import java.util.Set;

/**
 * After authentication and authorization (Quarkus Security runs at route orders -200 and -100): refuses a
 * body announced past the limit as problem+json before it is read, and audits every mutating call and every
 * read of an operation record (which can hold what a call answered) with its outcome. The audit line is
 * written before the answer's headers go out.
 */
@ApplicationScoped
public class CallAudit {
    /** Route order: after Quarkus's authorization filter (-100), before the asynchronous-call handler. */
    public static final int ORDER = -60;
    /** The problem's code as a header too, so the audit log can name it without reading bodies. */
    public static final String PROBLEM_HEADER = "Tether-Problem";
    static final String STARTED = "tether.started";
    private static final Set<HttpMethod> MUTATING = Set.of(HttpMethod.PUT, HttpMethod.POST, HttpMethod.DELETE,
            HttpMethod.PATCH);

    private final AuditLog audit;
    private final long maxBody;

    public CallAudit(AuditLog audit, TetherConfig config,
                     @ConfigProperty(name = "quarkus.http.limits.max-body-size", defaultValue = "10M")
                     io.quarkus.runtime.configuration.MemorySize maxBody) {
        this.audit = audit;
        this.maxBody = maxBody.asLongValue();
    }

    void install(@Observes Router router) {
        router.route().order(ORDER).handler(this::handle);
        router.route().order(ORDER).failureHandler(this::forbidden);
    }

    /**
     * An identity the API policy does not admit (only Quarkus's own certificate mechanism makes one, for a
     * client certificate presented with a missing or wrong token): 403 problem+json and an audit line.
     */
    private void forbidden(RoutingContext ctx) {
        if (!(ctx.failure() instanceof io.quarkus.security.ForbiddenException) || ctx.response().ended()) {
            ctx.next();
            return;
        }
        write(ctx, 403, "forbidden");
        ctx.response().setStatusCode(403).putHeader("Content-Type", "application/problem+json")
                .putHeader(PROBLEM_HEADER, "forbidden")
                .end("{\"type\":\"urn:tether:problem:forbidden\",\"title\":\"Forbidden\",\"status\":403,"
                        + "\"detail\":\"these credentials do not admit this caller to the API\",\"code\":\"forbidden\"}");
    }

    private void handle(RoutingContext ctx) {
        boolean audited = MUTATING.contains(ctx.request().method()) || ctx.normalizedPath().contains("/operations");
        if (tooLarge(ctx)) {
            write(ctx, 413, "body_too_large");
            return;
        }
        if (audited) {
            ctx.addHeadersEndHandler(v -> write(ctx, ctx.response().getStatusCode(),
                    ctx.response().headers().get(PROBLEM_HEADER)));
        }
        ctx.next();
    }

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
                .putHeader(PROBLEM_HEADER, "body_too_large")
                .end("{\"type\":\"urn:tether:problem:body_too_large\",\"title\":\"Request body too large\","
                        + "\"status\":413,\"detail\":\"the request body is larger than the agent accepts\","
                        + "\"code\":\"body_too_large\"}");
        return true;
    }

    private void write(RoutingContext ctx, int status, String problem) {
        Long started = ctx.get(STARTED);
        long ms = started == null ? 0 : (System.nanoTime() - started) / 1_000_000;
        audit.write(new AuditLog.Entry(Instant.now(), CallerName.of(ctx), ctx.request().method().name(),
                ctx.request().path(), status, ms, ApiAuthMechanism.remote(ctx), problem));
    }
}
