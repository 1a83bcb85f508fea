package org.tether.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.crash.AgentProcess;
import org.tether.lab.Host;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The packaged agent as the RPM configures it: HTTPS only, on every address, with the certificate the
 * package's own script makes; plain HTTP off loopback is refused at start. An asynchronous call (the agent
 * calling itself) works over that TLS listener too.
 */
class TlsByDefaultIT {
    private static final int PORT = 18097;
    private static final int TLS_PORT = 18447;

    @TempDir
    Path dir;

    private Path token(String secret) throws Exception {
        Path token = dir.resolve("token");
        Files.writeString(token, secret);
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        return token;
    }

    @Test
    void plainHttpOnANetworkAddressRefusesToStartAndSaysWhatToSet() throws Exception {
        Path log = dir.resolve("agent.log");
        try (AgentProcess agent = new AgentProcess(PORT, dir.resolve("state"), log)
                .properties("-Dtether.api.token-file=" + token("plain-http-token-0123456789"))
                .with("-Dquarkus.http.host=0.0.0.0")) {
            assertThat(agent.runToExit(Duration.ofSeconds(60))).isNotZero();
        }
        assertThat(Files.readString(log)).contains("refusing to serve plain HTTP on 0.0.0.0",
                "quarkus.http.insecure-requests=disabled", "tether.api.allow-plain-http");
    }

    @Test
    void thePackagesCertificateServesHttpsOnlyAndAnAsynchronousCallReachesTheAgentOverIt() throws Exception {
        Path tls = dir.resolve("tls");
        Host.run("sh", Path.of("rpm/make-host-cert.sh").toAbsolutePath().toString(), tls.toString());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tls.resolve("agent.key"))))
                .isEqualTo("rw-------");
        String secret = "tls-token-" + UUID.randomUUID();
        try (AgentProcess agent = new AgentProcess(PORT, dir.resolve("state"), dir.resolve("agent.log"))
                .properties("-Dtether.api.token-file=" + token(secret))
                .with("-Dquarkus.http.host=0.0.0.0", "-Dquarkus.http.ssl-port=" + TLS_PORT,
                        "-Dquarkus.http.insecure-requests=disabled",
                        "-Dquarkus.http.ssl.certificate.files=" + tls.resolve("agent.crt"),
                        "-Dquarkus.http.ssl.certificate.key-files=" + tls.resolve("agent.key"))) {
            agent.spawn();
            HttpClient https = HttpClient.newBuilder().sslContext(trusting(tls.resolve("agent.crt")))
                    .connectTimeout(Duration.ofSeconds(2)).build();
            awaitReady(https);
            assertThat(send(https, "GET", "/v1/connector", secret, null).statusCode()).isEqualTo(200);
            assertThat(send(https, "GET", "/v1/connector", null, null).statusCode()).isEqualTo(401);
            assertThatThrownBy(() -> agent.get("/q/health/live")).as("no plain HTTP listener")
                    .isInstanceOf(ConnectException.class);

            HttpResponse<String> accepted = send(https, "POST", "/v1/reconciliation", secret, "respond-async");
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            String location = accepted.headers().firstValue("Location").orElseThrow();
            JsonNode op = null;
            for (int i = 0; i < 100; i++) {
                op = new ObjectMapper().readTree(send(https, "GET", location, secret, null).body());
                if (!op.get("state").asText().equals("running")) {
                    break;
                }
                Thread.sleep(100);
            }
            assertThat(op.get("state").asText()).isEqualTo("succeeded");
            assertThat(op.get("status").asInt()).as(op.toString()).isEqualTo(200);
        }
    }

    private static void awaitReady(HttpClient https) throws Exception {
        for (int i = 0; i < 600; i++) {
            try {
                if (send(https, "GET", "/q/health/ready", null, null).statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException notYet) {
                // still starting
            }
            Thread.sleep(100);
        }
        throw new AssertionError("agent not ready over HTTPS within 60 s");
    }

    private static HttpResponse<String> send(HttpClient https, String method, String path, String token,
                                             String prefer) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + TLS_PORT + path))
                .timeout(Duration.ofSeconds(30)).method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (prefer != null) {
            b.header("Prefer", prefer);
        }
        return https.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static SSLContext trusting(Path pem) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(pem)) {
            ks.setCertificateEntry("agent", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /**
     * Bound to one specific address (not every address, not 127.0.0.1): the agent's asynchronous calls reach it
     * on that address. 127.0.0.2 stands for a host's own address here: tests send traffic to loopback only.
     */
    @Test
    void anAgentBoundToOneAddressReachesItselfThereForAnAsynchronousCall() throws Exception {
        String secret = "bound-token-" + UUID.randomUUID();
        try (AgentProcess agent = new AgentProcess(PORT, dir.resolve("state"), dir.resolve("agent.log"))
                .properties("-Dtether.api.token-file=" + token(secret)).with("-Dquarkus.http.host=127.0.0.2")) {
            agent.spawn();
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            URI base = URI.create("http://127.0.0.2:" + PORT);
            boolean ready = false;
            for (int i = 0; i < 600 && !ready; i++) {
                try {
                    ready = http.send(HttpRequest.newBuilder(base.resolve("/q/health/ready")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                } catch (java.io.IOException notYet) {
                    Thread.sleep(100);
                }
            }
            assertThat(ready).as("ready on 127.0.0.2").isTrue();
            HttpResponse<String> accepted = http.send(HttpRequest.newBuilder(base.resolve("/v1/reconciliation"))
                    .header("Authorization", "Bearer " + secret).header("Prefer", "respond-async")
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            URI op = base.resolve(accepted.headers().firstValue("Location").orElseThrow());
            JsonNode state = null;
            for (int i = 0; i < 100; i++) {
                state = new ObjectMapper().readTree(http.send(HttpRequest.newBuilder(op)
                        .header("Authorization", "Bearer " + secret).build(), HttpResponse.BodyHandlers.ofString()).body());
                if (!state.get("state").asText().equals("running")) {
                    break;
                }
                Thread.sleep(100);
            }
            assertThat(state.get("status").asInt()).as(state.toString()).isEqualTo(200);
        }
    }
}
