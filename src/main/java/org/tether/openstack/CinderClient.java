package org.tether.openstack;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import org.tether.config.TetherConfig;
import org.tether.config.CinderConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.random.RandomGenerator;

/**
 * The host's half of Cinder's v3 attachments API: send the connector, complete, delete. Every call carries a
 * Keystone token and, as Nova sends it, a service token ({@link ServiceTokens}); both are fetched again once
 * when Cinder answers 401. Also the attachments microversion, and one request id across its repeats so
 * Cinder's logs tie them together. Checked at start: bad settings stop the agent.
 */
@Startup
@ApplicationScoped
public class CinderClient {
    private static final Logger LOG = Logger.getLogger(CinderClient.class);
    static final String USER_AGENT = "tether-agent";
    /** 3.27 brought attachments, 3.44 the os-complete action; Nova sends the same. */
    static final String MICROVERSION = "volume 3.44";

    private final Optional<KeystoneSession> keystone;
    private final ServiceTokens serviceTokens;
    private final OpenStackHttp http;

    @Inject
    public CinderClient(TetherConfig config, Clock clock, ObjectMapper json) {
        this(config.cinder(), (OpenStackHttp.Sleeper) d -> Thread.sleep(d.toMillis()), RandomGenerator.getDefault(),
                clock, json);
    }

    CinderClient(CinderConfig config, OpenStackHttp.Sleeper sleeper, RandomGenerator random, Clock clock, ObjectMapper json) {
        this.http = new OpenStackHttp(config, sleeper, random, json);
        this.keystone = KeystoneSession.of(config, http, clock);
        this.serviceTokens = new ServiceTokens(config.serviceUser(), KeystoneSession.serviceUserOf(config, http, clock));
    }

    public boolean configured() {
        return keystone.isPresent();
    }

    /** Sends this host's connector; Cinder exports the volume and answers the (flat) connection_info. */
    public JsonNode updateAttachment(String project, UUID attachment, Map<String, Object> connector) {
        ObjectNode body = http.object();
        body.putObject("attachment").set("connector", http.tree(connector));
        OpenStackHttp.Reply reply = call("PUT", project, attachment, "", body);
        expect(reply, attachment, "update");
        JsonNode info = reply.json("Cinder").path("attachment").path("connection_info");
        if (!info.isObject() || info.isEmpty()) {
            throw new TetherException(ErrorCode.CINDER_REJECTED, "Cinder updated attachment " + attachment
                    + " but answered no connection_info");
        }
        return info;
    }

    /** {@code os-complete}: the volume becomes in-use. */
    public void complete(String project, UUID attachment) {
        ObjectNode body = http.object().putNull("os-complete");
        expect(call("POST", project, attachment, "/action", body), attachment, "complete");
    }

    /**
     * Deletes the attachment; one Cinder no longer knows is already what was asked for. Without a service token
     * Cinder refuses this for an attachment that has connection_info (409 with a Nova, 500 without one): the
     * problem then says what to set.
     */
    public void deleteAttachment(String project, UUID attachment) {
        Sent sent;
        try {
            sent = send("DELETE", project, "/attachments/" + attachment, null);
        } catch (TetherException e) {
            if (e.code() != ErrorCode.OPENSTACK_UNAVAILABLE) {
                throw e;
            }
            // a Cinder without a Nova to ask answers 500 (EndpointNotFound) to a delete it may not do alone
            KeystoneSession session = session();
            throw new TetherException(e.code(), e.getMessage()
                    + serviceTokens.hintWhenMissing(serviceTokens.forCall(session.token())));
        }
        if (sent.reply().status() == 404) {
            LOG.infof("Cinder attachment %s was already gone", attachment);
            return;
        }
        if (sent.reply().status() == 409) {
            throw new TetherException(ErrorCode.CINDER_CONFLICT, "Cinder refused to delete attachment " + attachment
                    + " (409)" + sent.reply().message() + serviceTokens.hintWhenMissing(sent.serviceToken()));
        }
        expect(sent.reply(), attachment, "delete");
    }

    /**
     * {@code GET /v3/{project}/volumes/{id}/encryption}: the volume's encryption metadata (provider, cipher,
     * key_size, control_location, encryption_key_id), as Nova reads it before it attaches an encrypted volume.
     */
    public JsonNode volumeEncryption(String project, UUID volume) {
        OpenStackHttp.Reply reply = call("GET", project, "/volumes/" + volume + "/encryption", null);
        if (reply.status() != 200) {
            throw new TetherException(reply.status() == 404 ? ErrorCode.VOLUME_NOT_FOUND : ErrorCode.CINDER_REJECTED,
                    "Cinder answered " + reply.status() + " for the encryption of volume " + volume + reply.message());
        }
        return reply.json("Cinder");
    }

