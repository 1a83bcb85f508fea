package org.tether.storage.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.tether.storage.image.VolumeFromImageTest.FILES;
import static org.tether.storage.image.VolumeFromImageTest.openstack;

/**
 * A volume of the file backend into a Glance image, with WireMock as Keystone and Glance and the real qemu-img:
 * the image's record, the bytes sent (those of the volume as qcow2), the check against what Glance then says it
 * holds, and a mismatch that removes the image. Either way no temporary snapshot or volume is left. The real
 * Glance and RBD are in {@code OpenStackLabIT}.
 */
@QuarkusTest
@TestProfile(VolumeFromImageTest.WithGlance.class)
class VolumeUploadTest {

    @BeforeEach
    void stubs() {
        VolumeFromImageTest.stubKeystone();
    }

    /** A 1 GiB volume with a pattern at 5 MiB; and what qemu-img makes of the same bytes as qcow2. */
    private static byte[] volumeWithData(UUID vol) throws Exception {
        given().contentType(ContentType.JSON).body("{\"id\": \"" + vol + "\", \"size_gb\": 1}").post("/v1/volumes")
                .then().statusCode(201);
        Path file = FILES.resolve("volume-" + vol);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            byte[] mib = new byte[1 << 20];
            java.util.Arrays.fill(mib, (byte) 0x4e);
            f.seek(5L << 20);
            f.write(mib);
        }
        Path copy = Files.createTempFile("upload-expected", ".raw");
        Path qcow2 = Files.createTempFile("upload-expected", ".qcow2");
        try {
            Files.copy(file, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            org.tether.lab.Host.run("qemu-img", "convert", "-f", "raw", "-O", "qcow2", copy.toString(), qcow2.toString());
            return Files.readAllBytes(qcow2);
        } finally {
            Files.deleteIfExists(copy);
            Files.deleteIfExists(qcow2);
        }
    }

    /** The file backend's files: volumes, snapshots, and any temporary one an upload left. */
    private static List<String> backendFiles() throws java.io.IOException {
        try (var s = Files.list(FILES)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    private static String hex(String algo, byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance(algo).digest(b));
    }

    private static void glanceHolds(UUID image, long size, String md5, String sha512) {
        openstack.stubFor(post(urlEqualTo("/glance/v2/images")).willReturn(aResponse().withStatus(201)
                .withHeader("Content-Type", "application/json").withBody("{\"id\": \"" + image + "\"}")));
        openstack.stubFor(put(urlEqualTo("/glance/v2/images/" + image + "/file")).willReturn(aResponse().withStatus(204)));
        openstack.stubFor(get(urlEqualTo("/glance/v2/images/" + image)).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("""
                        {"id": "%s", "status": "active", "size": %d, "checksum": "%s", "os_hash_algo": "sha512",
                         "os_hash_value": "%s", "disk_format": "qcow2", "container_format": "bare"}"""
                        .formatted(image, size, md5, sha512))));
        openstack.stubFor(delete(urlEqualTo("/glance/v2/images/" + image)).willReturn(aResponse().withStatus(204)));
    }

    private static JsonNode upload(UUID vol, UUID image, String endState) throws Exception {
        Response r = given().contentType(ContentType.JSON).body("{\"name\": \"backup of " + vol + "\", "
                + "\"disk_format\": \"qcow2\", \"image_id\": \"" + image + "\"}").post("/v1/volumes/" + vol + "/image");
        r.then().statusCode(202);
        return org.tether.lab.Operations.await(r.header("Location"), endState, Duration.ofSeconds(60));
    }

    @Test
    void aVolumeBecomesAQcow2ImageCheckedAgainstWhatGlanceHolds() throws Exception {
        UUID vol = UUID.randomUUID();
        byte[] qcow2 = volumeWithData(vol);
        List<String> before = backendFiles();
        UUID image = UUID.randomUUID();
        glanceHolds(image, qcow2.length, hex("MD5", qcow2), hex("SHA-512", qcow2));
        JsonNode done = upload(vol, image, "succeeded");
        assertThat(done.path("status").asInt()).isEqualTo(201);
        assertThat(done.path("result").path("image_id").asText()).isEqualTo(image.toString());
        assertThat(done.path("result").path("checksum").asText()).isEqualTo(hex("MD5", qcow2));

        openstack.verify(postRequestedFor(urlEqualTo("/glance/v2/images")).withRequestBody(equalToJson("""
                {"id": "%s", "name": "backup of %s", "disk_format": "qcow2", "container_format": "bare",
                 "visibility": "private"}""".formatted(image, vol))));
        ServeEvent sent = openstack.getAllServeEvents().stream().filter(e -> e.getRequest().getUrl()
                .equals("/glance/v2/images/" + image + "/file")).findFirst().orElseThrow();
        assertThat(sent.getRequest().getBody()).as("the bytes Glance got are the volume as qcow2").isEqualTo(qcow2);
        assertThat(sent.getRequest().getHeader("Content-Type")).isEqualTo("application/octet-stream");
        openstack.verify(0, deleteRequestedFor(urlEqualTo("/glance/v2/images/" + image)));
        assertThat(backendFiles()).as("no temporary snapshot or volume left").containsExactlyInAnyOrderElementsOf(before);
        assertThat(given().get("/v1/image-uploads").then().statusCode(200).extract().asString()).isEqualTo("[]");
        given().delete("/v1/volumes/" + vol).then().statusCode(204);
    }

