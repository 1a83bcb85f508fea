package org.tether.openstack;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.Base64;
import java.util.Optional;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/**
 * Barbican as castellan uses it for Nova and Cinder: a symmetric key's bytes by id ({@code GET
 * /v1/secrets/{id}/payload}) and a new key stored ({@code POST /v1/secrets}), with the Keystone credentials of
 * {@code tether.cinder.*} (a token refused with 401 is fetched again once). No key byte is ever logged.
 */
@ApplicationScoped
public class BarbicanClient {
    private static final Logger LOG = Logger.getLogger(BarbicanClient.class);
    private static final Pattern SECRET_REF = Pattern.compile(".*/secrets/([A-Za-z0-9._-]{1,255})/?$");

    private final Optional<KeystoneSession> keystone;
    private final OpenStackHttp http;
    private final Optional<URI> endpoint;

    @Inject
    public BarbicanClient(TetherConfig config, Clock clock, ObjectMapper json) {
        this(config.cinder(), config.keymanager().endpoint(), (OpenStackHttp.Sleeper) d -> Thread.sleep(d.toMillis()),
                RandomGenerator.getDefault(), clock, json);
    }

    BarbicanClient(CinderConfig config, Optional<URI> endpoint, OpenStackHttp.Sleeper sleeper,
                   RandomGenerator random, Clock clock, ObjectMapper json) {
        this.endpoint = endpoint;
        this.http = new OpenStackHttp(config, sleeper, random, json);
        this.keystone = KeystoneSession.of(config, http, clock);
    }

    /** The key's bytes; the caller zeroes them when done. */
    public byte[] key(String id) {
        OpenStackHttp.Reply reply = session().withToken("Barbican", token -> http.send("Barbican", () -> request(token, "/secrets/" + id
                + "/payload").header("Accept", "application/octet-stream").GET()));
        if (reply.status() == 404 || reply.status() == 403) {
            throw new TetherException(ErrorCode.ENCRYPTION_KEY_NOT_FOUND, "encryption.encryption_key_id",
                    "the key manager has no key " + id + " this agent may read (" + reply.status() + ")");
        }
        if (reply.status() != 200) {
            throw new TetherException(ErrorCode.OPENSTACK_UNAVAILABLE, "Barbican answered " + reply.status()
                    + " for key " + id + reply.message());
        }
        return reply.body();
    }

    /** Stores a new symmetric key and returns its id (the last part of Barbican's {@code secret_ref}). */
    public String store(byte[] key, String name, String algorithm, String mode) {
        ObjectNode body = JsonNodeFactory.instance.objectNode().put("name", name)
                .put("payload", Base64.getEncoder().encodeToString(key))
                .put("payload_content_type", "application/octet-stream").put("payload_content_encoding", "base64")
                .put("algorithm", algorithm).put("bit_length", key.length * 8).put("mode", mode)
                .put("secret_type", "symmetric");
        byte[] json = body.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        body.removeAll();
        try {
            OpenStackHttp.Reply reply = session().withToken("Barbican", token -> http.send("Barbican", () -> request(token, "/secrets")
                    .header("Content-Type", "application/json").header("Accept", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(json))));
            if (reply.status() != 201) {
                throw new TetherException(reply.status() >= 500 ? ErrorCode.OPENSTACK_UNAVAILABLE
                        : ErrorCode.CINDER_REJECTED, "Barbican answered " + reply.status() + " storing a key"
                        + reply.message());
            }
            String ref = reply.json("Barbican").path("secret_ref").asText("");
            var m = SECRET_REF.matcher(ref);
            if (!m.matches()) {
                throw new TetherException(ErrorCode.OPENSTACK_BAD_REPLY, "Barbican stored a key but answered no "
                        + "secret_ref Tether can read");
            }
            LOG.infof("stored encryption key %s (%s, %d bits) in Barbican", m.group(1), name, key.length * 8);
            return m.group(1);
        } finally {
            java.util.Arrays.fill(json, (byte) 0);
        }
    }

    /** Removes a key (absent is success). */
    public void delete(String id) {
        OpenStackHttp.Reply reply = session().withToken("Barbican", token -> http.send("Barbican",
                () -> request(token, "/secrets/" + id).DELETE()));
        if (reply.status() != 204 && reply.status() != 404) {
            throw new TetherException(ErrorCode.OPENSTACK_UNAVAILABLE, "Barbican answered " + reply.status()
                    + " deleting key " + id + reply.message());
        }
    }

    private HttpRequest.Builder request(KeystoneSession.Token token, String path) {
        String root = session().keyManager(token, endpoint).toString().replaceAll("/+$", "");
        String versioned = root.endsWith("/v1") ? root : root + "/v1";
        return HttpRequest.newBuilder(URI.create(versioned + path)).header("X-Auth-Token", token.value())
                .header("User-Agent", CinderClient.USER_AGENT);
    }

    private KeystoneSession session() {
        return keystone.orElseThrow(() -> new TetherException(ErrorCode.CINDER_NOT_CONFIGURED, "encryption",
                "encrypted volumes need the key manager, reached with tether.cinder.auth-url, which is not set"));
    }
}
