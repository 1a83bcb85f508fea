package org.tether.storage.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tether.lab.BootSector;
import org.tether.lab.TgtTarget;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The seeds' boot-from-volume flow, made real: a qcow2 image that boots Linux (built here by lab/os-image.sh:
 * SYSLINUX, Debian's kernel, an init that prints a line), served by WireMock as Glance; a volume made from it,
 * exported over tgt, booted by {@code POST /v1/instances} through QEMU's iSCSI client; the line read from
 * the console. A second volume from the same image comes from the cache, and boots too.
 */
@QuarkusTest
@TestProfile(VolumeFromImageTest.WithGlance.class)
class BootFromImageLabTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> volumes = new ArrayList<>();
    private final List<String> instances = new ArrayList<>();

    @BeforeEach
    void stubs() {
        VolumeFromImageTest.stubKeystone();
    }

    @AfterEach
    void tearDown() {
        instances.forEach(i -> given().delete("/v1/instances/" + i));
        for (String v : volumes) {
            given().delete("/v1/volumes/" + v + "/exports/" + TgtTarget.hostInitiator());
            given().delete("/v1/volumes/" + v);
        }
    }

    @Test
    void aVolumeFromAGlanceImageBootsLinuxAndSoDoesTheNextOneFromTheCache() throws Exception {
        String line = "TETHER-IMAGE-BOOT-" + UUID.randomUUID().toString().substring(0, 8);
        byte[] image = osImage(line);
        UUID glance = VolumeFromImageTest.glanceImage("qcow2", image, Map.of("hw_disk_bus", "scsi",
                "hw_firmware_type", "uefi", "hw_rng_model", "virtio", "os_distro", "debian"), null);

        String first = UUID.randomUUID().toString();
        volumes.add(first);
        VolumeFromImageTest.createFromImage(UUID.fromString(first), 1, "{\"glance_id\": \"" + glance + "\"}",
                "succeeded");
        String bios = boot(first, line, null); // the controller passes no image metadata: SeaBIOS, virtio
        assertThat(bios).doesNotContain("<rng").doesNotContain("OVMF").contains("bus='virtio'");

        String second = UUID.randomUUID().toString();
        volumes.add(second);
        VolumeFromImageTest.createFromImage(UUID.fromString(second), 2, "{\"glance_id\": \"" + glance + "\"}",
                "succeeded");
        VolumeFromImageTest.openstack.verify(1, getRequestedFor(urlEqualTo("/glance/v2/images/" + glance + "/file")));
        given().get("/v1/volumes/" + second).then().statusCode(200).body("bootable", org.hamcrest.Matchers.equalTo(true))
                .body("size_gb", org.hamcrest.Matchers.equalTo(2));
        // the controller passes the volume's volume_image_metadata: UEFI (OVMF), SCSI boot disk, virtio-rng
        JsonNode meta = JSON.readTree(given().get("/v1/volumes/" + second).asString()).get("volume_image_metadata");
        String uefi = boot(second, line, meta);
        assertThat(uefi).contains("OVMF_CODE").contains("<nvram").contains("<rng model='virtio'>")
                .contains("bus='scsi'").contains("model='virtio-scsi'");
        assertThat(Files.list(Path.of("/var/lib/libvirt/qemu/nvram")).map(p -> p.getFileName().toString()))
                .as("the UEFI domain's NVRAM went with it").noneMatch(f -> f.startsWith(instances.get(1)));
    }

    /**
     * Issue 18's image into an encrypted volume and boot from it: the image's disk is written through the
     * volume's LUKS1 header by qemu-img (no plaintext copy of the volume; the backing file holds no plaintext of
     * the boot line), and the domain boots from it with the passphrase in a libvirt secret.
     */
    @Test
    void anImageWrittenIntoAnEncryptedVolumeBootsAndItsFileHoldsNoPlaintext() throws Exception {
        String line = "TETHER-LUKS-BOOT-" + UUID.randomUUID().toString().substring(0, 8);
        UUID glance = VolumeFromImageTest.glanceImage("qcow2", osImage(line), Map.of(), null);
        byte[] key = new byte[32];
        new java.util.Random(18).nextBytes(key);
        String keyId = UUID.randomUUID().toString();
        VolumeFromImageTest.openstack.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlEqualTo(
                "/barbican/v1/secrets/" + keyId + "/payload")).willReturn(com.github.tomakehurst.wiremock.client
                .WireMock.aResponse().withStatus(200).withBody(key)));
        String encryption = "{\"provider\": \"luks\", \"cipher\": \"aes-xts-plain64\", \"key_size\": 256, "
                + "\"control_location\": \"front-end\", \"encryption_key_id\": \"" + keyId + "\"}";

        String vol = UUID.randomUUID().toString();
        volumes.add(vol);
        List<String> before;
        try (var files = Files.list(VolumeFromImageTest.FILES)) {
            before = files.map(p -> p.getFileName().toString()).toList();
        }
        Response r = given().contentType(ContentType.JSON).body("{\"id\": \"" + vol + "\", \"size_gb\": 1, "
                + "\"source\": {\"image\": {\"glance_id\": \"" + glance + "\"}}, \"encryption\": " + encryption + "}")
                .post("/v1/volumes");
        r.then().statusCode(202);
        org.tether.lab.Operations.await(r.header("Location"), "succeeded", java.time.Duration.ofSeconds(120));
        given().get("/v1/volumes/" + vol).then().statusCode(200).body("encrypted", org.hamcrest.Matchers.equalTo(true))
                .body("bootable", org.hamcrest.Matchers.equalTo(true));
        // no cache entry was made from it (an entry is plaintext): the volume's file is the only new one
        try (var files = Files.list(VolumeFromImageTest.FILES)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(f -> !before.contains(f)))
                    .containsExactly("volume-" + vol);
        }
        // the image's disk is at the front of the volume: its boot loader's name, plaintext in an unencrypted
        // copy (ldlinux.sys on the FAT partition), is nowhere in the first 64 MiB of the file
        byte[] stored = new byte[64 << 20];
        try (var in = Files.newInputStream(VolumeFromImageTest.FILES.resolve("volume-" + vol))) {
            assertThat(in.readNBytes(stored, 0, stored.length)).isEqualTo(stored.length);
        }
        assertThat(new String(stored, 0, 4, java.nio.charset.StandardCharsets.ISO_8859_1)).isEqualTo("LUKS");
        assertThat(indexOf(stored, "SYSLINUX".getBytes(java.nio.charset.StandardCharsets.US_ASCII))).isEqualTo(-1);

        String connector = given().get("/v1/connector").asString();
        Response exported = given().contentType(ContentType.JSON).body(connector)
                .put("/v1/volumes/" + vol + "/exports/" + TgtTarget.hostInitiator());
        exported.then().statusCode(200).body("data.encrypted", org.hamcrest.Matchers.equalTo(true));
        String name = "tether-luks-" + UUID.randomUUID().toString().substring(0, 8);
        instances.add(name);
        Response booted = given().contentType(ContentType.JSON).body("{\"name\": \"" + name + "\", \"vcpus\": 1, "
                + "\"memory_mb\": 256, \"boot_volume\": {\"volume_id\": \"" + vol + "\", \"connection_info\": "
                + exported.asString() + ", \"attach_path\": \"qemu\", \"encryption\": " + encryption + "}}")
                .post("/v1/instances");
        booted.then().statusCode(201);
        assertThat(org.tether.lab.Host.virsh("dumpxml", name)).contains("<encryption format='luks'");
        BootSector.awaitConsole(Path.of(booted.path("console_log").toString()), line);
        given().delete("/v1/instances/" + name).then().statusCode(204);
        assertThat(org.tether.lab.Host.secretUsages()).noneMatch(u -> u.contains(vol));
        given().delete("/v1/volumes/" + vol + "/exports/" + TgtTarget.hostInitiator()).then().statusCode(204);
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** @return the domain's live XML while it ran */
    private String boot(String volume, String line, JsonNode imageMetadata) throws Exception {
        String connector = given().get("/v1/connector").asString();
        Response exported = given().contentType(ContentType.JSON).body(connector)
                .put("/v1/volumes/" + volume + "/exports/" + TgtTarget.hostInitiator());
        exported.then().statusCode(200);
        JsonNode info = JSON.readTree(exported.asString());
        String name = "tether-img-" + UUID.randomUUID().toString().substring(0, 8);
        instances.add(name);
        Response r = given().contentType(ContentType.JSON).body("{\"name\": \"" + name + "\", \"vcpus\": 1, "
                + "\"memory_mb\": 256, \"boot_volume\": {\"volume_id\": \"" + volume + "\", \"connection_info\": "
                + info + ", \"attach_path\": \"qemu\"" + (imageMetadata == null ? ""
                : ", \"volume_image_metadata\": " + imageMetadata) + "}}").post("/v1/instances");
        r.then().statusCode(201);
        String live = org.tether.lab.Host.virsh("dumpxml", name);
        BootSector.awaitConsole(Path.of(r.path("console_log").toString()), line);
        given().delete("/v1/instances/" + name).then().statusCode(204);
        given().delete("/v1/volumes/" + volume + "/exports/" + TgtTarget.hostInitiator()).then().statusCode(204);
        return live;
    }

    private static byte[] osImage(String line) throws Exception {
        Path out = Files.createTempDirectory(Path.of("target"), "os-image").resolve("os.qcow2");
        Process p = new ProcessBuilder("bash", "lab/os-image.sh", out.toString(), line).inheritIO().start();
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("lab/os-image.sh").isZero();
        return Files.readAllBytes(out);
    }
}
