package org.tether.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Calls to another Tether agent's API (a migration's peer, a storage agent's compute agents): JSON both ways, the
 * peer's bearer token read at each call (a rotated token file takes effect), its TLS certificate verified against
 * the CA file given, no redirect followed. A client per peer, kept.
 */
@ApplicationScoped
public class PeerApi {
    private final ObjectMapper json;
    private final Map<String, HttpClient> clients = new ConcurrentHashMap<>();

    public PeerApi(ObjectMapper json) {
        this.json = json;
    }

    /** Where a peer agent answers and how it is trusted; {@code name} keys its client. */
    public record Endpoint(String name, URI url, Optional<Path> tokenFile, Optional<Path> caFile, Duration timeout) {
    }

    /** An answer from a peer: its status, JSON body (null when it had none) and {@code Location}. */
    public record Reply(int status, JsonNode body, String location) {
        public boolean ok() {
            return status / 100 == 2;
        }

        /** The problem the peer answered with, as its code and detail say. */
        public String problem() {
            if (body == null) {
                return "HTTP " + status;
            }
            return body.path("code").asText("HTTP " + status) + ": " + body.path("detail").asText("");
        }
    }

    /**
     * Calls the peer. Any answer, even a refusal, is returned for the caller to judge.
     *
     * @throws IOException the peer did not answer (refused, reset, timed out)
     */
    public Reply call(Endpoint peer, String method, String path, Object body) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(peer.url().resolve(path)).timeout(peer.timeout())
                .header("Accept", "application/json");
        if (peer.tokenFile().isPresent()) {
            b.header("Authorization", "Bearer " + Files.readString(peer.tokenFile().get()).strip());
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
            b.method(method, HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        try {
            HttpResponse<byte[]> r = client(peer).send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            JsonNode answer = r.body().length == 0 ? null : readOrNull(r.body());
            return new Reply(r.statusCode(), answer, r.headers().firstValue("Location").orElse(null));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted calling " + peer.name(), e);
        }
    }

    private JsonNode readOrNull(byte[] body) {
        try {
            return json.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    private HttpClient client(Endpoint p) {
        return clients.computeIfAbsent(p.name(), n -> {
            HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER);
            p.caFile().ifPresent(ca -> b.sslContext(org.tether.openstack.Tls.trusting(ca)));
            return b.build();
        });
    }
}
