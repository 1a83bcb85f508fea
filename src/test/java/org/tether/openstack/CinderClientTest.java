package org.tether.openstack;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.lab.TestCa;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tether.openstack.OpenStackStubs.PROJECT;
import static org.tether.openstack.OpenStackStubs.cinderError;
import static org.tether.openstack.OpenStackStubs.keystone;
import static org.tether.openstack.OpenStackStubs.token;

/**
 * The Cinder attachments client against WireMock playing Keystone and Cinder: the exact requests (bodies,
 * headers, microversion, paths), the token cache and re-authentication, which failures are repeated and how
 * often, and TLS trusting only the configured CA.
 */
class CinderClientTest {
    private static final String PASSWORD = "s3cret-" + UUID.randomUUID();
    private static final UUID ATTACHMENT = UUID.fromString("6a1ba0b0-3b3c-4a5f-9d0c-0f6f8a7b2c11");
    private static final Instant START = Instant.parse("2026-11-22T05:00:00Z");

    @TempDir
    Path dir;
    private WireMockServer server;
    private final ManualClock clock = new ManualClock(START);
    private final List<Duration> waits = new ArrayList<>();
    private Path passwordFile;

    @BeforeEach
    void start() throws IOException {
        server = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1"));
        server.start();
        passwordFile = secret("password", PASSWORD);
        server.stubFor(keystone().willReturn(token(server, "tok-1", START.plus(Duration.ofHours(1)))));
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    private Path secret(String name, String value) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, value + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    private CinderSettings settings() {
        return CinderSettings.password(URI.create(OpenStackStubs.authUrl(server)), passwordFile);
    }

    private CinderClient client(CinderSettings s) {
        return new CinderClient(s, waits::add, new SplittableRandom(7), clock, new ObjectMapper());
    }

    private static Map<String, Object> connector() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("platform", "x86_64");
        c.put("os_type", "linux");
        c.put("ip", "192.0.2.21");
        c.put("host", "compute-1");
        c.put("multipath", false);
        c.put("enforce_multipath", true);
        c.put("initiator", "iqn.1993-08.org.debian:01:a41db8382266");
        c.put("system uuid", "54F9944F-66C9-411E-9989-84AB5CEE6B18");
        c.put("do_local_attach", false);
        c.put("mountpoint", "/dev/vdb");
        c.put("mode", "rw");
        return c;
    }

    private String attachmentPath(String prefix) {
        return prefix + "/v3/" + PROJECT + "/attachments/" + ATTACHMENT;
    }

