package org.tether.compute.cinder;

import org.tether.openstack.OpenStackStubs;
import org.tether.compute.cinder.CinderAttachmentRecovery;
import org.tether.compute.cinder.CinderAttachmentStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tether.compute.cinder.CinderAttachmentRecord.Phase;
import org.tether.concurrent.Deadline;
import org.tether.lab.CephCluster;
import org.tether.lab.Host;
import org.tether.lab.TestDomain;
import org.tether.lab.TgtTarget;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.tether.openstack.OpenStackStubs.PROJECT;

/**
 * The whole Cinder v3 attachment flow with WireMock as Keystone and Cinder and a real attach on this host:
 * the connection_info "Cinder" answers points at a real tgt target, the disk is hot-plugged into a real QEMU
 * domain through QEMU's iSCSI client, bytes reach the target, and detach leaves nothing. Failures on either
 * side leave the host clean and complete nothing; a restart finishes or undoes what was left mid-way.
 */
@QuarkusTest
@TestProfile(CinderAttachmentsLabTest.WithCinder.class)
class CinderAttachmentsLabTest {
    static WireMockServer openstack;
    static final Path KEYSTONE_PASSWORD = Path.of("target/test-keystone-password").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();

    public static class WithCinder implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            if (openstack == null) {
                openstack = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1"));
                openstack.start();
            }
            Path password = KEYSTONE_PASSWORD;
            try {
                Files.deleteIfExists(password);
                Files.createFile(password, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------")));
                Files.writeString(password, "keystone-" + UUID.randomUUID());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Map.of("tether.cinder.auth-url", OpenStackStubs.authUrl(openstack),
                    "tether.cinder.username", "tether", "tether.cinder.password-file", password.toString(),
                    "tether.cinder.project-id", PROJECT, "tether.cinder.retries", "2",
                    "tether.cinder.retry-delay", "10ms", "tether.cinder.max-retry-delay", "50ms",
                    // a peer that is never reached: a migration of a Cinder attachment is refused before
                    "tether.migration.peers.elsewhere.url", "http://127.0.0.1:9",
                    "tether.migration.peers.elsewhere.libvirt-uri", "qemu+tcp://127.0.0.1:9/system");
        }
    }

    /** Started by the first RBD test, for the class. */
    private static CephCluster ceph;

    @AfterAll
    static void stopCeph() throws Exception {
        if (ceph != null) {
            ceph.close();
            ceph = null;
        }
    }

    @Inject
    CinderAttachmentStore store;
    @Inject
    CinderAttachmentRecovery recovery;

    private Path dir;
    private TestDomain dom;
    private TgtTarget tgt;
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final UUID attachment = UUID.randomUUID();
    private final String token = "tok-" + UUID.randomUUID();

    @BeforeEach
    void setUp() throws Exception {
        openstack.resetAll();
        openstack.stubFor(OpenStackStubs.keystone().willReturn(
                OpenStackStubs.token(openstack, token, Instant.now().plus(Duration.ofHours(1)))));
        dir = Files.createTempDirectory("tether-cinder");
        dom = keep(TestDomain.create(TestDomain.Kind.RUNNING));
        tgt = keep(TgtTarget.create(dir, true));
    }

    @AfterEach
    void tearDown() throws Exception {
        given().delete("/v1/instances/" + dom.name + "/volumes/" + tgt.volumeId);
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
        Files.deleteIfExists(dir);
    }

    private <T extends AutoCloseable> T keep(T t) {
        cleanup.add(t);
        return t;
    }

    private String attachmentPath() {
        return "/cinder/v3/" + PROJECT + "/attachments/" + attachment;
    }

    /** Cinder's answer to the connector: the flat connection_info of the v3 attachments API. */
    private void cinderExports(String password) throws IOException {
        cinderExports(password, false);
    }

