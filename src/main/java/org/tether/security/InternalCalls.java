package org.tether.security;

import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The agent calling itself (an asynchronous operation running its call): recognised by a random per-process
 * token on a connection from this host, so it is admitted on behalf of the original, already authenticated
 * caller. The token never leaves the process except on that connection.
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

    /** Constant-time comparison with this process's token. */
    public boolean matches(String presented) {
        return presented != null && MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8),
                token.getBytes(StandardCharsets.UTF_8));
    }

    /** Who the request was admitted as (the security identity's name), for records and the audit log. */
    public String caller(RoutingContext ctx) {
        return CallerName.of(ctx);
    }
}
