package org.tether.openstack;

import com.fasterxml.jackson.databind.JsonNode;
import org.jboss.logging.Logger;
import org.tether.config.CinderConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * A Keystone v3 token, fetched when first needed, reused until shortly before it expires, and replaced at
 * once when Cinder refuses it. Concurrent callers share one fetch.
 */
final class KeystoneSession {
    private static final Logger LOG = Logger.getLogger(KeystoneSession.class);
    /** Catalog types of Cinder's v3 API, newest name first. */
    private static final List<String> CINDER_TYPES = List.of("block-storage", "volumev3");

    /** Catalog types of Glance. */
    static final List<String> GLANCE_TYPES = List.of("image");

    /** A token and what came with it: the project it is scoped to, the roles it carries, the service catalog. */
    record Token(String value, Instant expiresAt, String projectId, List<String> roles, JsonNode catalog) {
    }

    private final CinderConfig config;
    private final KeystoneCredentials credentials;
    private final OpenStackHttp http;
    private final Clock clock;
    private Token current;

    KeystoneSession(CinderConfig config, KeystoneCredentials credentials, OpenStackHttp http, Clock clock) {
        this.config = config;
        this.credentials = credentials;
        this.http = http;
        this.clock = clock;
    }

    /** The session of {@code tether.cinder.*}'s credentials, or empty when no {@code auth-url} is set. */
    static java.util.Optional<KeystoneSession> of(CinderConfig config, OpenStackHttp http, Clock clock) {
        return config.authUrl().isEmpty() ? java.util.Optional.empty()
                : java.util.Optional.of(new KeystoneSession(config, KeystoneCredentials.from(config), http, clock));
    }

    /**
     * The session of the service user ({@code tether.cinder.service-user.*}) at the same Keystone; empty when
     * no {@code auth-url} is set or the service user has no credentials of its own.
     */
    static java.util.Optional<KeystoneSession> serviceUserOf(CinderConfig config, OpenStackHttp http, Clock clock) {
        if (config.authUrl().isEmpty()) {
            return java.util.Optional.empty();
        }
        return KeystoneCredentials.serviceUser(config.serviceUser()).map(c -> new KeystoneSession(config, c, http, clock));
    }

    /** Who this session authenticates as, for messages. */
    String who() {
        return credentials.who();
    }

    synchronized Token token() {
        if (current == null || !clock.instant().isBefore(current.expiresAt().minus(config.tokenRefreshMargin()))) {
            current = fetch();
        }
        return current;
    }

    /** Forget {@code refused} (unless another caller already replaced it), so the next call fetches anew. */
    synchronized void invalidate(Token refused) {
        if (current != null && current.value().equals(refused.value())) {
            current = null;
        }
    }

    private Token fetch() {
        URI url = URI.create(config.authUrl().orElseThrow().toString().replaceAll("/+$", "") + "/auth/tokens");
        byte[] body = http.bytes(credentials.tokenRequest());
        OpenStackHttp.Reply reply = http.send("Keystone", () -> HttpRequest.newBuilder(url)
                .header("Content-Type", "application/json").header("Accept", "application/json")
                .header("User-Agent", CinderClient.USER_AGENT)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
        if (reply.status() != 201 && reply.status() != 200) {
            throw new TetherException(ErrorCode.KEYSTONE_AUTH_FAILED, "Keystone refused " + credentials.who()
                    + " with " + reply.status() + reply.message());
        }
        String value = reply.header("X-Subject-Token").filter(v -> !v.isBlank()).orElseThrow(() ->
                new TetherException(ErrorCode.KEYSTONE_AUTH_FAILED, "Keystone answered without X-Subject-Token"));
        JsonNode token = reply.json("Keystone").path("token");
        Instant expires = expiry(token.path("expires_at").asText(""));
        String project = token.path("project").path("id").asText(null);
        List<String> roles = new java.util.ArrayList<>();
        token.path("roles").forEach(r -> roles.add(r.path("name").asText()));
        LOG.infof("Keystone token for %s, expires %s, roles %s", credentials.who(), expires, roles);
        return new Token(value, expires, project, List.copyOf(roles), token.path("catalog"));
    }

    /** Cinder's versioned root, e.g. {@code http://c:8776/v3}: configured, or from the token's catalog. */
    URI cinder(Token token) {
        return config.endpoint().map(KeystoneSession::versioned).orElseGet(() -> versioned(fromCatalog(token,
                CINDER_TYPES, ErrorCode.CINDER_ENDPOINT_NOT_FOUND, "tether.cinder.endpoint")));
    }

    /**
     * One call with this session's token; a 401 (a token revoked or expired early) fetches a new token and
     * calls once more. A second 401 is {@code keystone_auth_failed}.
     */
    OpenStackHttp.Reply withToken(String service, java.util.function.Function<Token, OpenStackHttp.Reply> call) {
        Token token = token();
        OpenStackHttp.Reply reply = call.apply(token);
        if (reply.status() == 401) {
            LOG.infof("%s refused the token; authenticating again", service);
            invalidate(token);
            reply = call.apply(token());
            if (reply.status() == 401) {
                throw new TetherException(ErrorCode.KEYSTONE_AUTH_FAILED, service + " refused a fresh Keystone token");
            }
        }
        return reply;
    }

    /** Barbican's unversioned root (requests add {@code /v1}): configured, or from the token's catalog. */
    URI keyManager(Token token, java.util.Optional<URI> configured) {
        return configured.orElseGet(() -> fromCatalog(token, List.of("key-manager"), ErrorCode.KEY_MANAGER_NOT_FOUND,
                "tether.keymanager.endpoint"));
    }

    /** Glance's unversioned root (requests add {@code /v2}): configured, or from the token's catalog. */
    URI glance(Token token, java.util.Optional<URI> configured) {
        return configured.orElseGet(() -> fromCatalog(token, GLANCE_TYPES, ErrorCode.IMAGE_SERVICE_NOT_FOUND,
                "tether.glance.endpoint"));
    }

    private static Instant expiry(String text) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new TetherException(ErrorCode.OPENSTACK_BAD_REPLY, "Keystone token has no readable expires_at");
        }
    }

    private URI fromCatalog(Token token, List<String> types, ErrorCode missing, String setting) {
        JsonNode catalog = token.catalog();
        String project = token.projectId();
        for (String type : types) {
            for (JsonNode service : catalog) {
                if (!type.equals(service.path("type").asText())) {
                    continue;
                }
                for (JsonNode e : service.path("endpoints")) {
                    if (config.endpointInterface().equals(e.path("interface").asText())
                            && config.region().map(r -> r.equals(e.path("region_id").asText())
                            || r.equals(e.path("region").asText())).orElse(true)) {
                        return URI.create(withoutProject(e.path("url").asText(), project));
                    }
                }
            }
        }
        throw new TetherException(missing, "the Keystone catalog has no "
                + config.endpointInterface() + " endpoint of type " + String.join(" or ", types)
                + config.region().map(r -> " in region " + r).orElse("") + "; set " + setting);
    }

    /** Catalog URLs often end with the token's project ({@code .../v3/<project>}); requests name their own. */
    private static String withoutProject(String url, String project) {
        String u = url.replaceAll("/+$", "");
        return project != null && u.endsWith("/" + project) ? u.substring(0, u.length() - project.length() - 1) : u;
    }

    /** The root every {@code /{project}/attachments} path is appended to; an unversioned root gets {@code /v3}. */
    static URI versioned(URI root) {
        String u = root.toString().replaceAll("/+$", "");
        return URI.create(u.endsWith("/v3") ? u : u + "/v3");
    }
}
