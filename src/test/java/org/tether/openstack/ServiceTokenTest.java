package org.tether.openstack;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;

import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tether.openstack.OpenStackStubs.PROJECT;
import static org.tether.openstack.OpenStackStubs.cinderError;
import static org.tether.openstack.OpenStackStubs.keystone;
import static org.tether.openstack.OpenStackStubs.token;

/**
 * The {@code X-Service-Token} Nova sends and Cinder needs (OSSA-2023-003) to delete an attachment that has
 * connection_info: whose token it is, when none is sent, and what the operator is told when Cinder or Keystone
 * refuses. WireMock plays Keystone and Cinder; the real Cinder that refuses a delete without the token is
 * driven in {@code OpenStackLabIT}.
 */
class ServiceTokenTest {
    private static final UUID ATTACHMENT = UUID.fromString("6a1ba0b0-3b3c-4a5f-9d0c-0f6f8a7b2c11");
    private static final Instant START = Instant.parse("2026-11-22T05:00:00Z");
    private static final String DELETE_PATH = "/cinder/v3/" + PROJECT + "/attachments/" + ATTACHMENT;

    @TempDir
    Path dir;
    private WireMockServer server;
    private final List<Duration> waits = new ArrayList<>();

    @BeforeEach
    void start() {
        server = OpenStackStubs.start();
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    private Path secret(String name) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, "pw-" + UUID.randomUUID() + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    private CinderClient client(CinderSettings s) {
        return new CinderClient(s, waits::add, new SplittableRandom(7), new ManualClock(START), new ObjectMapper());
    }

    private CinderSettings settings() throws IOException {
        return CinderSettings.password(URI.create(OpenStackStubs.authUrl(server)), secret("password"));
    }

    /** The agent's user "tether" and, when asked, a service user "nova-svc": Keystone tells them apart by body. */
    private void keystoneUser(String name, String token, int status, String... roles) {
        var answer = status == 201 ? token(server, token, START.plus(Duration.ofHours(1)), roles)
                : cinderError(status, "error", "The request you have made requires authentication.");
        server.stubFor(keystone().withRequestBody(matchingJsonPath("$.auth.identity.password.user.name",
                equalTo(name))).willReturn(answer));
    }

    private void cinderDeletes(int status) {
        server.stubFor(delete(urlEqualTo(DELETE_PATH)).willReturn(status == 200 ? aResponse().withStatus(200)
                : cinderError(status, status == 409 ? "conflict" : "computeFault", "refused")));
    }

    @Test
    void aUserHoldingTheServiceRoleSendsItsOwnTokenAsTheServiceToken() throws IOException {
        keystoneUser("tether", "tok-user", 201, "admin", "service");
        cinderDeletes(200);
        client(settings()).deleteAttachment(PROJECT, ATTACHMENT);
        server.verify(1, deleteRequestedFor(urlEqualTo(DELETE_PATH)).withHeader("X-Auth-Token", equalTo("tok-user"))
                .withHeader("X-Service-Token", equalTo("tok-user")));
    }

    @Test
    void aServiceUserOfItsOwnSendsItsTokenBesideTheUsersOnEveryCinderCall() throws IOException {
        keystoneUser("tether", "tok-user", 201, "member");
        keystoneUser("nova-svc", "tok-svc", 201, "service");
        cinderDeletes(200);
        server.stubFor(post(urlEqualTo(DELETE_PATH + "/action")).willReturn(aResponse().withStatus(204)));
        CinderClient c = client(settings().withServiceUser(ServiceUserSettings.user("nova-svc", secret("svc"), PROJECT)));
        c.complete(PROJECT, ATTACHMENT);
        c.deleteAttachment(PROJECT, ATTACHMENT);
        server.verify(1, postRequestedFor(urlEqualTo(DELETE_PATH + "/action"))
                .withHeader("X-Auth-Token", equalTo("tok-user")).withHeader("X-Service-Token", equalTo("tok-svc")));
        server.verify(1, deleteRequestedFor(urlEqualTo(DELETE_PATH))
                .withHeader("X-Auth-Token", equalTo("tok-user")).withHeader("X-Service-Token", equalTo("tok-svc")));
        server.verify(2, postRequestedFor(urlEqualTo(OpenStackStubs.KEYSTONE_PATH))); // each token fetched once
    }

    @Test
    void withoutTheRoleNoServiceTokenIsSentAndARefusedDeleteSaysWhatToSet() throws IOException {
        keystoneUser("tether", "tok-user", 201, "member");
        cinderDeletes(409);
        CinderClient c = client(settings());
        assertThatThrownBy(() -> c.deleteAttachment(PROJECT, ATTACHMENT)).isInstanceOf(TetherException.class)
                .satisfies(e -> assertThat(((TetherException) e).code()).isEqualTo(ErrorCode.CINDER_CONFLICT))
                .hasMessageContaining("X-Service-Token").hasMessageContaining("tether.cinder.service-user")
                .hasMessageContaining("'service' role");
        server.verify(1, deleteRequestedFor(urlEqualTo(DELETE_PATH)).withHeader("X-Service-Token", absent()));

        // a Cinder with no Nova to ask answers 500 (EndpointNotFound), repeated, then the same advice
        server.resetRequests();
        cinderDeletes(500);
        assertThatThrownBy(() -> c.deleteAttachment(PROJECT, ATTACHMENT)).isInstanceOf(TetherException.class)
                .satisfies(e -> assertThat(((TetherException) e).code()).isEqualTo(ErrorCode.OPENSTACK_UNAVAILABLE))
                .hasMessageContaining("Cinder answered 500").hasMessageContaining("OSSA-2023-003");
        server.verify(4, deleteRequestedFor(urlEqualTo(DELETE_PATH)));
    }

    @Test
    void aRefusalWithAServiceTokenSentCarriesNoAdvice() throws IOException {
        keystoneUser("tether", "tok-user", 201, "service");
        cinderDeletes(409);
        CinderClient c = client(settings());
        assertThatThrownBy(() -> c.deleteAttachment(PROJECT, ATTACHMENT)).isInstanceOf(TetherException.class)
                .hasMessageContaining("(409)").hasMessageNotContaining("X-Service-Token");
    }

    @Test
    void aServiceUserWithoutTheRoleIsAClearProblemAndCinderIsNotCalled() throws IOException {
        keystoneUser("tether", "tok-user", 201, "member");
        keystoneUser("nova-svc", "tok-svc", 201, "member", "reader");
        CinderClient c = client(settings().withServiceUser(ServiceUserSettings.user("nova-svc", secret("svc"), PROJECT)));
        assertThatThrownBy(() -> c.deleteAttachment(PROJECT, ATTACHMENT)).isInstanceOf(TetherException.class)
                .satisfies(e -> assertThat(((TetherException) e).code()).isEqualTo(ErrorCode.KEYSTONE_AUTH_FAILED))
                .hasMessageContaining("service user nova-svc").hasMessageContaining("no role 'service'")
                .hasMessageContaining("[member, reader]");
        server.verify(0, deleteRequestedFor(anyUrl()));
    }

    @Test
    void keystoneRefusingTheServiceUserNamesItAndCinderIsNotCalled() throws IOException {
        keystoneUser("tether", "tok-user", 201, "member");
        keystoneUser("nova-svc", null, 401);
        Path svc = secret("svc");
        CinderClient c = client(settings().withServiceUser(ServiceUserSettings.user("nova-svc", svc, PROJECT)));
        assertThatThrownBy(() -> c.deleteAttachment(PROJECT, ATTACHMENT)).isInstanceOf(TetherException.class)
                .satisfies(e -> assertThat(((TetherException) e).code()).isEqualTo(ErrorCode.KEYSTONE_AUTH_FAILED))
                .hasMessageContaining("Keystone refused service user nova-svc")
                .hasMessageNotContaining(Files.readString(svc).strip());
        server.verify(0, deleteRequestedFor(anyUrl()));
    }

    @Test
    void cinderRefusingTheTokensFetchesBothAnewAndRepeatsOnce() throws IOException {
        keystoneUser("tether", "tok-user", 201, "member");
        keystoneUser("nova-svc", "tok-svc", 201, "service");
        server.stubFor(delete(urlEqualTo(DELETE_PATH)).inScenario("revoked").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(cinderError(401, "error", "revoked")).willSetStateTo("fresh"));
        server.stubFor(delete(urlEqualTo(DELETE_PATH)).inScenario("revoked").whenScenarioStateIs("fresh")
                .willReturn(aResponse().withStatus(200)));
        client(settings().withServiceUser(ServiceUserSettings.user("nova-svc", secret("svc"), PROJECT)))
                .deleteAttachment(PROJECT, ATTACHMENT);
        server.verify(2, deleteRequestedFor(urlEqualTo(DELETE_PATH)).withHeader("X-Service-Token", equalTo("tok-svc")));
        server.verify(2, postRequestedFor(urlEqualTo(OpenStackStubs.KEYSTONE_PATH))
                .withRequestBody(matchingJsonPath("$.auth.identity.password.user.name", equalTo("nova-svc"))));
        server.verify(2, postRequestedFor(urlEqualTo(OpenStackStubs.KEYSTONE_PATH))
                .withRequestBody(matchingJsonPath("$.auth.identity.password.user.name", equalTo("tether"))));
    }

    @Test
    void sendTokenOffSendsNoneEvenWhenTheUserHoldsTheRole() throws IOException {
        keystoneUser("tether", "tok-user", 201, "service");
        cinderDeletes(200);
        client(settings().withServiceUser(ServiceUserSettings.off())).deleteAttachment(PROJECT, ATTACHMENT);
        server.verify(1, deleteRequestedFor(urlEqualTo(DELETE_PATH)).withHeader("X-Service-Token", absent()));
    }

    @Test
    void aServiceUserWithMissingSettingsStopsTheAgentAtStartNamingThem() throws IOException {
        CinderSettings s = settings().withServiceUser(ServiceUserSettings.user("nova-svc", null, PROJECT));
        assertThatThrownBy(() -> client(s)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("tether.cinder.service-user.password-file");
    }
}
