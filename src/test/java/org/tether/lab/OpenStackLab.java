package org.tether.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Real Keystone, Cinder (RBD on {@link CephCluster}), Glance and Barbican from Debian on loopback, made by
 * {@code lab/openstack.sh}; and the controller's side of them, spoken over their REST APIs as a controller
 * would (Nova's calls to Cinder, at microversion 3.44).
 */
public final class OpenStackLab implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    public final Path dir;
    public final Map<String, String> env;

    private OpenStackLab(Path dir, Map<String, String> env) {
        this.dir = dir;
        this.env = env;
    }

    /** Starts every service on {@code ceph}; about 35 s with the packages installed. */
    public static OpenStackLab start(CephCluster ceph) throws IOException {
        Path dir = Files.createTempDirectory("tether-openstack");
        Map<String, String> env = Host.run("bash", Path.of("lab/openstack.sh").toAbsolutePath().toString(), "start",
                        dir.toString(), ceph.dir.toString()).lines().filter(l -> l.matches("^[A-Z_]+=.*"))
                .collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')), l -> l.substring(l.indexOf('=') + 1),
                        (a, b) -> b));
        if (!env.containsKey("OS_AUTH_URL")) {
            throw new IllegalStateException("lab/openstack.sh did not report its settings");
        }
        return new OpenStackLab(dir, env);
    }

    @Override
    public void close() {
        Host.exec("bash", Path.of("lab/openstack.sh").toAbsolutePath().toString(), "stop", dir.toString());
    }

    public String authUrl() {
        return env.get("OS_AUTH_URL");
    }

    /** A password in a 0600 file, as the agent reads it. */
    public Path passwordFile(String user, Path where) throws IOException {
        Files.deleteIfExists(where);
        Files.createFile(where, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(where, password(user));
        return where;
    }

    public String password(String user) {
        return env.get(user.toUpperCase().replace('-', '_') + "_PASSWORD");
    }

    /** A token of {@code user} scoped to {@code project}, and the project's id. */
    public record Token(String value, String projectId) {
    }

    public Token token(String user, String project) throws IOException, InterruptedException {
        String body = """
                {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "%s",
                 "domain": {"id": "default"}, "password": "%s"}}},
                 "scope": {"project": {"name": "%s", "domain": {"id": "default"}}}}}""".formatted(user,
                password(user), project);
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(authUrl() + "/auth/tokens"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("Keystone refused " + user + ": " + r.statusCode() + " " + r.body());
        }
        return new Token(r.headers().firstValue("X-Subject-Token").orElseThrow(),
                JSON.readTree(r.body()).path("token").path("project").path("id").asText());
    }

    /** Revokes a token, as {@code openstack token revoke} does. */
    public void revoke(Token admin, String token) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(authUrl() + "/auth/tokens"))
                .header("X-Auth-Token", admin.value()).header("X-Subject-Token", token).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 204) {
            throw new IllegalStateException("Keystone did not revoke: " + r.statusCode() + " " + r.body());
        }
    }

    /** One call to Cinder as {@code as}, in its project, at microversion 3.44; the answer's status and body. */
    public HttpResponse<String> cinder(Token as, String method, String path, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(env.get("CINDER_URL") + "/" + as.projectId() + path))
                .header("X-Auth-Token", as.value()).header("OpenStack-API-Version", "volume 3.44")
                .header("Accept", "application/json").timeout(Duration.ofSeconds(60));
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public JsonNode cinderJson(Token as, String method, String path, String body, int expected)
            throws IOException, InterruptedException {
        HttpResponse<String> r = cinder(as, method, path, body);
        if (r.statusCode() != expected) {
            throw new AssertionError("Cinder " + method + " " + path + ": " + r.statusCode() + " " + r.body());
        }
        return r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
    }

    /** A new volume of Cinder's RBD driver, once {@code available}. */
    public UUID createVolume(Token as, int gb) throws Exception {
        JsonNode v = cinderJson(as, "POST", "/volumes", "{\"volume\": {\"size\": " + gb + ", \"name\": \"tether-"
                + UUID.randomUUID().toString().substring(0, 8) + "\"}}", 202);
        UUID id = UUID.fromString(v.path("volume").path("id").asText());
        awaitVolume(as, id, "available", Duration.ofSeconds(60));
        return id;
    }

    public JsonNode volume(Token as, UUID id) throws Exception {
        return cinderJson(as, "GET", "/volumes/" + id, null, 200).path("volume");
    }

    public String volumeStatus(Token as, UUID id) throws Exception {
        return volume(as, id).path("status").asText();
    }

    public void awaitVolume(Token as, UUID id, String status, Duration limit) throws Exception {
        Instant end = Instant.now().plus(limit);
        String now;
        while (!(now = volumeStatus(as, id)).equals(status)) {
            if (Instant.now().isAfter(end) || now.startsWith("error")) {
                throw new AssertionError("volume " + id + " is " + now + ", not " + status + " after " + limit);
            }
            Thread.sleep(200);
        }
    }

    /** The controller's reservation ({@code POST /attachments} without a connector): the volume becomes reserved. */
    public UUID reserve(Token as, UUID volume, UUID instance) throws Exception {
        JsonNode a = cinderJson(as, "POST", "/attachments", "{\"attachment\": {\"volume_uuid\": \"" + volume
                + "\", \"instance_uuid\": \"" + instance + "\"}}", 200);
        return UUID.fromString(a.path("attachment").path("id").asText());
    }

    /** Every attachment Cinder has of a volume, as {@code volume.attachments} lists them. */
    public List<String> attachmentIds(Token as, UUID volume) throws Exception {
        List<String> ids = new java.util.ArrayList<>();
        volume(as, volume).path("attachments").forEach(a -> ids.add(a.path("attachment_id").asText()));
        return ids;
    }
}
