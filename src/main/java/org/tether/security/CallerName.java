package org.tether.security;

import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.vertx.ext.web.RoutingContext;

/** The name the audit log and operation records give the caller of a request. */
final class CallerName {
    private CallerName() {
    }

    static String of(RoutingContext ctx) {
        if (ctx.user() instanceof QuarkusHttpUser user) {
            SecurityIdentity identity = user.getSecurityIdentity();
            if (!identity.isAnonymous()) {
                return identity.getPrincipal().getName();
            }
        }
        return "anonymous";
    }
}
