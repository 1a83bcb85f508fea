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
        // ~35 s on an idle machine; the script's own waits bound each service (90 s at most for Cinder)
        Map<String, String> env = Host.run(Duration.ofMinutes(5), "bash", Path.of("lab/openstack.sh").toAbsolutePath().toString(), "start",
                        dir.toString(), ceph.dir.toString()).lines().filter(l -> l.matches("^[A-Z_]+=.*"))
                .collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')), l -> l.substring(l.indexOf('=') + 1),
                        (a, b) -> b));
        if (!env.containsKey("OS_AUTH_URL")) {
            throw new IllegalStateException("lab/openstack.sh did not report its settings");
        }
        return new OpenStackLab(dir, env);
    }

    /** Stops every service and removes what they stored (databases, Glance's file store); the logs stay. */
    @Override
    public void close() {
        Host.exec("bash", Path.of("lab/openstack.sh").toAbsolutePath().toString(), "stop", dir.toString());
        try (var children = Files.list(dir)) {
            for (Path child : children.filter(c -> !c.getFileName().toString().equals("log")).toList()) {
                try (var tree = Files.walk(child)) {
                    for (Path p : tree.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        } catch (IOException e) {
            System.err.println("could not remove the OpenStack lab's files under " + dir + ": " + e.getMessage());
        }
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

    /** A Barbican secret's bytes, or null when Barbican has no such secret (404). */
    public byte[] secretPayload(Token as, String id) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(env.get("BARBICAN_URL") + "/v1/secrets/"
                + id + "/payload")).header("X-Auth-Token", as.value()).header("Accept", "application/octet-stream")
                .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() == 404) {
            return null;
        }
        if (r.statusCode() != 200) {
            throw new IllegalStateException("Barbican answered " + r.statusCode() + " for secret " + id);
        }
        return r.body();
    }

    /** A new symmetric key in Barbican, stored as {@code as}; its id. */
    public String storeSecret(Token as, byte[] key) throws IOException, InterruptedException {
        String body = JSON.createObjectNode().put("name", "tether-lab-key").put("secret_type", "symmetric")
                .put("algorithm", "aes").put("bit_length", key.length * 8).put("mode", "gcm")
                .put("payload", java.util.Base64.getEncoder().encodeToString(key))
                .put("payload_content_type", "application/octet-stream").put("payload_content_encoding", "base64")
                .toString();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(env.get("BARBICAN_URL") + "/v1/secrets"))
                .header("X-Auth-Token", as.value()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("Barbican did not store a secret: " + r.statusCode() + " " + r.body());
        }
        String ref = JSON.readTree(r.body()).path("secret_ref").asText();
        return ref.substring(ref.lastIndexOf('/') + 1);
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
        return cinder(as, null, method, path, body);
    }

    /** The same with an {@code X-Service-Token}, as a service (Nova) sends it. */
    public HttpResponse<String> cinder(Token as, Token service, String method, String path, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(env.get("CINDER_URL") + "/" + as.projectId() + path))
                .header("X-Auth-Token", as.value()).header("OpenStack-API-Version", "volume 3.44")
                .header("Accept", "application/json").timeout(Duration.ofSeconds(60));
        if (service != null) {
            b.header("X-Service-Token", service.value());
        }
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * The same, expecting {@code expected}. Cinder on SQLite answers 500 ("database is locked", its transaction
     * rolled back) when two of its processes write at one moment; a controller repeats such a call, and so does
     * this, up to four times a second apart.
     */
    public JsonNode cinderJson(Token as, String method, String path, String body, int expected)
            throws IOException, InterruptedException {
        HttpResponse<String> r = cinder(as, method, path, body);
        for (int i = 0; i < 4 && r.statusCode() == 500 && expected != 500; i++) {
            Thread.sleep(1000);
            r = cinder(as, method, path, body);
        }
        if (r.statusCode() != expected) {
            throw new AssertionError("Cinder " + method + " " + path + ": " + r.statusCode() + " " + r.body());
        }
        return r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
    }

    /** Asks Cinder for a volume of {@code type} (null: the default type); its id, before it is available. */
    public UUID requestVolume(Token as, int gb, String type) throws Exception {
        JsonNode v = cinderJson(as, "POST", "/volumes", "{\"volume\": {\"size\": " + gb + ", \"name\": \"tether-"
                + UUID.randomUUID().toString().substring(0, 8) + "\"" + (type == null ? "" : ", \"volume_type\": \""
                + type + "\"") + "}}", 202);
        return UUID.fromString(v.path("volume").path("id").asText());
    }

    /** A new volume of Cinder's RBD driver, once {@code available}. */
    public UUID createVolume(Token as, int gb) throws Exception {
        UUID id = requestVolume(as, gb, null);
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

    /** The {@code openstack} CLI as {@code user} in {@code project}: its output, or an error with it. */
    public String cli(String user, String project, String... args) throws IOException, InterruptedException {
        List<String> argv = new java.util.ArrayList<>(List.of("openstack"));
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        Map<String, String> e = pb.environment();
        e.keySet().removeIf(k -> k.startsWith("OS_"));
        e.put("OS_AUTH_URL", authUrl());
        e.put("OS_USERNAME", user);
        e.put("OS_PASSWORD", password(user));
        e.put("OS_PROJECT_NAME", project);
        e.put("OS_USER_DOMAIN_NAME", "Default");
        e.put("OS_PROJECT_DOMAIN_NAME", "Default");
        e.put("OS_IDENTITY_API_VERSION", "3");
        e.put("PATH", "/usr/bin:/bin");   // Debian's python3 and its openstack client, not another on the PATH
        // output to a file, so the limit holds even when the client never closes its streams
        Path log = Files.createTempFile("openstack-cli", ".txt");
        try {
            Process p = pb.redirectOutput(log.toFile()).start();
            if (!p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IllegalStateException("openstack " + String.join(" ", args) + " timed out");
            }
            String out = Files.readString(log);
            if (p.exitValue() != 0) {
                throw new IllegalStateException("openstack " + String.join(" ", args) + ": " + out);
            }
            return out;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** An image made with {@code openstack image create} (Glance's default store, RBD): its id once active. */
    public UUID createImageWithCli(String user, String project, Path file, String diskFormat)
            throws IOException, InterruptedException {
        String id = cli(user, project, "image", "create", "--disk-format", diskFormat, "--container-format", "bare",
                "--file", file.toString(), "-f", "value", "-c", "id", "tether-" + UUID.randomUUID().toString()
                        .substring(0, 8)).strip();
        return UUID.fromString(id.lines().reduce((a, b) -> b).orElseThrow().strip());
    }

    /**
     * A Linux that boots under BIOS and UEFI ({@code lab/os-image.sh}: its init prints {@code line} on the serial
     * console), made into a qcow2 image with the openstack CLI as admin; its id once active.
     */
    public UUID linuxImage(Path work, String line) throws IOException, InterruptedException {
        Path os = work.resolve("os-" + UUID.randomUUID() + ".qcow2");
        Process build = new ProcessBuilder("bash", "lab/os-image.sh", os.toString(), line).inheritIO().start();
        if (!build.waitFor(300, java.util.concurrent.TimeUnit.SECONDS) || build.exitValue() != 0) {
            build.destroyForcibly();
            throw new IllegalStateException("lab/os-image.sh did not build " + os);
        }
        try {
            return createImageWithCli("admin", "admin", os, "qcow2");
        } finally {
            Files.deleteIfExists(os);
        }
    }

    /** An image uploaded over Glance's REST API into one named store ({@code X-Image-Meta-Store}). */
    public UUID createImageInStore(Token as, Path file, String diskFormat, String store)
            throws IOException, InterruptedException {
        String glance = env.get("GLANCE_URL") + "/v2/images";
        HttpResponse<String> made = HTTP.send(HttpRequest.newBuilder(URI.create(glance))
                .header("X-Auth-Token", as.value()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"tether-" + store + "\", \"disk_format\": \""
                        + diskFormat + "\", \"container_format\": \"bare\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (made.statusCode() != 201) {
            throw new IllegalStateException("Glance did not make the image: " + made.statusCode() + " " + made.body());
        }
        UUID id = UUID.fromString(JSON.readTree(made.body()).path("id").asText());
        HttpResponse<String> up = HTTP.send(HttpRequest.newBuilder(URI.create(glance + "/" + id + "/file"))
                .header("X-Auth-Token", as.value()).header("Content-Type", "application/octet-stream")
                .header("X-Image-Meta-Store", store).PUT(HttpRequest.BodyPublishers.ofFile(file)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (up.statusCode() != 204) {
            throw new IllegalStateException("Glance did not take the data: " + up.statusCode() + " " + up.body());
        }
        return id;
    }

    /** Glance's record of an image, as the given token may see it. */
    public JsonNode image(Token as, UUID id) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(env.get("GLANCE_URL") + "/v2/images/" + id))
                .header("X-Auth-Token", as.value()).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("Glance: " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }
}