    @Test
    void glanceHoldingOtherBytesFailsTheUploadAndTheImageIsRemoved() throws Exception {
        UUID vol = UUID.randomUUID();
        byte[] qcow2 = volumeWithData(vol);
        List<String> before = backendFiles();
        UUID image = UUID.randomUUID();
        glanceHolds(image, qcow2.length, "0123456789abcdef0123456789abcdef", hex("SHA-512", qcow2));
        JsonNode failed = upload(vol, image, "failed");
        assertThat(failed.path("status").asInt()).isEqualTo(502);
        assertThat(failed.path("result").path("code").asText()).isEqualTo("image_upload_failed");
        openstack.verify(1, deleteRequestedFor(urlEqualTo("/glance/v2/images/" + image)));
        assertThat(backendFiles()).containsExactlyInAnyOrderElementsOf(before);
        given().delete("/v1/volumes/" + vol).then().statusCode(204);
    }

    @Test
    void anImageIdGlanceAlreadyHasIsRefusedAndThatImageIsLeftAlone() throws Exception {
        UUID vol = UUID.randomUUID();
        volumeWithData(vol);
        List<String> before = backendFiles();
        UUID image = UUID.randomUUID();
        openstack.stubFor(post(urlEqualTo("/glance/v2/images")).willReturn(aResponse().withStatus(409)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"message\": \"Image with identifier " + image + " already exists!\"}")));
        openstack.stubFor(delete(urlEqualTo("/glance/v2/images/" + image)).willReturn(aResponse().withStatus(204)));
        JsonNode failed = upload(vol, image, "failed");
        assertThat(failed.path("status").asInt()).isEqualTo(409);
        assertThat(failed.path("result").path("code").asText()).isEqualTo("image_exists");
        assertThat(failed.path("result").path("field").asText()).isEqualTo("image_id");
        openstack.verify(0, deleteRequestedFor(urlEqualTo("/glance/v2/images/" + image)));
        assertThat(backendFiles()).containsExactlyInAnyOrderElementsOf(before);
        assertThat(given().get("/v1/image-uploads").then().statusCode(200).extract().asString()).isEqualTo("[]");
        given().delete("/v1/volumes/" + vol).then().statusCode(204);
    }

    /**
     * Cinder's copy_volume_to_image: its API registered the image (queued, qcow2); the agent gives it the data in
     * that format and makes no record of its own. When Glance then holds other bytes, the image (active by now,
     * which Cinder would leave) is removed; a request refused before any data went leaves it to Cinder.
     */
    @Test
    void anImageTheCallerRegisteredGetsItsDataAndIsRemovedOnlyWhenWhatItGotFailsTheCheck() throws Exception {
        UUID vol = UUID.randomUUID();
        byte[] qcow2 = volumeWithData(vol);
        UUID image = UUID.randomUUID();
        glanceHolds(image, qcow2.length, "0123456789abcdef0123456789abcdef", hex("SHA-512", qcow2));
        openstack.stubFor(get(urlEqualTo("/glance/v2/images/" + image)).inScenario("given").whenScenarioStateIs(
                com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("""
                        {"id": "%s", "name": "cinder's", "status": "queued", "disk_format": "qcow2",
                         "container_format": "bare"}""".formatted(image))).willSetStateTo("sent"));
        Response r = given().contentType(ContentType.JSON).body("{\"image_id\": \"" + image + "\", "
                + "\"existing_image\": true, \"force\": true}").post("/v1/volumes/" + vol + "/image");
        r.then().statusCode(202);
        JsonNode failed = org.tether.lab.Operations.await(r.header("Location"), "failed", Duration.ofSeconds(60));
        assertThat(failed.path("result").path("code").asText()).isEqualTo("image_upload_failed");
        openstack.verify(0, postRequestedFor(urlEqualTo("/glance/v2/images")));
        ServeEvent sent = openstack.getAllServeEvents().stream().filter(e -> e.getRequest().getUrl()
                .equals("/glance/v2/images/" + image + "/file")).findFirst().orElseThrow();
        assertThat(sent.getRequest().getBody()).as("the image's own format").isEqualTo(qcow2);
        openstack.verify(1, deleteRequestedFor(urlEqualTo("/glance/v2/images/" + image)));
        openstack.resetRequests();

        Response renamed = given().contentType(ContentType.JSON).body("{\"image_id\": \"" + image + "\", "
                + "\"existing_image\": true, \"name\": \"renamed\"}").post("/v1/volumes/" + vol + "/image");
        JsonNode refused = org.tether.lab.Operations.await(renamed.header("Location"), "failed", Duration.ofSeconds(30));
        assertThat(refused.path("status").asInt()).isEqualTo(400);
        assertThat(refused.path("result").path("field").asText()).isEqualTo("name");
        openstack.verify(0, deleteRequestedFor(urlEqualTo("/glance/v2/images/" + image)));
        given().delete("/v1/volumes/" + vol).then().statusCode(204);
    }
}
