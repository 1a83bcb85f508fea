package org.tether.openstack;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keystone tokens as a way in (X-Auth-Token), with WireMock as Keystone: validated with the agent's own
 * service token, admitted only with a configured role, cached, and never admitted when Keystone is down.
 */
@QuarkusTest
@TestProfile(KeystoneTokenAuthTest.WithKeystone.class)
class KeystoneTokenAuthTest {
    static WireMockServer keystone;
    static final Path PASSWORD = Path.of("target/test-keystone-auth-password").toAbsolutePath();
    static final Path AUDIT = Path.of("target/test-audit-keystone.jsonl").toAbsolutePath();
    private static final String service = "service-" + UUID.randomUUID();

    public static class WithKeystone implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            if (keystone == null) {
                keystone = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1"));
                keystone.start();
            }
            try {
                Files.deleteIfExists(PASSWORD);
                Files.deleteIfExists(AUDIT);
                Files.createFile(PASSWORD, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(PASSWORD, "keystone-" + UUID.randomUUID());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Map.ofEntries(Map.entry("tether.api.allow-unauthenticated", "false"),
                    Map.entry("tether.api.keystone.enabled", "true"), Map.entry("tether.api.keystone.roles", "service"),
                    Map.entry("tether.api.audit-file", AUDIT.toString()),
                    Map.entry("tether.cinder.auth-url", OpenStackStubs.authUrl(keystone)),
                    Map.entry("tether.cinder.username", "tether"),
                    Map.entry("tether.cinder.password-file", PASSWORD.toString()),
                    Map.entry("tether.cinder.project-id", OpenStackStubs.PROJECT), Map.entry("tether.cinder.retries", "1"),
                    Map.entry("tether.cinder.retry-delay", "10ms"), Map.entry("tether.cinder.max-retry-delay", "20ms"));
        }
    }

    @BeforeEach
    void stubs() {
        keystone.resetAll();
        keystone.stubFor(OpenStackStubs.keystone().willReturn(
                OpenStackStubs.token(keystone, service, Instant.now().plus(Duration.ofHours(1)))));
        validates("good-" + service, validToken("service", Instant.now().plus(Duration.ofHours(1))));
        validates("member-" + service, validToken("member", Instant.now().plus(Duration.ofHours(1))));
        validates("cinder-" + service, validToken("service", Instant.now().plus(Duration.ofHours(1)), "u7", "cinder"));
        validates("stale-" + service, validToken("service", Instant.now().minus(Duration.ofMinutes(1))));
        validates("revoked-" + service, aResponse().withStatus(404).withHeader("Content-Type", "application/json")
                .withBody("{\"error\": {\"code\": 404, \"message\": \"Could not find token\"}}"));
    }

    private void validates(String subject, ResponseDefinitionBuilder answer) {
        keystone.stubFor(get(urlEqualTo(OpenStackStubs.KEYSTONE_PATH)).withHeader("X-Auth-Token", equalTo(service))
                .withHeader("X-Subject-Token", equalTo(subject)).willReturn(answer));
    }

    private static ResponseDefinitionBuilder validToken(String role, Instant expires) {
        return validToken(role, expires, "u9", "nova");
    }

    private static ResponseDefinitionBuilder validToken(String role, Instant expires, String userId, String user) {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody("""
                {"token": {"expires_at": "%s", "roles": [{"id": "r1", "name": "%s"}],
                 "user": {"id": "%s", "name": "%s"}, "project": {"id": "p9", "name": "services"}}}"""
                .formatted(expires, role, userId, user));
    }

    @Test
    void aValidTokenWithTheRoleGetsInOnceValidatedAndIsAuditedByUserAndProject() throws Exception {
        String good = "good-" + service;
        given().header("X-Auth-Token", good).get("/v1/connector").then().statusCode(200);
        given().header("X-Auth-Token", good).delete("/v1/instances/nodomain/volumes/" + UUID.randomUUID())
                .then().statusCode(204); // nothing attached: a detach is idempotent
        keystone.verify(1, getRequestedFor(urlEqualTo(OpenStackStubs.KEYSTONE_PATH))
                .withHeader("X-Subject-Token", equalTo(good)));
        String audit = Files.readString(AUDIT);
        assertThat(audit).contains("\"who\":\"keystone:nova(u9)@services(p9)\"").doesNotContain(good)
                .doesNotContain(service);
    }

    @Test
    void expiredRevokedOrRoleLessTokensAreRefused() {
        for (String bad : new String[]{"revoked-" + service, "stale-" + service, "member-" + service, "unknown"}) {
            given().header("X-Auth-Token", bad).get("/v1/connector").then().statusCode(401)
                    .body("code", org.hamcrest.Matchers.equalTo("unauthorized"));
        }
        given().get("/v1/connector").then().statusCode(401)
                .body("detail", org.hamcrest.Matchers.equalTo("missing bearer token or X-Auth-Token"));
        given().get("/q/health/live").then().statusCode(200);
    }

    @Test
    void keystoneDownIsA503AndAdmitsNobody() {
        keystone.stubFor(get(urlEqualTo(OpenStackStubs.KEYSTONE_PATH)).willReturn(aResponse().withStatus(503)));
        given().header("X-Auth-Token", "fresh-" + UUID.randomUUID()).post("/v1/reconciliation").then().statusCode(503)
                .header("Retry-After", "5").body("code", org.hamcrest.Matchers.equalTo("keystone_unavailable"));
    }

    @Test
    void idempotencyKeysAreScopedToTheCaller() {
        String key = "reconcile-" + UUID.randomUUID();
        String nova = given().header("X-Auth-Token", "good-" + service).header("Prefer", "respond-async")
                .header("Idempotency-Key", key).post("/v1/reconciliation").then().statusCode(202)
                .extract().header("Location");
        String cinder = given().header("X-Auth-Token", "cinder-" + service).header("Prefer", "respond-async")
                .header("Idempotency-Key", key).post("/v1/reconciliation").then().statusCode(202)
                .extract().header("Location");
        assertThat(cinder).as("another caller's key names another operation").isNotEqualTo(nova);
        assertThat(given().header("X-Auth-Token", "good-" + service).header("Prefer", "respond-async")
                .header("Idempotency-Key", key).post("/v1/reconciliation").then().statusCode(202)
                .extract().header("Location")).isEqualTo(nova);
    }
}
