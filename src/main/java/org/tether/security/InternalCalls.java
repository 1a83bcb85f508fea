package org.tether.security;

import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The agent calling itself over loopback (an asynchronous operation running its call): recognised by a
 * random per-process token, so it passes the API guard on behalf of the original, already authenticated caller.
 */
@ApplicationScoped
public class InternalCalls {
    public static final String HEADER = "Tether-Internal-Call";
    public static final String ON_BEHALF_OF = "Tether-On-Behalf-Of";

    private final String token;

    public InternalCalls() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        this.token = HexFormat.of().formatHex(b);
    }

    public String token() {
        return token;
    }

    public boolean isInternal(RoutingContext ctx) {
        String presented = ctx.request().getHeader(HEADER);
        boolean loopback = ctx.request().remoteAddress() != null
                && ("127.0.0.1".equals(ctx.request().remoteAddress().hostAddress())
                || "0:0:0:0:0:0:0:1".equals(ctx.request().remoteAddress().hostAddress()));
        return presented != null && loopback && MessageDigest.isEqual(presented.getBytes(), token.getBytes());
    }

    /** Who the guard let in (set on the context by {@link ApiGuard}), for records and the audit log. */
    public String caller(RoutingContext ctx) {
        Object who = ctx.get(ApiGuard.CALLER);
        return who == null ? "anonymous" : who.toString();
    }
}
