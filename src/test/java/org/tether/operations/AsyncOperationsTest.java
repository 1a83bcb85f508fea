package org.tether.operations;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tether.concurrent.Deadline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

/**
 * Asynchronous calls and signed callbacks, with WireMock as the controller's receiver: 202 + Location, the
 * same operation for the same Idempotency-Key, the exact signed body, retries while the receiver is down with
 * the same signature and delivery id, and giving up with the reason recorded.
 */
@QuarkusTest
@TestProfile(AsyncOperationsTest.WithCallbacks.class)
class AsyncOperationsTest {
    static final String SECRET = "hmac-" + UUID.randomUUID();
    static final Path SECRET_FILE = Path.of("target/test-callback-secret").toAbsolutePath();
    static WireMockServer receiver;
    private static final ObjectMapper JSON = new ObjectMapper();

    public static class WithCallbacks implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Files.deleteIfExists(SECRET_FILE);
                Files.createFile(SECRET_FILE, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------")));
                Files.writeString(SECRET_FILE, SECRET);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Map.of("tether.callbacks.secret-file", SECRET_FILE.toString(),
                    "tether.callbacks.first-retry", "100ms", "tether.callbacks.max-retry", "300ms",
                    "tether.callbacks.give-up-after", "3s", "tether.callbacks.sweep-interval", "100ms", "tether.callbacks.allowed-hosts", "127.0.0.1,localhost,ctl.example");
        }
    }

    @BeforeAll
    static void startReceiver() {
        receiver = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1"));
        receiver.start();
    }

    @AfterAll
    static void stopReceiver() {
        receiver.stop();
    }

    @BeforeEach
    void reset() {
        receiver.resetAll();
    }

    private static JsonNode awaitOperation(String location, String field, String value) {
        return Deadline.in(Duration.ofSeconds(30)).poll(() -> {
            JsonNode op = read(given().get(location).asString());
            return value.equals(op.at(field).asText()) ? Optional.of(op) : Optional.<JsonNode>empty();
        }, Duration.ofMillis(20), Duration.ofMillis(200)).orElseThrow(() -> new AssertionError(
                "operation " + location + " never had " + field + " = " + value + ": " + given().get(location).asString()));
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The receiver's check, as the README gives it: the HMAC of "t.body", and t no older than 5 minutes. */
    static boolean verified(String header, byte[] body, String secret) throws Exception {
        java.util.Map<String, String> parts = new java.util.HashMap<>();
        for (String p : header.split(",")) {
            String[] kv = p.split("=", 2);
            parts.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
        long t = Long.parseLong(parts.get("t"));
        if (Math.abs(java.time.Instant.now().getEpochSecond() - t) > 300) {
            return false;
        }
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        mac.update((t + ".").getBytes(StandardCharsets.US_ASCII));
        return java.security.MessageDigest.isEqual(java.util.HexFormat.of().formatHex(mac.doFinal(body))
                .getBytes(StandardCharsets.US_ASCII), parts.get("v1").getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void preferRespondAsyncAnswers202AndTheOperationCarriesTheCallsAnswer() {
        String vol = UUID.randomUUID().toString();
        Response r = given().contentType(ContentType.JSON).header("Prefer", "respond-async")
                .header("Idempotency-Key", "create-" + vol)
                .body("{\"id\": \"" + vol + "\", \"size_gb\": 1}").post("/v1/volumes");
        r.then().statusCode(202).body("state", equalTo("running"));
        String location = r.header("Location");
        assertThat(location).startsWith("/v1/operations/");
        JsonNode done = awaitOperation(location, "/state", "succeeded");
        assertThat(done.get("status").asInt()).isEqualTo(201);
        assertThat(done.get("result").get("id").asText()).isEqualTo(vol);

        // the same key is the same operation, not a second create
        given().contentType(ContentType.JSON).header("Prefer", "respond-async").header("Idempotency-Key", "create-" + vol)
                .body("{\"id\": \"" + vol + "\", \"size_gb\": 1}").post("/v1/volumes")
                .then().statusCode(202).header("Location", equalTo(location));
        given().header("Prefer", "respond-async").header("Idempotency-Key", "create-" + vol)
                .delete("/v1/volumes/" + vol).then().statusCode(409).body("code", equalTo("idempotency_conflict"));

        // a call that fails is a failed operation holding the problem
        Response bad = given().contentType(ContentType.JSON).header("Prefer", "respond-async")
                .body("{\"id\": \"" + UUID.randomUUID() + "\", \"size_gb\": 0}").post("/v1/volumes");
        JsonNode failed = awaitOperation(bad.header("Location"), "/state", "failed");
        assertThat(failed.get("status").asInt()).isEqualTo(400);
        assertThat(failed.get("result").get("field").asText()).isEqualTo("size_gb");

        given().delete("/v1/volumes/" + vol).then().statusCode(204);
        given().get("/v1/operations/" + UUID.randomUUID()).then().statusCode(404)
                .body("code", equalTo("operation_not_found"));
    }

    @Test
    void theCallbackIsTheOperationSignedAndRetriedWithTheSameSignatureUntilTheReceiverTakesIt() throws Exception {
        // a path of its own: a late delivery of another test's callback must not take a step of this scenario
        String hook = "/hook-" + UUID.randomUUID();
        receiver.stubFor(post(urlEqualTo(hook)).inScenario("flaky").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(503)).willSetStateTo("second"));
        receiver.stubFor(post(urlEqualTo(hook)).inScenario("flaky").whenScenarioStateIs("second")
                .willReturn(aResponse().withStatus(502)).willSetStateTo("up"));
        receiver.stubFor(post(urlEqualTo(hook)).inScenario("flaky").whenScenarioStateIs("up")
                .willReturn(aResponse().withStatus(204)));
        String vol = UUID.randomUUID().toString();
        Response r = given().contentType(ContentType.JSON).body("{\"id\": \"" + vol + "\", \"size_gb\": 1, "
                + "\"callback_url\": \"" + receiver.baseUrl() + hook + "\"}").post("/v1/volumes");
        r.then().statusCode(202);
        String location = r.header("Location");
        JsonNode op = awaitOperation(location, "/callback/state", "delivered");
        assertThat(op.get("callback").get("attempts").asInt()).isEqualTo(3);

        List<LoggedRequest> sent = receiver.findAll(postRequestedFor(urlEqualTo(hook)));
        assertThat(sent).hasSize(3);
        byte[] body = sent.get(0).getBody();
        for (LoggedRequest s : sent) {
            assertThat(s.getBody()).isEqualTo(body);
            assertThat(verified(s.getHeader("Tether-Signature"), s.getBody(), SECRET)).isTrue();
            assertThat(verified(s.getHeader("Tether-Signature"), "{\"forged\":1}".getBytes(), SECRET)).isFalse();
            assertThat(s.getHeader("Tether-Delivery")).isEqualTo(op.get("callback").get("delivery_id").asText());
            assertThat(s.getHeader("Tether-Operation")).isEqualTo(op.get("id").asText());
            assertThat(s.getHeader("Content-Type")).startsWith("application/json");
        }
        JsonNode delivered = read(new String(body, StandardCharsets.UTF_8));
        assertThat(delivered.get("id").asText()).isEqualTo(op.get("id").asText());
        assertThat(delivered.get("state").asText()).isEqualTo("succeeded");
        assertThat(delivered.get("status").asInt()).isEqualTo(201);
        assertThat(delivered.get("result").get("id").asText()).isEqualTo(vol);
        assertThat(delivered.has("callback")).isFalse();
        assertThat(new String(body, StandardCharsets.UTF_8)).doesNotContain(SECRET);
        given().delete("/v1/volumes/" + vol).then().statusCode(204);
    }

    @Test
    void aReceiverThatNeverAnswersIsGivenUpOnWithTheReason() {
        receiver.stubFor(post(urlEqualTo("/down")).willReturn(aResponse().withStatus(500)));
        String vol = UUID.randomUUID().toString();
        Response r = given().contentType(ContentType.JSON).body("{\"id\": \"" + vol + "\", \"size_gb\": 1, "
                + "\"callback_url\": \"" + receiver.baseUrl() + "/down\"}").post("/v1/volumes");
        JsonNode op = awaitOperation(r.header("Location"), "/callback/state", "gave_up");
        assertThat(op.get("callback").get("last_error").asText()).contains("receiver answered 500").contains("gave up");
        assertThat(op.get("callback").get("attempts").asInt()).isGreaterThan(2);
        given().delete("/v1/volumes/" + vol).then().statusCode(204);
    }

    /** A body sent chunked (no Content-Length) is not buffered for an asynchronous run: it runs as sent, or is refused. */
    @Test
    void aChunkedBodyRunsSynchronouslyAndIsRefusedWhenAskedToRunAsynchronously() throws Exception {
        java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
        String vol = UUID.randomUUID().toString();
        java.util.function.Function<String, java.net.http.HttpRequest.Builder> chunked = body ->
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:18081/v1/volumes"))
                        .header("Content-Type", "application/json")
                        // an input stream has no length: the client sends it chunked
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() ->
                                new java.io.ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8))));
        String create = "{\"id\": \"" + vol + "\", \"size_gb\": 1}";

        var refused = client.send(chunked.apply(create).header("Prefer", "respond-async").build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(411);
        assertThat(read(refused.body()).get("code").asText()).isEqualTo("length_required");
        given().get("/v1/volumes/" + vol).then().statusCode(404);

        var ran = client.send(chunked.apply(create).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(ran.statusCode()).as(ran.body()).isEqualTo(201);
        assertThat(read(ran.body()).get("id").asText()).isEqualTo(vol);
        given().delete("/v1/volumes/" + vol).then().statusCode(204);
    }

    @Test
    void aCallbackUrlThatIsNotHttpIsRefusedBeforeAnythingRuns() {
        given().contentType(ContentType.JSON).body("{\"id\": \"" + UUID.randomUUID() + "\", \"size_gb\": 1, "
                + "\"callback_url\": \"file:///etc/passwd\"}").post("/v1/volumes")
                .then().statusCode(400).contentType("application/problem+json").body("field", equalTo("callback_url"));
    }

    @Test
    void aCallbackToAHostNotAllowedOrPlainHttpOffLoopbackIsRefusedBeforeAnythingRuns() {
        String vol = UUID.randomUUID().toString();
        given().contentType(ContentType.JSON).body("{\"id\": \"" + vol + "\", \"size_gb\": 1, "
                + "\"callback_url\": \"https://169.254.169.254/latest/meta-data\"}").post("/v1/volumes")
                .then().statusCode(400).body("field", equalTo("callback_url"))
                .body("detail", org.hamcrest.Matchers.containsString("not in tether.callbacks.allowed-hosts"));
        given().contentType(ContentType.JSON).body("{\"id\": \"" + vol + "\", \"size_gb\": 1, "
                + "\"callback_url\": \"http://ctl.example/hook\"}").post("/v1/volumes")
                .then().statusCode(400).body("field", equalTo("callback_url"))
                .body("detail", org.hamcrest.Matchers.containsString("must be https"));
        given().get("/v1/volumes/" + vol).then().statusCode(404);
    }

    @org.junit.jupiter.api.Tag("host") // exports through tgtd
    @Test
    void aCallbackCarriesNoChapPasswordOnlyTheNameOfWhatWasLeftOut() {
        receiver.stubFor(post(urlEqualTo("/export")).willReturn(aResponse().withStatus(204)));
        String vol = UUID.randomUUID().toString();
        String initiator = "iqn.1993-08.org.debian:01:cb-" + vol.substring(0, 8);
        given().contentType(ContentType.JSON).body("{\"id\": \"" + vol + "\", \"size_gb\": 1}").post("/v1/volumes")
                .then().statusCode(201);
        Response r = given().contentType(ContentType.JSON).body("{\"initiator\": \"" + initiator
                + "\", \"callback_url\": \"" + receiver.baseUrl() + "/export\"}")
                .put("/v1/volumes/" + vol + "/exports/" + initiator);
        r.then().statusCode(202);
        awaitOperation(r.header("Location"), "/callback/state", "delivered");
        String secret = given().contentType(ContentType.JSON).body("{\"initiator\": \"" + initiator + "\"}")
                .put("/v1/volumes/" + vol + "/exports/" + initiator).then().statusCode(200).extract().jsonPath()
                .getString("data.auth_password");
        String body = new String(receiver.findAll(postRequestedFor(urlEqualTo("/export"))).get(0).getBody(),
                StandardCharsets.UTF_8);
        assertThat(body).doesNotContain(secret).contains("\"redacted\":[\"data.auth_password\"]")
                .contains("\"auth_username\"");
        given().delete("/v1/volumes/" + vol + "/exports/" + initiator).then().statusCode(204);
        given().delete("/v1/volumes/" + vol).then().statusCode(204);
    }
}
