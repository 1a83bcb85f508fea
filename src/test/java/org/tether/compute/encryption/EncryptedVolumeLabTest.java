package org.tether.compute.encryption;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tether.openstack.OpenStackStubs;
import org.tether.lab.Digests;
import org.tether.lab.Host;
import org.tether.lab.TestDomain;
import org.tether.lab.TgtTarget;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

/**
 * Encrypted volumes end to end on real programs: the storage side formats a file volume with LUKS1 under a
 * key WireMock serves as Barbican and exports it through tgt saying {@code encrypted: true}; the compute side
 * attaches it on the qemu path with the passphrase in a libvirt secret, and QEMU opens it. What the guest
 * writes reads back through QEMU (again after a detach and a second attach) and is not in the target's backing
 * file as plaintext. A wrong key, a key of the wrong size, an unknown key and a key manager that is down each
 * fail the attach and leave no secret, disk or record.
 */
@QuarkusTest
@TestProfile(EncryptedVolumeLabTest.WithBarbican.class)
class EncryptedVolumeLabTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static WireMockServer openstack;
    static final Path PASSWORD = Path.of("target/test-barbican-password").toAbsolutePath();
    static final Path FILES = Path.of("target/test-files").toAbsolutePath();

    public static class WithBarbican implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            if (openstack == null) {
                openstack = OpenStackStubs.start();
            }
            return OpenStackStubs.credentials(openstack, PASSWORD);
        }
    }

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final List<String> volumes = new ArrayList<>();

    @BeforeEach
    void stubs() {
        openstack.resetAll();
        openstack.stubFor(OpenStackStubs.keystone().willReturn(
                OpenStackStubs.token(openstack, "svc-" + UUID.randomUUID(), Instant.now().plus(Duration.ofHours(1)))));
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
        for (String v : volumes) {
            given().delete("/v1/volumes/" + v + "/exports/" + TgtTarget.hostInitiator());
            given().delete("/v1/volumes/" + v);
        }
    }

    private static String key(byte[] bytes) {
        String id = UUID.randomUUID().toString();
        openstack.stubFor(get(urlEqualTo("/barbican/v1/secrets/" + id + "/payload")).willReturn(aResponse()
                .withStatus(200).withHeader("Content-Type", "application/octet-stream").withBody(bytes)));
        return id;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static String encryption(String keyId, int bits) {
        return "{\"provider\": \"luks\", \"cipher\": \"aes-xts-plain64\", \"key_size\": " + bits + ", "
                + "\"control_location\": \"front-end\", \"encryption_key_id\": \"" + keyId + "\"}";
    }

    private String export(String vol) throws Exception {
        return export(vol, true);
    }

    private String export(String vol, boolean encrypted) throws Exception {
        String connector = given().get("/v1/connector").asString();
        Response e = given().contentType(ContentType.JSON).body(connector)
                .put("/v1/volumes/" + vol + "/exports/" + TgtTarget.hostInitiator());
        e.then().statusCode(200).body("data.encrypted", equalTo(encrypted));
        return e.asString();
    }

    private JsonNode encryptedVolume(String keyId) throws Exception {
        String vol = UUID.randomUUID().toString();
        given().contentType(ContentType.JSON).body("{\"id\": \"" + vol + "\", \"size_gb\": 1, \"encryption\": "
                        + encryption(keyId, 256) + "}").post("/v1/volumes").then().statusCode(201)
                .body("encrypted", equalTo(true)).body("encryption.encryption_key_id", equalTo(keyId))
                .body("encryption.provider", equalTo("luks"));
        volumes.add(vol);
        return JSON.readTree(export(vol));
    }

    private static Response attach(TestDomain dom, String info, String vol, String encryption) {
        return given().contentType(ContentType.JSON).body("{\"connection_info\": " + info + ", \"bus\": \"scsi\", "
                + "\"attach_path\": \"qemu\", \"encryption\": " + encryption + "}")
                .put("/v1/instances/" + dom.name + "/volumes/" + vol);
    }

    private static Response attach(TestDomain dom, JsonNode info, String keyId) {
        return attach(dom, info.toString(), info.get("data").get("volume_id").asText(), encryption(keyId, 256));
    }

    @Test
    void aLuksVolumeAttachesThroughQemuAndItsTargetHoldsNoPlaintext() throws Exception {
        String keyId = key(random(32, 1));
        JsonNode info = encryptedVolume(keyId);
        String vol = info.get("data").get("volume_id").asText();
        Path file = FILES.resolve("volume-" + vol);
        byte[] head = new byte[6];
        try (var in = Files.newInputStream(file)) {
            assertThat(in.read(head)).isEqualTo(6);
        }
        assertThat(head).containsExactly('L', 'U', 'K', 'S', 0xba, 0xbe);
        assertThat(Files.size(file)).isEqualTo(1L << 30);

        TestDomain dom = TestDomain.create(TestDomain.Kind.RUNNING);
        cleanup.add(dom);
        attach(dom, info, keyId).then().statusCode(200);
        assertThat(Host.virsh("dumpxml", dom.name)).contains("<encryption format='luks'")
                .contains("type='passphrase'");
        assertThat(Host.secretUsages()).anyMatch(u -> u.contains(vol));
        dom.hmp("qemu-io -d ua-" + vol + " \"write -P 0x5a 0 1048576\"");
        given().delete("/v1/instances/" + dom.name + "/volumes/" + vol).then().statusCode(204);
        assertThat(Host.secretUsages()).noneMatch(u -> u.contains(vol));

        // the target's file: the guest's megabyte is ciphertext (no run of the pattern anywhere in the first 8 MiB),
        // and the key's passphrase opens it to what the guest wrote
        byte[] stored = new byte[8 << 20];
        try (var in = Files.newInputStream(file)) {
            assertThat(in.readNBytes(stored, 0, stored.length)).isEqualTo(stored.length);
        }
        assertThat(Digests.longestRun(stored, (byte) 0x5a)).isLessThan(64);
        assertThat(decrypted(file, random(32, 1), "read -P 0x5a 0 1048576")).contains("read 1048576/1048576")
                .doesNotContain("verification failed");

        // grown while detached (LUKS1 has no size of its own: the payload is the device less the header), then
        // attached again: QEMU opens it with the same key, and the guest sees the new size less the header
        given().contentType(ContentType.JSON).body("{\"new_size_gb\": 2}").post("/v1/volumes/" + vol + "/extend")
                .then().statusCode(200);
        attach(dom, info, keyId).then().statusCode(200);
        long capacity = blockCapacity(dom);
        assertThat(capacity).isBetween((2L << 30) - (4L << 20), (2L << 30) - (1L << 20));
        // grown while attached: the guest sees the new size less the header the agent read at attach (the
        // header's own payload offset, in sectors at byte 104), and what it wrote before stays
        long payloadOffset = payloadOffset(file);
        assertThat(capacity).isEqualTo((2L << 30) - payloadOffset);
        given().contentType(ContentType.JSON).body("{\"new_size_gb\": 3}").post("/v1/volumes/" + vol + "/extend")
                .then().statusCode(200);
        given().contentType(ContentType.JSON).body("{\"new_size\": " + (3L << 30) + "}")
                .post("/v1/instances/" + dom.name + "/volumes/" + vol + "/extend").then().statusCode(200)
                .body("size_bytes", equalTo((3L << 30) - payloadOffset));
        assertThat(blockCapacity(dom)).isEqualTo((3L << 30) - payloadOffset);
        // the last megabyte of the grown disk is the guest's to write
        dom.hmp("qemu-io -d ua-" + vol + " \"write -P 0x7c " + ((3L << 30) - payloadOffset - (1 << 20)) + " 1048576\"");
        dom.hmp("qemu-io -d ua-" + vol + " \"write -P 0x6b 1048576 1048576\"");
        given().delete("/v1/instances/" + dom.name + "/volumes/" + vol).then().statusCode(204);
        assertThat(decrypted(file, random(32, 1), "read -P 0x5a 0 1048576")).contains("read 1048576/1048576")
                .doesNotContain("verification failed");
        assertThat(decrypted(file, random(32, 1), "read -P 0x6b 1048576 1048576")).contains("read 1048576/1048576")
                .doesNotContain("verification failed");
        assertThat(decrypted(file, random(32, 1), "read -P 0x7c " + ((3L << 30) - payloadOffset - (1 << 20))
                + " 1048576")).contains("read 1048576/1048576").doesNotContain("verification failed");

        // neither the key nor its passphrase is in the log, the audit log, the agent's state or an answer
        String hex = java.util.HexFormat.of().formatHex(random(32, 1));
        String b64 = Base64.getEncoder().encodeToString(random(32, 1));
        List<String> seen = new ArrayList<>(List.of(given().get("/v1/volumes/" + vol).asString(),
                given().get("/v1/attachments").asString(), Host.virsh("dumpxml", dom.name),
                Files.readString(Path.of(org.eclipse.microprofile.config.ConfigProvider.getConfig()
                        .getValue("quarkus.log.file.path", String.class))),
                Files.readString(Path.of("target/test-audit.jsonl"))));
        try (var files = Files.walk(Path.of("target/test-state"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                seen.add(new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1));
            }
        }
        assertThat(seen).noneMatch(t -> t.contains(hex) || t.contains(b64));
    }

    private static long blockCapacity(TestDomain dom) {
        return Long.parseLong(Host.virsh("domblkinfo", dom.name, "sda").lines()
                .filter(l -> l.startsWith("Capacity:")).findFirst().orElseThrow().split("\\s+")[1]);
    }

    /** The LUKS1 header's payload offset in bytes, read from the volume's file directly. */
    private static long payloadOffset(Path volume) throws Exception {
        byte[] head = new byte[112];
        try (var in = Files.newInputStream(volume)) {
            assertThat(in.readNBytes(head, 0, head.length)).isEqualTo(head.length);
        }
        return Integer.toUnsignedLong(java.nio.ByteBuffer.wrap(head).getInt(104)) * 512;
    }

    /** qemu-io on the host, opening the volume file's LUKS header with the key's passphrase (hex, as Nova). */
    private static String decrypted(Path volume, byte[] key, String command) throws Exception {
        Path pass = Files.createTempFile("luks-pass", ".hex",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(pass, java.util.HexFormat.of().formatHex(key));
            return Host.run("qemu-io", "-r", "--object", "secret,id=k,file=" + pass, "--image-opts",
                    "driver=luks,key-secret=k,file.driver=file,file.filename=" + volume, "-c", command);
        } finally {
            Files.delete(pass);
        }
    }

    @Test
    void aWrongKeyAShortKeyAnUnknownKeyAndAnAbsentKeyManagerFailTheAttachAndLeaveNothing() throws Exception {
        String keyId = key(random(32, 2));
        JsonNode info = encryptedVolume(keyId);
        String vol = info.get("data").get("volume_id").asText();
        TestDomain dom = TestDomain.create(TestDomain.Kind.RUNNING);
        cleanup.add(dom);

        attach(dom, info, key(random(32, 3))).then().statusCode(422).body("code", equalTo("encryption_key_invalid"))
                .body("detail", containsString("does not open"));
        assertNothingLeft(dom, vol);

        attach(dom, info, key(random(16, 4))).then().statusCode(422).body("code", equalTo("encryption_key_invalid"))
                .body("detail", containsString("128 bits"));
        assertNothingLeft(dom, vol);

        String missing = UUID.randomUUID().toString();
        openstack.stubFor(get(urlEqualTo("/barbican/v1/secrets/" + missing + "/payload"))
                .willReturn(aResponse().withStatus(404)));
        attach(dom, info, missing).then().statusCode(422).body("code", equalTo("encryption_key_not_found"));
        assertNothingLeft(dom, vol);

        String down = UUID.randomUUID().toString();
        openstack.stubFor(get(urlEqualTo("/barbican/v1/secrets/" + down + "/payload"))
                .willReturn(aResponse().withStatus(503)));
        attach(dom, info, down).then().statusCode(503).body("code", equalTo("openstack_unavailable"));
        assertNothingLeft(dom, vol);

        // a volume with no LUKS header, said to be encrypted: one holding data is refused before anything is
        // plugged and left as it was; a blank one is formatted on its first attach, through QEMU's own iSCSI client
        String plain = UUID.randomUUID().toString();
        given().contentType(ContentType.JSON).body("{\"id\": \"" + plain + "\", \"size_gb\": 1}").post("/v1/volumes")
                .then().statusCode(201);
        volumes.add(plain);
        Path plainFile = FILES.resolve("volume-" + plain);
        try (var f = new java.io.RandomAccessFile(plainFile.toFile(), "rw")) {
            f.seek((1L << 30) - 4096); // only the last megabyte holds anything: an MD 1.0 superblock sits there
            f.write(new byte[] {1, 2, 3});
        }
        com.fasterxml.jackson.databind.node.ObjectNode plainInfo = (com.fasterxml.jackson.databind.node.ObjectNode)
                JSON.readTree(export(plain, false));
        ((com.fasterxml.jackson.databind.node.ObjectNode) plainInfo.get("data")).put("encrypted", true);
        attach(dom, plainInfo, keyId).then().statusCode(400).body("code", equalTo("unsupported_encryption"))
                .body("detail", containsString("holds data"));
        assertNothingLeft(dom, plain);
        byte[] head = new byte[4];
        try (var in = Files.newInputStream(plainFile)) {
            assertThat(in.read(head)).isEqualTo(4);
        }
        assertThat(head).containsOnly(0);
        try (var f = new java.io.RandomAccessFile(plainFile.toFile(), "rw")) {
            f.seek((1L << 30) - 4096);
            f.write(new byte[3]);
        }
        attach(dom, plainInfo, keyId).then().statusCode(200);
        dom.hmp("qemu-io -d ua-" + plain + " \"write -P 0x3e 0 65536\"");
        given().delete("/v1/instances/" + dom.name + "/volumes/" + plain).then().statusCode(204);
        assertThat(decrypted(plainFile, random(32, 2), "read -P 0x3e 0 65536")).contains("read 65536/65536")
                .doesNotContain("verification failed");

        // the right key still opens it; its passphrase secret, taken away under it, is reported
        attach(dom, info, keyId).then().statusCode(200);
        Host.virsh("secret-undefine", LuksPassphrases.secretUuid(UUID.fromString(vol)).toString());
        given().post("/v1/reconciliation").then().statusCode(200)
                .body("drift.'" + vol + "@" + dom.name + "'.kind", org.hamcrest.Matchers.hasItem(
                        "passphrase_secret_missing"));
        given().delete("/v1/instances/" + dom.name + "/volumes/" + vol).then().statusCode(204);
    }

    @Test
    void aNewVolumeWithoutAKeyGetsOneStoredInTheKeyManagerThatOpensIt() throws Exception {
        String made = UUID.randomUUID().toString();
        openstack.stubFor(post(urlEqualTo("/barbican/v1/secrets")).willReturn(aResponse().withStatus(201)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"secret_ref\": \"" + openstack.baseUrl() + "/barbican/v1/secrets/" + made + "\"}")));
        String vol = UUID.randomUUID().toString();
        given().contentType(ContentType.JSON).body("{\"id\": \"" + vol + "\", \"size_gb\": 1, \"encryption\": "
                        + "{\"cipher\": \"aes-xts-plain64\", \"key_size\": 512}}").post("/v1/volumes").then()
                .statusCode(201).body("encryption.encryption_key_id", equalTo(made))
                .body("encryption.key_size", equalTo(512));
        volumes.add(vol);
        var sent = openstack.findAll(postRequestedFor(urlEqualTo("/barbican/v1/secrets")));
        assertThat(sent).hasSize(1);
        JsonNode body = JSON.readTree(sent.get(0).getBodyAsString());
        byte[] stored = Base64.getDecoder().decode(body.get("payload").asText());
        assertThat(stored).hasSize(64);
        assertThat(body.get("bit_length").asInt()).isEqualTo(512);
        assertThat(body.get("secret_type").asText()).isEqualTo("symmetric");

        // the key stored is the one that opens the header
        openstack.stubFor(get(urlEqualTo("/barbican/v1/secrets/" + made + "/payload")).willReturn(aResponse()
                .withStatus(200).withBody(stored)));
        TestDomain dom = TestDomain.create(TestDomain.Kind.RUNNING);
        cleanup.add(dom);
        attach(dom, export(vol), vol, encryption(made, 512)).then().statusCode(200);
        given().delete("/v1/instances/" + dom.name + "/volumes/" + vol).then().statusCode(204);

        // the key the agent stored goes with the volume, as Cinder deletes it; a key the caller named stays
        openstack.stubFor(com.github.tomakehurst.wiremock.client.WireMock.delete(urlEqualTo("/barbican/v1/secrets/"
                + made)).willReturn(aResponse().withStatus(204)));
        given().delete("/v1/volumes/" + vol + "/exports/" + TgtTarget.hostInitiator()).then().statusCode(204);
        given().delete("/v1/volumes/" + vol).then().statusCode(204);
        openstack.verify(1, com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor(
                urlEqualTo("/barbican/v1/secrets/" + made)));
        String named = key(random(32, 5));
        JsonNode other = encryptedVolume(named);
        String otherVol = other.get("data").get("volume_id").asText();
        given().delete("/v1/volumes/" + otherVol + "/exports/" + TgtTarget.hostInitiator()).then().statusCode(204);
        given().delete("/v1/volumes/" + otherVol).then().statusCode(204);
        openstack.verify(0, com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor(
                urlEqualTo("/barbican/v1/secrets/" + named)));
    }

    private static void assertNothingLeft(TestDomain dom, String vol) {
        assertThat(Host.secretUsages()).noneMatch(u -> u.contains(vol));
        assertThat(Host.virsh("dumpxml", dom.name)).doesNotContain(vol);
        given().get("/v1/attachments").then().statusCode(200).body(not(containsString(vol)));
    }
}
