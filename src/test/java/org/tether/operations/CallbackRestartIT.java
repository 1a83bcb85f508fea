package org.tether.operations;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.concurrent.Deadline;
import org.tether.crash.AgentProcess;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A callback whose receiver is down survives a {@code kill -9} of the packaged agent: after the restart it is
 * delivered, with the same body, signature and delivery id as the attempts before the crash.
 */
class CallbackRestartIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aPendingDeliveryIsMadeAfterTheAgentIsKilledAndStartedAgain() throws Exception {
        Path secret = dir.resolve("hmac");
        Files.createFile(secret, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(secret, "restart-test-secret-0123456789");
        WireMockServer receiver = new WireMockServer(WireMockConfiguration.options().dynamicPort()
                .bindAddress("127.0.0.1"));
        receiver.start();
        try (AgentProcess agent = new AgentProcess(18094, dir.resolve("state"), dir.resolve("agent.log"))
                .properties("-Dtether.api.allow-unauthenticated=true", "-Dtether.callbacks.secret-file=" + secret,
                        "-Dtether.callbacks.first-retry=200ms", "-Dtether.callbacks.max-retry=1s",
                        "-Dtether.callbacks.give-up-after=10m",
                        "-Dtether.callbacks.allowed-hosts=127.0.0.1,localhost")) {
            receiver.stubFor(post(urlEqualTo("/hook")).willReturn(aResponse().withStatus(503)));
            agent.start();
            String body = "{\"callback_url\": \"" + receiver.baseUrl() + "/hook\"}";
            var accepted = agent.deleteWithBody("/v1/instances/d1/volumes/0f5ca1c4-9d2a-4a4d-8f0b-7a1d3c2e9b11", body);
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            String location = accepted.headers().firstValue("Location").orElseThrow();
            await(agent, location, op -> op.at("/callback/attempts").asInt() >= 2);

            agent.kill();
            receiver.resetAll();
            receiver.stubFor(post(urlEqualTo("/hook")).willReturn(aResponse().withStatus(204)));
            agent.start();
            JsonNode op = await(agent, location, o -> "delivered".equals(o.at("/callback/state").asText()));
            assertThat(op.get("state").asText()).isEqualTo("succeeded");
            assertThat(op.get("status").asInt()).isEqualTo(204);

            List<LoggedRequest> after = receiver.findAll(postRequestedFor(urlEqualTo("/hook")));
            assertThat(after).hasSize(1);
            assertThat(after.get(0).getHeader("Tether-Delivery")).isEqualTo(op.at("/callback/delivery_id").asText());
            assertThat(AsyncOperationsTest.verified(after.get(0).getHeader("Tether-Signature"), after.get(0).getBody(),
                    "restart-test-secret-0123456789")).isTrue();
        } finally {
            receiver.stop();
        }
    }

    private static JsonNode await(AgentProcess agent, String location, java.util.function.Predicate<JsonNode> done) {
        return Deadline.in(Duration.ofSeconds(60)).poll(() -> {
            try {
                JsonNode op = JSON.readTree(agent.get(location).body());
                return done.test(op) ? Optional.of(op) : Optional.<JsonNode>empty();
            } catch (Exception e) {
                return Optional.<JsonNode>empty();
            }
        }, Duration.ofMillis(100), Duration.ofMillis(500)).orElseThrow(() -> new AssertionError("never reached"));
    }
}