    private void stubUpdate(String prefix) {
        server.stubFor(put(urlEqualTo(attachmentPath(prefix))).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("""
                        {"attachment": {"id": "%s", "status": "attaching", "attach_mode": "rw",
                         "connection_info": {"driver_volume_type": "iscsi", "attachment_id": "%s",
                          "target_portal": "10.0.0.1:3260", "target_iqn": "iqn.2010-10.org.openstack:volume-x",
                          "target_lun": 0, "auth_method": "CHAP", "auth_username": "u", "auth_password": "p"}}}"""
                        .formatted(ATTACHMENT, ATTACHMENT))));
    }

    @Test
    void passwordAuthAndTheConnectorReachKeystoneAndCinderExactlyAsOpenStackExpects() {
        stubUpdate("/cinder");
        JsonNode info = client(settings()).updateAttachment(PROJECT, ATTACHMENT, connector());

        assertThat(info.path("target_iqn").asText()).isEqualTo("iqn.2010-10.org.openstack:volume-x");
        assertThat(info.path("attachment_id").asText()).isEqualTo(ATTACHMENT.toString());
        server.verify(1, postRequestedFor(urlEqualTo(OpenStackStubs.KEYSTONE_PATH))
                .withHeader("Content-Type", equalTo("application/json"))
                .withRequestBody(equalToJson("""
                        {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "tether",
                          "domain": {"name": "Default"}, "password": "%s"}}},
                         "scope": {"project": {"id": "%s"}}}}""".formatted(PASSWORD, PROJECT))));
        server.verify(1, putRequestedFor(urlEqualTo(attachmentPath("/cinder")))
                .withHeader("X-Auth-Token", equalTo("tok-1"))
                .withHeader("OpenStack-API-Version", equalTo("volume 3.44"))
                .withHeader("Content-Type", equalTo("application/json"))
                .withHeader("Accept", equalTo("application/json"))
                .withHeader("X-OpenStack-Request-ID", com.github.tomakehurst.wiremock.client.WireMock.matching(
                        "req-[0-9a-f-]{36}"))
                .withRequestBody(equalToJson("""
                        {"attachment": {"connector": {"platform": "x86_64", "os_type": "linux", "ip": "192.0.2.21",
                          "host": "compute-1", "multipath": false, "enforce_multipath": true,
                          "initiator": "iqn.1993-08.org.debian:01:a41db8382266",
                          "system uuid": "54F9944F-66C9-411E-9989-84AB5CEE6B18", "do_local_attach": false,
                          "mountpoint": "/dev/vdb", "mode": "rw"}}}""")));
    }

    @Test
    void completeIsTheOsCompleteActionAtMicroversion344AndDeleteIsADelete() {
        server.stubFor(post(urlEqualTo(attachmentPath("/cinder") + "/action")).willReturn(aResponse().withStatus(204)));
        server.stubFor(delete(urlEqualTo(attachmentPath("/cinder"))).willReturn(aResponse().withStatus(200)
                .withBody("{\"attachments\": []}")));
        CinderClient c = client(settings());
        c.complete(PROJECT, ATTACHMENT);
        c.deleteAttachment(PROJECT, ATTACHMENT);

        server.verify(1, postRequestedFor(urlEqualTo(attachmentPath("/cinder") + "/action"))
                .withHeader("OpenStack-API-Version", equalTo("volume 3.44"))
                .withRequestBody(equalToJson("{\"os-complete\": null}")));
        server.verify(1, com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor(
                        urlEqualTo(attachmentPath("/cinder")))
                .withHeader("X-Auth-Token", equalTo("tok-1"))
                .withHeader("OpenStack-API-Version", equalTo("volume 3.44")));
        server.verify(1, postRequestedFor(urlEqualTo(OpenStackStubs.KEYSTONE_PATH)));
    }

    @Test
    void theTokenIsReusedUntilShortlyBeforeItExpires() {
        server.stubFor(post(urlEqualTo(attachmentPath("/cinder") + "/action")).willReturn(aResponse().withStatus(204)));
        CinderClient c = client(settings());
        c.complete(PROJECT, ATTACHMENT);
        clock.advance(Duration.ofMinutes(57));
        c.complete(PROJECT, ATTACHMENT);
        server.verify(1, postRequestedFor(urlEqualTo(OpenStackStubs.KEYSTONE_PATH)));

        clock.advance(Duration.ofMinutes(1));   // 58 min: inside the 120 s margin before expiry
        c.complete(PROJECT, ATTACHMENT);
        server.verify(2, postRequestedFor(urlEqualTo(OpenStackStubs.KEYSTONE_PATH)));
    }

    @Test
    void applicationCredentialsAndProjectNamesProduceTheirKeystoneBodies() throws IOException {
        server.stubFor(post(urlEqualTo(attachmentPath("/cinder") + "/action")).willReturn(aResponse().withStatus(204)));
        String secret = "ac-" + UUID.randomUUID();
        client(settings().withApplicationCredential("423f19a4ac1e4f48bbb4180756e6eb6c",
                secret("ac", secret))).complete(PROJECT, ATTACHMENT);
        server.verify(postRequestedFor(urlEqualTo(OpenStackStubs.KEYSTONE_PATH)).withRequestBody(equalToJson("""
                {"auth": {"identity": {"methods": ["application_credential"],
                 "application_credential": {"id": "423f19a4ac1e4f48bbb4180756e6eb6c", "secret": "%s"}}}}"""
                .formatted(secret))));

        server.resetRequests();
        client(settings().withProjectName("service")).complete(PROJECT, ATTACHMENT);
        server.verify(postRequestedFor(urlEqualTo(OpenStackStubs.KEYSTONE_PATH)).withRequestBody(equalToJson("""
                {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "tether",
                  "domain": {"name": "Default"}, "password": "%s"}}},
                 "scope": {"project": {"name": "service", "domain": {"name": "Default"}}}}}""".formatted(PASSWORD))));
    }

    @Test
    void theCatalogInterfaceAndRegionPickTheEndpointAndAConfiguredEndpointWins() {
        stubUpdate("/internal");
        client(settings().withRegion("internal", "RegionTwo")).updateAttachment(PROJECT, ATTACHMENT, connector());
        server.verify(1, putRequestedFor(urlEqualTo(attachmentPath("/internal"))));

        stubUpdate("/own");
        client(settings().withEndpoint(URI.create(server.baseUrl() + "/own")))
                .updateAttachment(PROJECT, ATTACHMENT, connector());
        server.verify(1, putRequestedFor(urlEqualTo(attachmentPath("/own"))));

        assertThatThrownBy(() -> client(settings().withRegion("admin", null))
                .updateAttachment(PROJECT, ATTACHMENT, connector()))
                .isInstanceOf(TetherException.class).hasMessageContaining("no admin endpoint")
                .extracting(e -> ((TetherException) e).code()).isEqualTo(ErrorCode.CINDER_ENDPOINT_NOT_FOUND);
    }

    @Test
    void aRefusedTokenIsReplacedOnceAndTheCallRepeated() {
        server.stubFor(keystone().inScenario("tokens").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(token(server, "tok-1", START.plus(Duration.ofHours(1)))).willSetStateTo("second"));
        server.stubFor(keystone().inScenario("tokens").whenScenarioStateIs("second")
                .willReturn(token(server, "tok-2", START.plus(Duration.ofHours(1)))));
        server.stubFor(post(urlEqualTo(attachmentPath("/cinder") + "/action"))
                .withHeader("X-Auth-Token", equalTo("tok-1")).willReturn(aResponse().withStatus(401)));
        server.stubFor(post(urlEqualTo(attachmentPath("/cinder") + "/action"))
                .withHeader("X-Auth-Token", equalTo("tok-2")).willReturn(aResponse().withStatus(204)));

        client(settings()).complete(PROJECT, ATTACHMENT);

        server.verify(2, postRequestedFor(urlEqualTo(OpenStackStubs.KEYSTONE_PATH)));
        server.verify(2, postRequestedFor(urlEqualTo(attachmentPath("/cinder") + "/action")));
        List<String> requestIds = server.findAll(postRequestedFor(urlEqualTo(attachmentPath("/cinder") + "/action")))
                .stream().map(r -> r.getHeader("X-OpenStack-Request-ID")).distinct().toList();
        assertThat(requestIds).as("one logical call, one request id").hasSize(1);
    }

    @Test
    void aSecond401IsAnAuthenticationProblemNotALoop() {
        server.stubFor(post(urlEqualTo(attachmentPath("/cinder") + "/action")).willReturn(aResponse().withStatus(401)));
        assertThatThrownBy(() -> client(settings()).complete(PROJECT, ATTACHMENT))
                .isInstanceOf(TetherException.class)
                .extracting(e -> ((TetherException) e).code()).isEqualTo(ErrorCode.KEYSTONE_AUTH_FAILED);
        server.verify(2, postRequestedFor(urlEqualTo(OpenStackStubs.KEYSTONE_PATH)));
        server.verify(2, postRequestedFor(urlEqualTo(attachmentPath("/cinder") + "/action")));
    }

    @Test
    void keystoneRefusingTheCredentialsNamesTheUserNeverThePasswordAndIsNotRepeated() {
        server.stubFor(keystone().willReturn(cinderError(401, "error", "The request you have made requires authentication.")));
        assertThatThrownBy(() -> client(settings()).complete(PROJECT, ATTACHMENT))
                .isInstanceOf(TetherException.class)
                .hasMessageContaining("user tether").hasMessageContaining("401")
                .hasMessageNotContaining(PASSWORD)
                .extracting(e -> ((TetherException) e).code()).isEqualTo(ErrorCode.KEYSTONE_AUTH_FAILED);
        server.verify(1, postRequestedFor(urlEqualTo(OpenStackStubs.KEYSTONE_PATH)));
    }

    @Test
    void notFoundConflictAndBadRequestAreClearProblemsAndAreNeverRepeated() {
        server.stubFor(put(urlEqualTo(attachmentPath("/cinder"))).willReturn(
                cinderError(404, "itemNotFound", "Volume attachment " + ATTACHMENT + " could not be found.")));
        assertThatThrownBy(() -> client(settings()).updateAttachment(PROJECT, ATTACHMENT, connector()))
                .isInstanceOf(TetherException.class).hasMessageContaining("could not be found")
                .extracting(e -> ((TetherException) e).code()).isEqualTo(ErrorCode.CINDER_ATTACHMENT_NOT_FOUND);

        server.stubFor(put(urlEqualTo(attachmentPath("/cinder"))).willReturn(
                cinderError(409, "conflictingRequest", "Invalid volume: Volume status must be reserved.")));
        assertThatThrownBy(() -> client(settings()).updateAttachment(PROJECT, ATTACHMENT, connector()))
                .isInstanceOf(TetherException.class).hasMessageContaining("must be reserved")
                .extracting(e -> ((TetherException) e).code()).isEqualTo(ErrorCode.CINDER_CONFLICT);

        server.stubFor(put(urlEqualTo(attachmentPath("/cinder"))).willReturn(
                cinderError(400, "badRequest", "Connector is missing initiator")));
        assertThatThrownBy(() -> client(settings()).updateAttachment(PROJECT, ATTACHMENT, connector()))
                .isInstanceOf(TetherException.class)
                .extracting(e -> ((TetherException) e).code()).isEqualTo(ErrorCode.CINDER_REJECTED);

        server.verify(3, putRequestedFor(urlEqualTo(attachmentPath("/cinder"))));
        assertThat(waits).isEmpty();
    }

    @Test
    void serverErrorsAreRepeatedWithGrowingWaitsHonouringRetryAfter() {
        String action = attachmentPath("/cinder") + "/action";
        server.stubFor(post(urlEqualTo(action)).inScenario("flaky").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(cinderError(500, "computeFault", "boom")).willSetStateTo("503"));
        server.stubFor(post(urlEqualTo(action)).inScenario("flaky").whenScenarioStateIs("503")
                .willReturn(aResponse().withStatus(503).withHeader("Retry-After", "1")).willSetStateTo("ok"));
        server.stubFor(post(urlEqualTo(action)).inScenario("flaky").whenScenarioStateIs("ok")
                .willReturn(aResponse().withStatus(204)));

        client(settings()).complete(PROJECT, ATTACHMENT);

        server.verify(3, postRequestedFor(urlEqualTo(action)).withRequestBody(equalToJson("{\"os-complete\": null}")));
        assertThat(waits).hasSize(2);
        assertThat(waits.get(0)).isBetween(Duration.ofMillis(50), Duration.ofMillis(100));
        assertThat(waits.get(1)).as("Retry-After: 1 within the 2 s cap").isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void aPersistentServerErrorStopsAfterTheConfiguredRepeats() {
        server.stubFor(put(urlEqualTo(attachmentPath("/cinder"))).willReturn(cinderError(500, "computeFault",
                "The server has either erred or is incapable of performing the requested operation.")));
        assertThatThrownBy(() -> client(settings()).updateAttachment(PROJECT, ATTACHMENT, connector()))
                .isInstanceOf(TetherException.class).hasMessageContaining("4 attempts").hasMessageContaining("erred")
                .extracting(e -> ((TetherException) e).code()).isEqualTo(ErrorCode.OPENSTACK_UNAVAILABLE);
        server.verify(4, putRequestedFor(urlEqualTo(attachmentPath("/cinder"))));
        assertThat(waits).hasSize(3);
    }

    @Test
    void aCinderThatDoesNotAnswerInTimeIsRepeatedThenATimeout() {
        server.stubFor(put(urlEqualTo(attachmentPath("/cinder"))).willReturn(aResponse().withStatus(200)
                .withFixedDelay(1500)));
        assertThatThrownBy(() -> client(settings().withTimeout(Duration.ofMillis(300)))
                .updateAttachment(PROJECT, ATTACHMENT, connector()))
                .isInstanceOf(TetherException.class).hasMessageContaining("did not answer")
                .extracting(e -> ((TetherException) e).code()).isEqualTo(ErrorCode.OPENSTACK_TIMEOUT);
        server.verify(4, putRequestedFor(urlEqualTo(attachmentPath("/cinder"))));
    }

    @Test
    void anUnreachableCinderIsUnavailableAfterTheRepeats() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        assertThatThrownBy(() -> client(settings().withEndpoint(URI.create("http://127.0.0.1:" + closed)))
                .complete(PROJECT, ATTACHMENT))
                .isInstanceOf(TetherException.class).hasMessageContaining("unreachable")
                .extracting(e -> ((TetherException) e).code()).isEqualTo(ErrorCode.OPENSTACK_UNAVAILABLE);
        assertThat(waits).hasSize(3);
    }

    /** Cinder 21.3 wraps "the volume is in error" in a 500: a conflict said at once, not an outage repeated. */
    @Test
    void aServerErrorThatSaysTheVolumeIsInvalidIsAConflictAndNotRepeated() {
        server.stubFor(put(urlEqualTo(attachmentPath("/cinder"))).willReturn(cinderError(500, "computeFault",
                "Unable to update attachment.(Invalid volume: Volume attachments can not be updated if the volume "
                        + "is in an error state.)")));
        assertThatThrownBy(() -> client(settings()).updateAttachment(PROJECT, ATTACHMENT, connector()))
                .isInstanceOf(TetherException.class)
                .satisfies(e -> assertThat(((TetherException) e).code()).isEqualTo(ErrorCode.CINDER_CONFLICT))
                .hasMessageContaining("error state");
        server.verify(1, putRequestedFor(urlEqualTo(attachmentPath("/cinder"))));
        assertThat(waits).isEmpty();
    }

    /** Cinder 21.3 answers 400 "Malformed request url" to a URL naming another project than the token's. */
    @Test
    void theUrlNamesTheTokensProjectNotTheVolumesOwner() {
        server.stubFor(delete(urlEqualTo(attachmentPath("/cinder"))).willReturn(aResponse().withStatus(200)));
        client(settings()).deleteAttachment("0123456789abcdef0123456789abcdef", ATTACHMENT);
        server.verify(1, com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor(
                urlEqualTo(attachmentPath("/cinder"))));
    }

    @Test
    void deletingAnAttachmentCinderNoLongerKnowsIsDone() {
        server.stubFor(delete(urlEqualTo(attachmentPath("/cinder"))).willReturn(cinderError(404, "itemNotFound", "gone")));
        client(settings()).deleteAttachment(PROJECT, ATTACHMENT);
        server.verify(1, com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor(
                urlEqualTo(attachmentPath("/cinder"))));
    }

    @Test
    void tlsTrustsTheConfiguredCaAndNothingElse() {
        TestCa ca = TestCa.create(dir.resolve("pki"));
        Path serverStore = ca.signed("keystone", "CN=localhost", "-ext", "san=dns:localhost,ip:127.0.0.1");
        WireMockServer tls = new WireMockServer(WireMockConfiguration.options().httpDisabled(true)
                .dynamicHttpsPort().bindAddress("127.0.0.1").keystorePath(serverStore.toString())
                .keystorePassword(ca.password).keyManagerPassword(ca.password).keystoreType("PKCS12"));
        tls.start();
        try {
            tls.stubFor(keystone().willReturn(token(tls, "tok-tls", START.plus(Duration.ofHours(1)))));
            tls.stubFor(post(urlPathMatching(".*/action")).willReturn(aResponse().withStatus(204)));
            CinderSettings s = CinderSettings.password(URI.create(OpenStackStubs.authUrl(tls)), passwordFile);

            client(s.withCa(ca.file("ca.pem"))).complete(PROJECT, ATTACHMENT);
            tls.verify(1, postRequestedFor(urlEqualTo(attachmentPath("/cinder") + "/action"))
                    .withHeader("X-Auth-Token", equalTo("tok-tls")));

            assertThatThrownBy(() -> client(s).complete(PROJECT, ATTACHMENT))
                    .as("the JVM's default trust store does not know the test CA")
                    .isInstanceOf(TetherException.class).hasMessageContaining("SSLHandshakeException")
                    .hasMessageContaining("tether.cinder.ca-file");
            assertThat(waits).as("a certificate failure is not repeated").isEmpty();
        } finally {
            tls.stop();
        }
    }

    @Test
    void waitsDoubleFromTheDelayAndStopAtTheCap() {
        OpenStackHttp http = new OpenStackHttp(settings(), d -> { }, new SplittableRandom(1), new ObjectMapper());
        for (int attempt = 1; attempt <= 8; attempt++) {
            long base = Math.min(2000, 100L << (attempt - 1));
            assertThat(http.backoff(attempt, Duration.ZERO).toMillis()).as("attempt " + attempt)
                    .isBetween(base / 2, base);
        }
        assertThat(http.backoff(1, Duration.ofSeconds(30))).as("Retry-After beyond the cap is capped")
                .isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void missingOrExposedSecretsStopTheAgentAtStart() throws IOException {
        assertThatThrownBy(() -> client(settings().withApplicationCredential("id", null)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("tether.cinder.application-credential-secret-file");
        Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> client(settings())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("must be 0600");
        assertThat(new CinderClient(CinderSettings.password(null, null), waits::add, new SplittableRandom(1), clock, new ObjectMapper())
                .configured()).isFalse();
        server.verify(0, postRequestedFor(anyUrl()));
    }
}
