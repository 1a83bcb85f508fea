package org.tether.compute.instance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.tether.lab.BootSector;
import org.tether.lab.Host;
import org.tether.lab.TestDomain;
import org.tether.lab.TgtTarget;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

/**
 * Boot from volume against the real programs: a volume from this agent's storage half (file backend, tgtd)
 * holds a 512-byte boot sector; the domain Tether defines boots it through QEMU's iSCSI client, and SeaBIOS
 * runs it: the line it prints on COM1 lands in the console log.
 */
@QuarkusTest
class BootFromVolumeLabTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FILES = Path.of("target/test-files").toAbsolutePath();

    private final List<String> volumes = new ArrayList<>();
    private final List<String> instances = new ArrayList<>();
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        instances.forEach(i -> given().delete("/v1/instances/" + i));
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
        for (String v : volumes) {
            given().delete("/v1/volumes/" + v + "/exports/" + TgtTarget.hostInitiator());
            given().delete("/v1/volumes/" + v);
        }
    }

    private String volumeWithBootSector(String line) throws IOException {
        String id = UUID.randomUUID().toString();
        given().contentType(ContentType.JSON).body("{\"id\": \"" + id + "\", \"size_gb\": 1}")
                .post("/v1/volumes").then().statusCode(201);
        volumes.add(id);
        try (RandomAccessFile f = new RandomAccessFile(FILES.resolve("volume-" + id).toFile(), "rw")) {
            f.write(bootSector(line));
        }
        return id;
    }

    private static byte[] bootSector(String line) {
        return BootSector.printing(line);
    }

    private static void awaitConsole(Path console, String line) {
        BootSector.awaitConsole(console, line);
    }

    private static JsonNode export(String volume) throws IOException {
        String connector = given().get("/v1/connector").asString();
        Response r = given().contentType(ContentType.JSON).body(connector)
                .put("/v1/volumes/" + volume + "/exports/" + TgtTarget.hostInitiator());
        r.then().statusCode(200);
        return JSON.readTree(r.asString());
    }

    private static String request(String name, int vcpus, String volume, JsonNode connectionInfo, String extra) {
        return "{\"name\": \"" + name + "\", \"vcpus\": " + vcpus + ", \"memory_mb\": 64, \"boot_volume\": {"
                + "\"volume_id\": \"" + volume + "\", \"connection_info\": " + connectionInfo + ", \"attach_path\": "
                + "\"qemu\", \"qos_specs\": {\"total_iops_sec\": \"2000\"}}" + extra + "}";
    }

    private Response create(String body) {
        Response r = given().contentType(ContentType.JSON).body(body).post("/v1/instances");
        try {
            instances.add(JSON.readTree(body).get("name").asText());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return r;
    }

    private static String name() {
        return "tether-bfv-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void aVolumeWithABootSectorBootsAndAnotherDomainRunsWhatTheFirstWrote() throws Exception {
        String line = "TETHER-BOOT-" + UUID.randomUUID().toString().substring(0, 8);
        String vol = volumeWithBootSector(line);
        String extraVol = volumeWithBootSector("NOT-BOOTED");
        JsonNode info = export(vol);
        JsonNode extraInfo = export(extraVol);
        String name = name();
        String body = request(name, 1, vol, info, ", \"volumes\": [{\"volume_id\": \"" + extraVol
                + "\", \"connection_info\": " + extraInfo + ", \"bus\": \"scsi\", \"attach_path\": \"qemu\"}]");

        Response r = create(body);
        r.then().statusCode(201).body("state", equalTo("active")).body("running", equalTo(true))
                .body("boot_volume_id", equalTo(vol))
                .body("volumes[0].volume_id", equalTo(vol)).body("volumes[0].device", equalTo("vda"))
                .body("volumes[1].volume_id", equalTo(extraVol)).body("volumes[1].device", equalTo("sda"));
        assertThat(r.asString()).doesNotContain(info.get("data").get("auth_password").asText());
        Path console = Path.of(r.path("console_log").toString());
        awaitConsole(console, line);
        assertThat(Files.readString(console, StandardCharsets.ISO_8859_1)).doesNotContain("NOT-BOOTED");
        String live = Host.virsh("dumpxml", name);
        assertThat(live).contains("<boot order='1'/>").contains("<serial>" + vol + "</serial>")
                .contains("<total_iops_sec>2000</total_iops_sec>").contains("urn:tether:instance:1");
        given().get("/v1/instances/" + name).then().statusCode(200).body("volumes.size()", equalTo(2));

        // the same request again changes nothing; a different one under the same name conflicts
        create(body).then().statusCode(200).body("created_at", equalTo(r.path("created_at")));
        create(request(name, 2, vol, info, "")).then().statusCode(409).body("code", equalTo("instance_conflict"));
        given().delete("/v1/instances/" + name + "/volumes/" + vol).then().statusCode(409)
                .body("code", equalTo("instance_conflict"));

        // the domain writes a new boot sector through its boot disk
        String line2 = "TETHER-SECOND-" + UUID.randomUUID().toString().substring(0, 8);
        Path sector2 = Files.write(FILES.resolve("sector-" + vol + ".bin"), bootSector(line2));
        Host.virsh("qemu-monitor-command", name, "--hmp", "qemu-io -d /machine/peripheral/ua-" + vol
                + "/virtio-backend \"write -s " + sector2 + " 0 512\"");

        given().delete("/v1/instances/" + name).then().statusCode(204);
        assertThat(Host.exec("virsh", "-c", "qemu:///system", "dominfo", name).exit()).isNotZero();
        assertThat(Host.secretUsages()).noneMatch(u -> u.contains(vol) || u.contains(extraVol));
        assertThat(given().get("/v1/attachments").asString()).doesNotContain(vol).doesNotContain(extraVol);
        given().get("/v1/instances/" + name).then().statusCode(404).body("code", equalTo("instance_not_found"));
        given().get("/v1/volumes/" + vol).then().statusCode(200).body("state", equalTo("available"));
        given().delete("/v1/instances/" + name).then().statusCode(204);

        // another domain boots the same volume and runs what the first one wrote
        String second = name();
        Response r2 = create(request(second, 1, vol, info, ""));
        r2.then().statusCode(201);
        awaitConsole(Path.of(r2.path("console_log").toString()), line2);
        given().delete("/v1/instances/" + second).then().statusCode(204);
        Files.delete(sector2);
    }

    @Test
    void aFailedBootVolumeLeavesNoDomainSecretOrRecord() throws Exception {
        String vol = volumeWithBootSector("X");
        JsonNode info = export(vol);
        ((com.fasterxml.jackson.databind.node.ObjectNode) info.get("data")).put("auth_password", "wrong-password-9");
        String name = name();
        Response r = create(request(name, 1, vol, info, ""));
        r.then().statusCode(502).contentType("application/problem+json");
        assertThat(r.asString()).doesNotContain("wrong-password-9").contains("rolled back");
        assertThat(Host.exec("virsh", "-c", "qemu:///system", "dominfo", name).exit()).isNotZero();
        assertThat(Host.secretUsages()).noneMatch(u -> u.contains(vol));
        assertThat(given().get("/v1/attachments").asString()).doesNotContain(vol);
        given().get("/v1/instances/" + name).then().statusCode(404);
    }

    @Test
    void aDomainTetherDidNotCreateIsNeitherReplacedNorDeleted() throws Exception {
        TestDomain foreign = TestDomain.create(TestDomain.Kind.RUNNING);
        cleanup.add(foreign);
        String vol = volumeWithBootSector("X");
        JsonNode info = export(vol);
        create(request(foreign.name, 1, vol, info, "")).then().statusCode(409)
                .body("code", equalTo("instance_conflict"));
        instances.remove(foreign.name);
        given().delete("/v1/instances/" + foreign.name).then().statusCode(409)
                .body("code", equalTo("instance_conflict"));
        assertThat(Host.virsh("domstate", foreign.name)).contains("running");
        assertThat(given().get("/v1/attachments").asString()).doesNotContain(vol);
    }

    @Test
    void invalidRequestsAreRefusedBeforeAnythingHappens() {
        String vol = UUID.randomUUID().toString();
        String ci = "{\"driver_volume_type\": \"iscsi\", \"data\": {\"target_portal\": \"127.0.0.1:3260\","
                + " \"target_iqn\": \"iqn.2010-10.org.openstack:volume-" + vol + "\", \"target_lun\": 1}}";
        String[][] cases = {
                {"{\"vcpus\": 1, \"memory_mb\": 64}", "name"},
                {request("bad name", 1, vol, null, ""), "name"},
                {request(name(), 0, vol, null, ""), "vcpus"},
                {"{\"name\": \"a\", \"vcpus\": 1, \"memory_mb\": 8, \"boot_volume\": {}}", "memory_mb"},
                {"{\"name\": \"a\", \"vcpus\": 1, \"memory_mb\": 64}", "boot_volume"},
                {"{\"name\": \"a\", \"vcpus\": 1, \"memory_mb\": 64, \"machine\": \"pc;rm\", \"boot_volume\": {}}",
                        "machine"},
                {"{\"name\": \"a\", \"vcpus\": 1, \"memory_mb\": 64, \"network\": \"<x>\", \"boot_volume\": {}}",
                        "network"},
                {"{\"name\": \"a\", \"vcpus\": 1, \"memory_mb\": 64, \"boot_volume\": {\"volume_id\": \"x\"}}",
                        "boot_volume.volume_id"},
                {"{\"name\": \"a\", \"vcpus\": 1, \"memory_mb\": 64, \"boot_volume\": {\"volume_id\": \"" + vol
                        + "\", \"connection_info\": " + ci + "}, \"volumes\": [{\"volume_id\": \"" + vol
                        + "\", \"connection_info\": " + ci + "}]}", "volumes[0].volume_id"},
                {"{\"name\": \"a\", \"vcpus\": 1, \"memory_mb\": 64, \"boot_volume\": {\"volume_id\": \"" + vol
                        + "\", \"connection_info\": " + ci + ", \"bus\": \"ide\"}}", "boot_volume.bus"},
        };
        for (String[] c : cases) {
            given().contentType(ContentType.JSON).body(c[0]).post("/v1/instances").then()
                    .statusCode(400).contentType("application/problem+json").body("field", equalTo(c[1]));
        }
        assertThat(given().get("/v1/instances").asString()).isEqualTo("[]");
    }
}
