package org.tether.openstack;

import org.jboss.logging.Logger;
import org.tether.config.ServiceUserConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.Optional;

/**
 * The {@code X-Service-Token} Nova sends beside the user's token ({@code [service_user]
 * send_service_user_token}). Cinder checks it since OSSA-2023-003 before it deletes an attachment that has
 * connection_info: only a service may say the volume is no longer used. The token is the service user's
 * own ({@code tether.cinder.service-user.*}), or, when none is set, the agent's user's token itself when that
 * user holds the role. A service user whose token lacks the role is refused here, by name: Cinder would refuse
 * every request that carries such a token with a bare 401.
 */
final class ServiceTokens {
    private static final Logger LOG = Logger.getLogger(ServiceTokens.class);

    private final boolean send;
    private final String role;
    private final Optional<KeystoneSession> own;
    private volatile boolean warned;

    ServiceTokens(ServiceUserConfig config, Optional<KeystoneSession> own) {
        this.send = config.sendToken();
        this.role = config.role();
        this.own = own;
    }

    /** The service token to send with a call made with {@code user}'s token; empty when none is sent. */
    Optional<KeystoneSession.Token> forCall(KeystoneSession.Token user) {
        if (!send) {
            return Optional.empty();
        }
        if (own.isPresent()) {
            KeystoneSession.Token token = own.get().token();
            if (!token.roles().contains(role)) {
                throw new TetherException(ErrorCode.KEYSTONE_AUTH_FAILED, "the " + own.get().who()
                        + " has no role '" + role + "' in its token (roles " + token.roles()
                        + "); Cinder refuses such a service token: grant it the role or set tether.cinder.service-user.role");
            }
            return Optional.of(token);
        }
        if (user.roles().contains(role)) {
            return Optional.of(user);
        }
        if (!warned) {
            warned = true;
            LOG.warnf("the agent's Keystone user has no role '%s' and no tether.cinder.service-user is set: Cinder "
                    + "calls carry no X-Service-Token, and Cinder will not delete an attachment that has "
                    + "connection_info (OSSA-2023-003)", role);
        }
        return Optional.empty();
    }

    /** Forgets the service user's token after Cinder answered 401, so the next call fetches a fresh one. */
    void invalidate(Optional<KeystoneSession.Token> sent) {
        sent.ifPresent(t -> own.ifPresent(s -> s.invalidate(t)));
    }

    /** What an operator must do when Cinder refuses a delete for want of a service token; empty if one was sent. */
    String hintWhenMissing(Optional<KeystoneSession.Token> sent) {
        if (sent.isPresent()) {
            return "";
        }
        return "; no X-Service-Token was sent, which Cinder needs to delete an attachment that has connection_info"
                + " (OSSA-2023-003): set tether.cinder.service-user.* to a user with the '" + role + "' role"
                + (send ? "" : " and tether.cinder.service-user.send-token=true");
    }
}