    private OpenStackHttp.Reply call(String method, String project, UUID attachment, String suffix, ObjectNode body) {
        return call(method, project, "/attachments/" + attachment + suffix, body);
    }

    private OpenStackHttp.Reply call(String method, String project, String path, ObjectNode body) {
        return send(method, project, path, body).reply();
    }

    /** An answer, and the service token that went with it (none when {@link ServiceTokens} sent none). */
    private record Sent(OpenStackHttp.Reply reply, Optional<KeystoneSession.Token> serviceToken) {
    }

    private KeystoneSession session() {
        return keystone.orElseThrow(() -> new TetherException(ErrorCode.CINDER_NOT_CONFIGURED,
                "this agent has no tether.cinder.auth-url"));
    }

    private Sent send(String method, String project, String path, ObjectNode body) {
        KeystoneSession session = session();
        String requestId = "req-" + UUID.randomUUID();
        byte[] bytes = body == null ? null : bytes(body);
        KeystoneSession.Token token = session.token();
        Optional<KeystoneSession.Token> service = serviceTokens.forCall(token);
        OpenStackHttp.Reply reply = send(method, session.cinder(token), token, service, project, path, bytes, requestId);
        if (reply.status() == 401) {
            LOG.infof("Cinder refused the token (%s); authenticating again", requestId);
            session.invalidate(token);
            serviceTokens.invalidate(service);
            KeystoneSession.Token fresh = session.token();
            service = serviceTokens.forCall(fresh);
            reply = send(method, session.cinder(fresh), fresh, service, project, path, bytes, requestId);
            if (reply.status() == 401) {
                throw new TetherException(ErrorCode.KEYSTONE_AUTH_FAILED, "Cinder refused a fresh Keystone token"
                        + (service.isPresent() ? " and service token" : "") + " (" + requestId + ")" + reply.message());
            }
        }
        LOG.debugf("Cinder %s %s: %d (%s)", method, path, reply.status(), requestId);
        return new Sent(reply, service);
    }

    private OpenStackHttp.Reply send(String method, URI cinder, KeystoneSession.Token token,
                                     Optional<KeystoneSession.Token> service, String project, String path,
                                     byte[] body, String requestId) {
        // Cinder takes only the token's own project in the URL ("Malformed request url" for any other); a
        // volume of another project is reached through the token's roles, as Cinder's policies allow
        URI url = URI.create(cinder + "/" + (token.projectId() != null ? token.projectId() : project) + path);
        return http.send("Cinder", () -> {
            HttpRequest.Builder b = HttpRequest.newBuilder(url).header("X-Auth-Token", token.value())
                    .header("OpenStack-API-Version", MICROVERSION).header("Accept", "application/json")
                    .header("X-OpenStack-Request-ID", requestId).header("User-Agent", USER_AGENT);
            service.ifPresent(t -> b.header("X-Service-Token", t.value()));
            if (body == null) {
                return b.method(method, HttpRequest.BodyPublishers.noBody());
            }
            return b.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        }, CinderClient::refusedAsServerError);
    }

    /**
     * Cinder 21 answers some refusals with a 500 that carries the reason, e.g. "Unable to update attachment.
     * (Invalid volume: ... in an error state ...)": a state of the volume, which no repeat changes.
     */
    static boolean refusedAsServerError(OpenStackHttp.Reply reply) {
        String message = reply.message();
        return reply.status() == 500 && (message.contains("Invalid volume:") || message.contains("InvalidVolume"));
    }

    /** Any 2xx is success (Cinder answers 200 or 204 depending on release); the rest become problems. */
    private static void expect(OpenStackHttp.Reply reply, UUID attachment, String what) {
        if (reply.status() / 100 == 2) {
            return;
        }
        if (refusedAsServerError(reply)) {
            throw new TetherException(ErrorCode.CINDER_CONFLICT, "Cinder refused to " + what + " attachment "
                    + attachment + " for the volume's state (500)" + reply.message());
        }
        String detail = "Cinder refused to " + what + " attachment " + attachment + " (" + reply.status() + ")"
                + reply.message();
        throw new TetherException(switch (reply.status()) {
            case 404 -> ErrorCode.CINDER_ATTACHMENT_NOT_FOUND;
            case 409 -> ErrorCode.CINDER_CONFLICT;
            default -> ErrorCode.CINDER_REJECTED;
        }, detail);
    }

    private byte[] bytes(ObjectNode body) {
        return http.bytes(body);
    }
}
