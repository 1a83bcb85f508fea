package org.tether.compute.migration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import org.tether.config.TetherConfig;
import org.tether.config.MigrationConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Tether agents this one may migrate to ({@code tether.migration.peers.<name>}) and their API: a destination
 * named nowhere in the configuration is refused, so a caller cannot make this host's libvirtd or agent connect to
 * an address of its choosing. Calls carry the peer's token, read at each call (a rotated token file takes effect).
 */
@ApplicationScoped
public class MigrationPeers {
    private final Map<String, MigrationConfig.Peer> peers;
    private final Duration timeout;
    private final ObjectMapper json;
    private final Map<String, HttpClient> clients = new ConcurrentHashMap<>();

    public MigrationPeers(TetherConfig config, ObjectMapper json) {
        this.peers = config.migration().peers();
        this.timeout = config.migration().peerTimeout();
        this.json = json;
    }

    /** The named peer, or 400 {@code migration_peer_not_found}. */
    public MigrationConfig.Peer peer(String name) {
        MigrationConfig.Peer p = name == null ? null : peers.get(name);
        if (p == null) {
            throw new TetherException(ErrorCode.MIGRATION_PEER_NOT_FOUND, "destination", "no migration peer named "
                    + name + " (tether.migration.peers.<name>): " + (peers.isEmpty() ? "none are configured"
                    : "configured are " + String.join(", ", new java.util.TreeSet<>(peers.keySet()))));
        }
        return p;
    }

    /** An answer from a peer: its status and JSON body (null when it had none). */
    public record Reply(int status, JsonNode body) {
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
     * Calls the peer's API. A peer that does not answer (refused, reset, timed out) is 503
     * {@code migration_peer_unavailable}; any answer, even a refusal, is returned for the caller to judge.
     */
    public Reply call(String name, String method, String path, Object body) {
        MigrationConfig.Peer p = peer(name);
        HttpRequest.Builder b = HttpRequest.newBuilder(p.url().resolve(path)).timeout(timeout)
                .header("Accept", "application/json");
        try {
            if (p.tokenFile().isPresent()) {
                b.header("Authorization", "Bearer " + Files.readString(p.tokenFile().get()).strip());
            }
            if (body != null) {
                b.header("Content-Type", "application/json");
                b.method(method, HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)));
            } else {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<byte[]> r = client(name, p).send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            JsonNode answer = r.body().length == 0 ? null : readOrNull(r.body());
            return new Reply(r.statusCode(), answer);
        } catch (IOException e) {
            throw new TetherException(ErrorCode.MIGRATION_PEER_UNAVAILABLE, "migration peer " + name
                    + " at " + p.url() + " did not answer " + method + " " + path + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TetherException(ErrorCode.MIGRATION_PEER_UNAVAILABLE, "interrupted calling peer " + name, e);
        }
    }

    private JsonNode readOrNull(byte[] body) {
        try {
            return json.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    private HttpClient client(String name, MigrationConfig.Peer p) {
        return clients.computeIfAbsent(name, n -> {
            HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER);
            p.caFile().ifPresent(ca -> b.sslContext(org.tether.openstack.Tls.trusting(ca)));
            return b.build();
        });
    }
}