    private void cinderExports(String password, boolean encrypted) throws IOException {
        ObjectNode nested = (ObjectNode) JSON.readTree(tgt.connectionInfo(password, null));
        ObjectNode flat = (ObjectNode) nested.get("data").deepCopy();
        flat.put("encrypted", encrypted);
        flat.put("driver_volume_type", "iscsi");
        flat.put("attachment_id", attachment.toString());
        ObjectNode body = JSON.createObjectNode();
        ObjectNode a = body.putObject("attachment");
        a.put("id", attachment.toString()).put("status", "attaching").put("volume_id", tgt.volumeId.toString())
                .put("instance", UUID.randomUUID().toString()).put("attach_mode", "rw");
        a.set("connection_info", flat);
        openstack.stubFor(put(urlEqualTo(attachmentPath())).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(JSON.writeValueAsString(body))));
    }

    /** The target's file made a LUKS1 volume under {@code key}, as a volume Cinder encrypted holds. */
    private void luksFormat(byte[] key) throws Exception {
        Path pass = dir.resolve("pass.hex");
        Files.writeString(pass, java.util.HexFormat.of().formatHex(key));
        long size = Files.size(tgt.file);
        Host.run("qemu-img", "create", "-q", "-f", "luks", "--object", "secret,id=k,file=" + pass, "-o",
                "key-secret=k,cipher-alg=aes-128,cipher-mode=xts,ivgen-alg=plain64,hash-alg=sha512",
                tgt.file.toString(), Long.toString(size - (4L << 20)));
        try (var f = new java.io.RandomAccessFile(tgt.file.toFile(), "rw")) {
            f.setLength(size);
        }
        Files.delete(pass);
    }

    private void cinderCompletes(int status) {
        openstack.stubFor(post(urlEqualTo(attachmentPath() + "/action")).willReturn(aResponse().withStatus(status)));
    }

    private void cinderDeletes() {
        openstack.stubFor(delete(urlEqualTo(attachmentPath())).willReturn(aResponse().withStatus(200)
                .withBody("{\"attachments\": []}")));
    }

    private Response attach() {
        return given().contentType(ContentType.JSON).body("""
                {"attachment_id": "%s", "volume_id": "%s", "instance": "%s", "project_id": "%s",
                 "device": "sdc", "bus": "scsi", "attach_path": "qemu"}"""
                .formatted(attachment, tgt.volumeId, dom.name, PROJECT)).post("/v1/cinder-attachments");
    }

    private void assertHostClean() {
        assertThat(dom.liveXml()).doesNotContain(tgt.volumeId.toString());
        assertThat(dom.persistentXml()).doesNotContain(tgt.volumeId.toString());
        assertThat(Host.secretUsages()).noneMatch(u -> u.contains(tgt.volumeId.toString()));
        assertThat(given().get("/v1/attachments").asString()).doesNotContain(tgt.volumeId.toString());
        assertThat(store.find(attachment)).isEmpty();
    }

    private List<String> cinderCalls() {
        return openstack.getAllServeEvents().stream()
                .sorted(Comparator.comparing(e -> e.getRequest().getLoggedDate()))
                .map(ServeEvent::getRequest).filter(r -> !r.getUrl().contains("/auth/tokens"))
                .map(r -> r.getMethod() + " " + r.getUrl().replace(attachmentPath(), "{attachment}")).toList();
    }

    @Test
    void anEncryptedVolumeOpensWithTheEncryptionCinderKeepsAndTheKeyBarbicanHolds() throws Exception {
        byte[] key = new byte[32];
        new java.util.Random(9).nextBytes(key);
        luksFormat(key);
        String keyId = UUID.randomUUID().toString();
        openstack.stubFor(get(urlEqualTo("/barbican/v1/secrets/" + keyId + "/payload")).willReturn(aResponse()
                .withStatus(200).withBody(key)));
        openstack.stubFor(get(urlEqualTo("/cinder/v3/" + PROJECT + "/volumes/" + tgt.volumeId + "/encryption"))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(
                        "{\"encryption_key_id\": \"" + keyId + "\", \"control_location\": \"front-end\", "
                                + "\"cipher\": \"aes-xts-plain64\", \"key_size\": 256, \"provider\": "
                                + "\"nova.volume.encryptors.luks.LuksEncryptor\"}")));
        cinderExports(tgt.password, true);
        cinderCompletes(204);
        cinderDeletes();

        attach().then().statusCode(201).body("state", equalTo("completed"));
        assertThat(dom.liveXml()).contains("<encryption format='luks'");
        assertThat(Host.secretUsages()).anyMatch(u -> u.contains(tgt.volumeId.toString()));
        assertThat(cinderCalls()).contains("GET /cinder/v3/" + PROJECT + "/volumes/" + tgt.volumeId + "/encryption");
        given().delete("/v1/cinder-attachments/" + attachment).then().statusCode(204);
        assertHostClean();
    }

    @Test
    void attachSendsTheConnectorAttachesWhatCinderExportedCompletesAndDeleteUndoesAll() throws Exception {
        cinderExports(tgt.password);
        cinderCompletes(204);
        cinderDeletes();

        Response r = attach();
        r.then().statusCode(201).header("Location", org.hamcrest.Matchers.endsWith("/v1/cinder-attachments/" + attachment))
                .body("state", equalTo("completed")).body("device", equalTo("sdc"))
                .body("host_attachment.state", equalTo("attached"))
                .body("host_attachment.attach_path", equalTo("qemu"));
        assertThat(r.asString()).doesNotContain(tgt.password);
        assertThat(cinderCalls()).containsExactly("PUT {attachment}", "POST {attachment}/action");
        openstack.verify(putRequestedFor(urlEqualTo(attachmentPath()))
                .withHeader("OpenStack-API-Version", WireMock.equalTo("volume 3.44"))
                .withRequestBody(matchingJsonPath("$.attachment.connector.initiator", WireMock.equalTo(TgtTarget.hostInitiator())))
                .withRequestBody(matchingJsonPath("$.attachment.connector.mountpoint", WireMock.equalTo("/dev/sdc")))
                .withRequestBody(matchingJsonPath("$.attachment.connector.mode", WireMock.equalTo("rw")))
                .withRequestBody(matchingJsonPath("$.attachment.connector.os_type", WireMock.equalTo("linux"))));
        openstack.verify(postRequestedFor(urlEqualTo(attachmentPath() + "/action"))
                .withHeader("OpenStack-API-Version", WireMock.equalTo("volume 3.44"))
                .withRequestBody(equalToJson("{\"os-complete\": null}")));

        assertThat(dom.liveXml()).contains("<serial>" + tgt.volumeId + "</serial>");
        dom.hmp("qemu-io -d ua-" + tgt.volumeId + " \"write -P 0x3c 2097152 4096\"");
        assertThat(tgt.read(2097152, 4096)).containsOnly((byte) 0x3c);

        // a repeat changes nothing and asks Cinder nothing
        attach().then().statusCode(200).body("state", equalTo("completed"));
        assertThat(cinderCalls()).hasSize(2);
        // Cinder's attachment holds the volume's connection: it is not migrated or moved behind Cinder's back
        Response migrate = given().contentType(ContentType.JSON).body("{\"destination\": \"elsewhere\", "
                + "\"volumes\": {\"" + tgt.volumeId + "\": {\"connection_info\": " + tgt.connectionInfo() + "}}}")
                .post("/v1/instances/" + dom.name + "/migrations");
        migrate.then().statusCode(202);
        assertThat(org.tether.lab.Operations.await(migrate.header("Location"), "failed", java.time.Duration.ofSeconds(30))
                .path("result").path("code").asText()).isEqualTo("migration_unsupported");
        Response move = given().contentType(ContentType.JSON).body("{\"connection_info\": " + tgt.connectionInfo()
                + "}").post("/v1/instances/" + dom.name + "/volumes/" + tgt.volumeId + "/move");
        move.then().statusCode(202);
        assertThat(org.tether.lab.Operations.await(move.header("Location"), "failed", java.time.Duration.ofSeconds(30))
                .path("result").path("code").asText()).isEqualTo("move_unsupported");
        assertThat(cinderCalls()).hasSize(2);
        given().get("/v1/cinder-attachments/" + attachment).then().statusCode(200).body("state", equalTo("completed"))
                .body("host_attachment.state", equalTo("attached"));
        given().get("/v1/cinder-attachments/" + attachment).then().statusCode(200)
                .body("volume_id", equalTo(tgt.volumeId.toString())).body("instance", equalTo(dom.name));

        given().delete("/v1/cinder-attachments/" + attachment).then().statusCode(204);
        assertThat(cinderCalls()).containsExactly("PUT {attachment}", "POST {attachment}/action", "DELETE {attachment}");
        openstack.verify(deleteRequestedFor(urlEqualTo(attachmentPath()))
                .withHeader("OpenStack-API-Version", WireMock.equalTo("volume 3.44")));
        assertHostClean();
        given().delete("/v1/cinder-attachments/" + attachment).then().statusCode(404)
                .body("code", equalTo("attachment_not_found"));
    }

    @Test
    void cindersRbdConnectionInfoIsAttachedThroughLibrbdAndDeletedClean() throws Exception {
        if (ceph == null) {
            ceph = CephCluster.start(6793);
        }
        UUID vol = ceph.createVolume(64);
        // what Cinder's RBD driver answers with rbd_keyring_conf set: the flat shape with the keyring
        String keyring = "\"keyring\": " + JSON.writeValueAsString(ceph.keyringText());
        ObjectNode flat = (ObjectNode) JSON.readTree(ceph.connectionInfo(vol, keyring, null)).get("data").deepCopy();
        flat.put("driver_volume_type", "rbd");
        flat.put("attachment_id", attachment.toString());
        ObjectNode body = JSON.createObjectNode();
        body.putObject("attachment").put("id", attachment.toString()).put("status", "attaching")
                .put("volume_id", vol.toString()).put("attach_mode", "rw").set("connection_info", flat);
        openstack.stubFor(put(urlEqualTo(attachmentPath())).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(JSON.writeValueAsString(body))));
        cinderCompletes(204);
        cinderDeletes();

        Response r = given().contentType(ContentType.JSON).body("""
                {"attachment_id": "%s", "volume_id": "%s", "instance": "%s", "project_id": "%s", "bus": "scsi"}"""
                .formatted(attachment, vol, dom.name, PROJECT)).post("/v1/cinder-attachments");
        r.then().statusCode(201).body("state", equalTo("completed"))
                .body("host_attachment.attach_path", equalTo("qemu"));
        assertThat(r.asString()).doesNotContain(ceph.key());
        assertThat(dom.liveXml()).contains("protocol='rbd' name='volumes/volume-" + vol + "'");
        dom.hmp("qemu-io -d ua-" + vol + " \"write -P 0x4d 0 4096\"");
        assertThat(ceph.read("volume-" + vol, 0, 4096)).containsOnly((byte) 0x4d);

        given().delete("/v1/cinder-attachments/" + attachment).then().statusCode(204);
        assertThat(cinderCalls()).containsExactly("PUT {attachment}", "POST {attachment}/action", "DELETE {attachment}");
        assertThat(dom.liveXml()).doesNotContain(vol.toString());
        assertThat(Host.secretUsages()).noneMatch(u -> u.contains(vol.toString()));
        assertThat(store.find(attachment)).isEmpty();
    }

    @Test
    void aHostAttachThatFailsCompletesNothingAndLeavesTheHostClean() throws Exception {
        cinderExports("wrong-password-123");
        cinderCompletes(204);

        Response r = attach();
        assertThat(r.statusCode()).isGreaterThanOrEqualTo(500);
        assertThat(r.contentType()).startsWith("application/problem+json");
        assertThat(r.asString()).doesNotContain("wrong-password-123");
        assertThat(cinderCalls()).containsExactly("PUT {attachment}");
        assertHostClean();
    }

    @Test
    void whenCinderCannotCompleteTheDiskIsTakenOutAgainAfterBoundedRepeats() throws Exception {
        cinderExports(tgt.password);
        cinderCompletes(500);

        attach().then().statusCode(503).body("code", equalTo("openstack_unavailable"))
                .body("detail", org.hamcrest.Matchers.containsString("3 attempts"));
        assertThat(cinderCalls()).containsExactly("PUT {attachment}", "POST {attachment}/action",
                "POST {attachment}/action", "POST {attachment}/action");
        assertHostClean();
    }

    @Test
    void aCinderRefusalIsAClearProblemAndTheHostIsUntouched() {
        openstack.stubFor(put(urlEqualTo(attachmentPath())).willReturn(OpenStackStubs.cinderError(404, "itemNotFound",
                "Volume attachment " + attachment + " could not be found.")));
        attach().then().statusCode(404).body("code", equalTo("cinder_attachment_not_found"))
                .body("detail", org.hamcrest.Matchers.containsString("could not be found"));
        openstack.stubFor(put(urlEqualTo(attachmentPath())).willReturn(OpenStackStubs.cinderError(409,
                "conflictingRequest", "Invalid volume: volume is not reserved")));
        attach().then().statusCode(409).body("code", equalTo("cinder_conflict"));
        assertThat(cinderCalls()).containsExactly("PUT {attachment}", "PUT {attachment}");
        assertHostClean();
    }

    @Test
    void anUnknownDomainOrABadFieldIsRefusedBeforeOpenStackIsAsked() {
        given().contentType(ContentType.JSON).body("""
                {"attachment_id": "%s", "volume_id": "%s", "instance": "no-such-domain-%s", "project_id": "%s"}"""
                .formatted(attachment, tgt.volumeId, attachment.toString().substring(0, 8), PROJECT))
                .post("/v1/cinder-attachments").then().statusCode(404).body("code", equalTo("domain_not_found"));
        given().contentType(ContentType.JSON).body("""
                {"attachment_id": "not-a-uuid", "volume_id": "%s", "instance": "%s", "project_id": "%s"}"""
                .formatted(tgt.volumeId, dom.name, PROJECT))
                .post("/v1/cinder-attachments").then().statusCode(400).body("field", equalTo("attachment_id"));
        given().contentType(ContentType.JSON).body("""
                {"attachment_id": "%s", "volume_id": "%s", "instance": "%s", "project_id": "../etc"}"""
                .formatted(attachment, tgt.volumeId, dom.name))
                .post("/v1/cinder-attachments").then().statusCode(400).body("field", equalTo("project_id"));
        openstack.verify(0, anyRequestedFor(anyUrl()));
    }

    @Test
    void aRestartCompletesAnAttachThatWasInPlaceAndUndoesOneThatWasNot() throws Exception {
        cinderExports(tgt.password);
        cinderCompletes(204);
        cinderDeletes();
        attach().then().statusCode(201);

        // killed after the disk went in, before os-complete: the next start completes
        store.put(store.find(attachment).orElseThrow().in(Phase.ATTACHED, Instant.now(), null));
        assertThat(recovery.recover()).isEqualTo(1);
        assertThat(store.find(attachment).orElseThrow().phase()).isEqualTo(Phase.COMPLETED);
        assertThat(cinderCalls()).containsExactly("PUT {attachment}", "POST {attachment}/action",
                "POST {attachment}/action");
        assertThat(dom.liveXml()).contains("<serial>" + tgt.volumeId + "</serial>");

        // killed while detaching: the next start detaches and deletes in Cinder
        store.put(store.find(attachment).orElseThrow().in(Phase.DETACHING, Instant.now(), null));
        assertThat(recovery.recover()).isEqualTo(1);
        assertThat(cinderCalls()).endsWith("DELETE {attachment}");
        assertHostClean();

        // killed before the attach was recorded as in place: the next start takes the disk out, completes nothing
        attach().then().statusCode(201);
        store.put(store.find(attachment).orElseThrow().in(Phase.UPDATING, Instant.now(), null));
        int calls = cinderCalls().size();
        assertThat(recovery.recover()).isEqualTo(1);
        assertThat(cinderCalls()).hasSize(calls);
        assertHostClean();
    }

    @Test
    void theFlowRunsAsynchronouslyToo() throws Exception {
        cinderExports(tgt.password);
        cinderCompletes(204);
        cinderDeletes();
        Response r = given().contentType(ContentType.JSON).header("Prefer", "respond-async").body("""
                {"attachment_id": "%s", "volume_id": "%s", "instance": "%s", "project_id": "%s", "bus": "scsi",
                 "attach_path": "qemu"}""".formatted(attachment, tgt.volumeId, dom.name, PROJECT))
                .post("/v1/cinder-attachments");
        r.then().statusCode(202);
        String location = r.header("Location");
        JsonNode op = Deadline.in(Duration.ofSeconds(60)).poll(() -> {
            JsonNode o = read(given().get(location).asString());
            return "running".equals(o.path("state").asText()) ? Optional.<JsonNode>empty() : Optional.of(o);
        }, Duration.ofMillis(50), Duration.ofMillis(500)).orElseThrow();
        assertThat(op.path("state").asText()).isEqualTo("succeeded");
        assertThat(op.path("status").asInt()).isEqualTo(201);
        assertThat(op.path("result").path("state").asText()).isEqualTo("completed");
        assertThat(dom.liveXml()).contains("<serial>" + tgt.volumeId + "</serial>");
        given().delete("/v1/cinder-attachments/" + attachment).then().statusCode(204);
        assertHostClean();
    }

    @Test
    void neitherTheKeystonePasswordNorTheChapSecretIsWrittenAnywhere() throws Exception {
        cinderExports(tgt.password);
        cinderCompletes(204);
        cinderDeletes();
        String keystonePassword = Files.readString(KEYSTONE_PASSWORD);
        // Cinder refuses any earlier test's token, so Keystone is asked (again) during this test
        openstack.stubFor(put(urlEqualTo(attachmentPath())).atPriority(1)
                .withHeader("X-Auth-Token", WireMock.notMatching(token)).willReturn(aResponse().withStatus(401)));
        List<String> seen = new ArrayList<>();
        Response r = attach();
        seen.add(r.asString() + r.getHeaders());
        seen.add(given().get("/v1/cinder-attachments").asString());
        seen.add(given().get("/v1/cinder-attachments/" + attachment).asString());
        seen.add(Host.virsh("dumpxml", dom.name));
        try (var files = Files.walk(Path.of("target/test-state"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                seen.add(Files.readString(f));
            }
        }
        given().delete("/v1/cinder-attachments/" + attachment).then().statusCode(204);
        Path log = Path.of(org.eclipse.microprofile.config.ConfigProvider.getConfig()
                .getValue("quarkus.log.file.path", String.class));
        seen.add(Files.readString(log));
        seen.add(Files.readString(Path.of("target/test-audit.jsonl")));
        assertThat(Files.readString(log)).as("the log is being searched").contains(attachment.toString());
        openstack.verify(postRequestedFor(urlEqualTo(OpenStackStubs.KEYSTONE_PATH))
                .withRequestBody(matchingJsonPath("$.auth.identity.password.user.password",
                        WireMock.equalTo(keystonePassword))));
        for (String text : seen) {
            assertThat(text).doesNotContain(keystonePassword).doesNotContain(tgt.password);
        }
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
