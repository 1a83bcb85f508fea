package org.tether.openstack;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.JsonNode;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.tether.config.TetherConfig;
import org.tether.config.CinderConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * Asks Keystone whether a token a caller presented is valid, as keystonemiddleware's {@code auth_token}
 * does: {@code GET /v3/auth/tokens} with the token in {@code X-Subject-Token} and the agent's own service
 * token (the {@code tether.cinder.*} credentials) in {@code X-Auth-Token}. 404 means not valid (expired,
 * revoked, unknown); a 5xx, a timeout or no answer is {@code openstack_unavailable}, never an admission.
 */
@ApplicationScoped
public class KeystoneTokenValidator {
    /** What Keystone said of a valid token. */
    public record Validated(String userId, String userName, String projectId, String projectName,
                            Set<String> roles, Instant expiresAt) {
    }

    private final Optional<KeystoneSession> session;
    private final OpenStackHttp http;
    private final CinderConfig config;

    @Inject
    public KeystoneTokenValidator(TetherConfig config, Clock clock, ObjectMapper json) {
        this(config.cinder(), (OpenStackHttp.Sleeper) d -> Thread.sleep(d.toMillis()), RandomGenerator.getDefault(),
                clock, json);
    }

    KeystoneTokenValidator(CinderConfig config, OpenStackHttp.Sleeper sleeper, RandomGenerator random,
                           Clock clock, ObjectMapper json) {
        this.config = config;
        this.http = new OpenStackHttp(config, sleeper, random, json);
        this.session = KeystoneSession.of(config, http, clock);
    }

    /** Whether the agent has service credentials to validate tokens with. */
    public boolean configured() {
        return session.isPresent();
    }

    /**
     * @return the token's user, project, roles and expiry; empty when Keystone says it is not valid
     * @throws TetherException {@code openstack_unavailable}/{@code openstack_timeout} when Keystone cannot say,
     *                         {@code keystone_auth_failed} when the agent's own credentials are refused
     */
    public Optional<Validated> validate(String subjectToken) {
        KeystoneSession s = session.orElseThrow(() -> new TetherException(ErrorCode.CINDER_NOT_CONFIGURED,
                "Keystone tokens need tether.cinder.auth-url and service credentials"));
        KeystoneSession.Token service = s.token();
        OpenStackHttp.Reply reply = check(service, subjectToken);
        if (reply.status() == 401) { // our own token went stale early: once more with a fresh one
            s.invalidate(service);
            reply = check(s.token(), subjectToken);
        }
        if (reply.status() == 404) {
            return Optional.empty();
        }
        if (reply.status() != 200) {
            throw new TetherException(ErrorCode.KEYSTONE_AUTH_FAILED, "Keystone answered " + reply.status()
                    + " when validating a token" + reply.message());
        }
        return Optional.of(parse(reply.json("Keystone").path("token")));
    }

    private OpenStackHttp.Reply check(KeystoneSession.Token service, String subjectToken) {
        URI url = URI.create(config.authUrl().orElseThrow().toString().replaceAll("/+$", "") + "/auth/tokens");
        return http.send("Keystone", () -> HttpRequest.newBuilder(url).header("Accept", "application/json")
                .header("User-Agent", CinderClient.USER_AGENT).header("X-Auth-Token", service.value())
                .header("X-Subject-Token", subjectToken).GET());
    }

    private static Validated parse(JsonNode token) {
        Set<String> roles = new LinkedHashSet<>();
        token.path("roles").forEach(r -> roles.add(r.path("name").asText()));
        Instant expires;
        try {
            expires = Instant.parse(token.path("expires_at").asText(""));
        } catch (DateTimeParseException e) {
            throw new TetherException(ErrorCode.OPENSTACK_BAD_REPLY, "Keystone token has no readable expires_at");
        }
        return new Validated(token.path("user").path("id").asText(null), token.path("user").path("name").asText(null),
                token.path("project").path("id").asText(null), token.path("project").path("name").asText(null),
                Set.copyOf(roles), expires);
    }
}
