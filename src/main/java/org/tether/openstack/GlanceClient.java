package org.tether.openstack;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.JsonNode;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.tether.config.TetherConfig;
import org.tether.config.CinderConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;
import java.util.random.RandomGenerator;

/**
 * Glance v2 as the storage side needs it: an image's record and its data, and a new image made from a volume
 * (record, data, removal), with the Keystone credentials of {@code tether.cinder.*} (a token refused with 401
 * is fetched again once).
 */
@ApplicationScoped
public class GlanceClient {
    private final Optional<KeystoneSession> keystone;
    private final OpenStackHttp http;
    private final Optional<URI> endpoint;
    private final java.time.Duration transferTimeout;
    private final ObjectMapper json;

    @Inject
    public GlanceClient(TetherConfig config, Clock clock, ObjectMapper json) {
        this(config.cinder(), config.glance().endpoint(), config.storage().images().downloadTimeout(),
                (OpenStackHttp.Sleeper) d -> Thread.sleep(d.toMillis()), RandomGenerator.getDefault(), clock, json);
    }

    /** @param transferTimeout the longest an image's data may take to send ({@code tether.storage.images.download-timeout}) */
    GlanceClient(CinderConfig config, Optional<URI> endpoint, java.time.Duration transferTimeout,
                 OpenStackHttp.Sleeper sleeper, RandomGenerator random, Clock clock, ObjectMapper json) {
        this.endpoint = endpoint;
        this.transferTimeout = transferTimeout;
        this.json = json;
        this.http = new OpenStackHttp(config, sleeper, random, json);
        this.keystone = KeystoneSession.of(config, http, clock);
    }

    public boolean configured() {
        return keystone.isPresent();
    }

    /** {@code GET /v2/images/{id}}; an image Glance does not know (or hides from us) is {@code image_not_found}. */
    public JsonNode image(UUID id) {
        OpenStackHttp.Reply reply = session().withToken("Glance", token -> http.send("Glance", () -> request(token, id, "")));
        if (reply.status() == 404 || reply.status() == 403) {
            throw new TetherException(ErrorCode.IMAGE_NOT_FOUND, "source.image.glance_id",
                    "Glance has no image " + id + " this agent may read (" + reply.status() + ")");
        }
        if (reply.status() != 200) {
            throw new TetherException(ErrorCode.IMAGE_DOWNLOAD_FAILED, "Glance answered " + reply.status()
                    + " for image " + id + reply.message());
        }
        return reply.json("Glance");
    }

    /** {@code GET /v2/images/{id}/file}: the data as it arrives; the caller closes it. */
    public InputStream data(UUID id) {
        KeystoneSession session = session();
        KeystoneSession.Token token = session.token();
        HttpResponse<InputStream> resp = http.open("Glance", request(session, token, id, "/file"));
        if (resp.statusCode() == 401) {
            discard(resp);
            session.invalidate(token);
            resp = http.open("Glance", request(session, session.token(), id, "/file"));
        }
        if (resp.statusCode() == 200) {
            return resp.body();
        }
        discard(resp);
        if (resp.statusCode() == 204) {
            throw new TetherException(ErrorCode.IMAGE_NOT_ACTIVE, "source.image.glance_id", "Glance image " + id
                    + " has no data");
        }
        throw new TetherException(resp.statusCode() == 404 ? ErrorCode.IMAGE_NOT_FOUND
                : ErrorCode.IMAGE_DOWNLOAD_FAILED, "Glance answered " + resp.statusCode() + " for the data of " + id);
    }

    /**
     * {@code POST /v2/images} with the caller's id, so that a crash after Glance made it still knows which image
     * to remove. A 409 (an image with this id exists) is {@code image_exists}.
     */
    public JsonNode createImage(com.fasterxml.jackson.databind.node.ObjectNode body) {
        byte[] bytes = http.bytes(body);
        OpenStackHttp.Reply reply = session().withToken("Glance", token -> http.send("Glance", () ->
                images(token, "").header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))));
        if (reply.status() == 409) {
            throw new TetherException(ErrorCode.IMAGE_EXISTS, "image_id", "Glance already has an image "
                    + body.path("id").asText());
        }
        if (reply.status() != 201) {
            throw new TetherException(ErrorCode.IMAGE_UPLOAD_FAILED, "Glance answered " + reply.status()
                    + " to the new image's record" + reply.message());
        }
        return reply.json("Glance");
    }

    /**
     * {@code PUT /v2/images/{id}/file} from a file, once (the data is not sent twice). A 401 fetches a new token
     * and sends once more: Glance refused before it read the data.
     */
    public void upload(UUID id, Path file) {
        OpenStackHttp.Reply reply = session().withToken("Glance", token -> http.sendOnce("Glance", transferTimeout, () ->
                images(token, "/" + id + "/file").header("Content-Type", "application/octet-stream")
                        .PUT(body(file))));
        if (reply.status() != 204) {
            throw new TetherException(ErrorCode.IMAGE_UPLOAD_FAILED, "Glance answered " + reply.status()
                    + " to the data of image " + id + reply.message());
        }
    }

    /**
     * Adds a location to a queued image, which makes it active with the size its store reads there (Glance's
     * {@code show_multiple_locations}, policy {@code set_image_location}). A location Glance reports as already
     * there is what a repeat after a lost answer finds: done.
     */
    public void addLocation(UUID id, String url) {
        com.fasterxml.jackson.databind.node.ArrayNode ops = json.createArrayNode();
        com.fasterxml.jackson.databind.node.ObjectNode value = ops.addObject().put("op", "add")
                .put("path", "/locations/-").putObject("value").put("url", url);
        value.putObject("metadata");
        byte[] patch = http.bytes(ops);
        OpenStackHttp.Reply reply = session().withToken("Glance", token -> http.send("Glance", () ->
                images(token, "/" + id).header("Content-Type", "application/openstack-images-v2.1-json-patch")
                        .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(patch))));
        String said = new String(reply.body(), java.nio.charset.StandardCharsets.UTF_8);
        if (reply.status() == 200 || (reply.status() == 400 && said.contains("already exists"))) {
            return;
        }
        String hint = reply.status() == 403 ? " (Glance needs show_multiple_locations = true, and policy "
                + "set_image_location must admit this agent's user)" : "";
        throw new TetherException(ErrorCode.IMAGE_UPLOAD_FAILED, "Glance answered " + reply.status()
                + " to the location of image " + id + reply.message() + hint);
    }

    /** {@code DELETE /v2/images/{id}}; an image Glance no longer has is already what was asked for. */
    public void deleteImage(UUID id) {
        OpenStackHttp.Reply reply = session().withToken("Glance", token -> http.send("Glance", () ->
                images(token, "/" + id).DELETE()));
        if (reply.status() != 204 && reply.status() != 404) {
            throw new TetherException(ErrorCode.IMAGE_UPLOAD_FAILED, "Glance answered " + reply.status()
                    + " to removing image " + id + reply.message());
        }
    }

    /** The image's record, or empty when Glance has no such image. */
    public Optional<JsonNode> findImage(UUID id) {
        OpenStackHttp.Reply reply = session().withToken("Glance", token -> http.send("Glance", () ->
                images(token, "/" + id).GET()));
        if (reply.status() == 404) {
            return Optional.empty();
        }
        if (reply.status() != 200) {
            throw new TetherException(ErrorCode.IMAGE_UPLOAD_FAILED, "Glance answered " + reply.status()
                    + " for image " + id + reply.message());
        }
        return Optional.of(reply.json("Glance"));
    }

    private static HttpRequest.BodyPublisher body(Path file) {
        try {
            return HttpRequest.BodyPublishers.ofFile(file);
        } catch (java.io.FileNotFoundException e) {
            throw new TetherException(ErrorCode.IMAGE_UPLOAD_FAILED, "the converted image is gone: " + file);
        }
    }

    private HttpRequest.Builder images(KeystoneSession.Token token, String suffix) {
        String root = session().glance(token, endpoint).toString().replaceAll("/+$", "");
        String versioned = root.endsWith("/v2") ? root : root + "/v2";
        return HttpRequest.newBuilder(URI.create(versioned + "/images" + suffix))
                .header("X-Auth-Token", token.value()).header("User-Agent", CinderClient.USER_AGENT)
                .header("Accept", "application/json");
    }

    private HttpRequest.Builder request(KeystoneSession.Token token, UUID id, String suffix) {
        return request(session(), token, id, suffix);
    }

    private HttpRequest.Builder request(KeystoneSession session, KeystoneSession.Token token, UUID id, String suffix) {
        String root = session.glance(token, endpoint).toString().replaceAll("/+$", "");
        String versioned = root.endsWith("/v2") ? root : root + "/v2";
        return HttpRequest.newBuilder(URI.create(versioned + "/images/" + id + suffix))
                .header("X-Auth-Token", token.value()).header("User-Agent", CinderClient.USER_AGENT)
                .header("Accept", suffix.isEmpty() ? "application/json" : "application/octet-stream").GET();
    }

    private KeystoneSession session() {
        return keystone.orElseThrow(() -> new TetherException(ErrorCode.CINDER_NOT_CONFIGURED,
                "source.image.glance_id", "this agent has no tether.cinder.auth-url to reach Glance with"));
    }

    /**
     * Closes an answer that is not the data without reading it: a body read to its end has no bound in size or
     * time (the download watchdog only guards the data), so the connection is dropped instead of reused.
     */
    private static void discard(HttpResponse<InputStream> resp) {
        try {
            resp.body().close();
        } catch (IOException e) {
            // nothing else depends on this connection
        }
    }
}
