package org.tether.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.tether.lab.Host;
import org.tether.lab.TestDomain;
import org.tether.lab.TgtTarget;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;

/**
 * Volume types against the real pool (file backend, tgt) and QEMU: the type's extra specs choose the pool or
 * refuse naming the filter, its front-end QoS reaches QEMU's iotune scaled per GiB (and again after an
 * extend), back-end QoS is refused, and a refusal makes nothing.
 */
@QuarkusTest
class VolumeTypeLabTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FILES = Path.of("target/test-files").toAbsolutePath();
    private static final String GOLD = "\"volume_type\": {\"name\": \"gold\", \"extra_specs\": {\"volume_backend_name\": "
            + "\"file\", \"capabilities:multiattach\": \"<is> True\"}, \"qos_specs\": {\"consumer\": \"front-end\", "
            + "\"specs\": {\"total_iops_sec_per_gb\": \"100\", \"total_iops_sec_per_gb_min\": \"150\", "
            + "\"read_bytes_sec\": \"1048576\"}}}";

    private final List<String> volumes = new ArrayList<>();
    private final List<AutoCloseable> cleanup = new ArrayList<>();

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

    private Response create(String id, int gb, String extra) {
        return given().contentType(ContentType.JSON).body("{\"id\": \"" + id + "\", \"size_gb\": " + gb + ", " + extra
                + "}").post("/v1/volumes");
    }

    private static JsonNode export(String volume) throws Exception {
        String connector = given().get("/v1/connector").asString();
        Response r = given().contentType(ContentType.JSON).body(connector)
                .put("/v1/volumes/" + volume + "/exports/" + TgtTarget.hostInitiator());
        r.then().statusCode(200);
        return JSON.readTree(r.asString());
    }

    @Test
    void poolsReportCindersCapabilities() throws Exception {
        JsonNode pools = JSON.readTree(given().get("/v1/pools").then().statusCode(200).extract().asString());
        assertThat(pools).hasSize(1);
        assertThat(pools.get(0).get("name").asText()).endsWith("@file#default");
        JsonNode c = pools.get(0).get("capabilities");
        assertThat(c.get("pool_name").asText()).isEqualTo("default");
        assertThat(c.get("volume_backend_name").asText()).isEqualTo("file");
        assertThat(c.get("total_capacity_gb").asDouble()).isPositive();
        assertThat(c.get("free_capacity_gb").asDouble()).isPositive();
        assertThat(c.get("QoS_support").asBoolean()).isFalse();
        assertThat(c.get("thin_provisioning_support").asBoolean()).isTrue();
        assertThat(c.get("thick_provisioning_support").asBoolean()).isFalse();
        assertThat(c.get("storage_protocol").asText()).isEqualTo("iSCSI");
        assertThat(c.get("backend_state").asText()).isEqualTo("up");
        for (String key : List.of("allocated_capacity_gb", "provisioned_capacity_gb", "max_over_subscription_ratio",
                "reserved_percentage", "multiattach", "total_volumes", "location_info")) {
            assertThat(c.has(key)).as(key).isTrue();
        }
    }

    @Test
    void aFrontEndTypeReachesQemuScaledPerGibAndFollowsAnExtend() throws Exception {
        TestDomain dom = TestDomain.create(TestDomain.Kind.RUNNING);
        cleanup.add(dom);
        String vol = UUID.randomUUID().toString();
        create(vol, 1, GOLD).then().statusCode(201).body("pool", equalTo("default"))
                .body("host", endsWith("@file#default")).body("volume_type.name", equalTo("gold"))
                .body("volume_type.qos_consumer", equalTo("front-end"))
                .body("qos_specs.total_iops_sec", equalTo("150"));
        volumes.add(vol);

        JsonNode info = export(vol);
        JsonNode qos = info.get("data").get("qos_specs");
        assertThat(qos.toString()).isEqualTo("{\"read_bytes_sec\":\"1048576\",\"total_iops_sec\":\"150\"}");
        given().contentType(ContentType.JSON).body("{\"connection_info\": " + info + ", \"bus\": \"scsi\", "
                + "\"attach_path\": \"qemu\"}").put("/v1/instances/" + dom.name + "/volumes/" + vol)
                .then().statusCode(200);
        assertThat(Host.virsh("blkdeviotune", dom.name, "sda")).containsPattern("total_iops_sec\\s*: 150")
                .containsPattern("read_bytes_sec\\s*: 1048576");
        given().delete("/v1/instances/" + dom.name + "/volumes/" + vol).then().statusCode(204);

        given().contentType(ContentType.JSON).body("{\"new_size_gb\": 3}").post("/v1/volumes/" + vol + "/extend")
                .then().statusCode(200).body("qos_specs.total_iops_sec", equalTo("300"));
        JsonNode grown = export(vol);
        assertThat(grown.get("data").get("qos_specs").get("total_iops_sec").asText()).isEqualTo("300");
        given().contentType(ContentType.JSON).body("{\"connection_info\": " + grown + ", \"bus\": \"scsi\", "
                + "\"attach_path\": \"qemu\"}").put("/v1/instances/" + dom.name + "/volumes/" + vol)
                .then().statusCode(200);
        assertThat(Host.virsh("blkdeviotune", dom.name, "sda")).containsPattern("total_iops_sec\\s*: 300");
        given().delete("/v1/instances/" + dom.name + "/volumes/" + vol).then().statusCode(204);
    }

    @Test
    void typesNoPoolCanHonourAreRefusedByNameAndMakeNothing() throws Exception {
        long before = files();
        String[][] cases = {
                {"\"volume_type\": {\"name\": \"be\", \"qos_specs\": {\"consumer\": \"back-end\", \"specs\": "
                        + "{\"total_iops_sec\": \"100\"}}}", "400", "qos_not_supported", "QoS_support false"},
                {"\"volume_type\": {\"name\": \"lvm\", \"extra_specs\": {\"volume_backend_name\": \"lvm\"}}", "400",
                        "no_valid_pool", "pool default removed by CapabilitiesFilter: volume_backend_name wants 'lvm'"},
                {"\"volume_type\": {\"name\": \"thick\", \"extra_specs\": {\"provisioning:type\": \"thick\"}}", "400",
                        "no_valid_pool", "provisioning:type thick is not supported"},
                {"\"pool\": \"nope\"", "400", "invalid_field", "no pool named nope"},
                {"\"qos_specs\": {\"consumer\": \"back-end\", \"total_iops_sec\": \"5\"}", "400", "qos_not_supported",
                        "back-end"},
                {"\"volume_type\": {\"name\": \"x\", \"qos_specs\": {\"consumer\": \"front-end\", \"specs\": "
                        + "{\"total_iops_sec_per_gb\": \"ten\"}}}", "400", "invalid_qos", "non-negative integer"},
                {"\"volume_type\": {\"name\": \"x\", \"qos_specs\": {\"consumer\": \"sideways\"}}", "400",
                        "invalid_field", "consumer is"},
        };
        for (String[] c : cases) {
            String id = UUID.randomUUID().toString();
            create(id, 1, c[0]).then().statusCode(Integer.parseInt(c[1])).body("code", equalTo(c[2]))
                    .body("detail", containsString(c[3]));
            given().get("/v1/volumes/" + id).then().statusCode(404);
        }
        assertThat(files()).isEqualTo(before);
    }

    @Test
    void aRepeatedCreateIsAnsweredFromTheRecordAndAnotherTypeUnderTheSameIdConflicts() throws Exception {
        String vol = UUID.randomUUID().toString();
        String created = create(vol, 1, GOLD).then().statusCode(201).extract().path("created_at");
        volumes.add(vol);
        create(vol, 1, GOLD).then().statusCode(201).body("created_at", equalTo(created));
        create(vol, 1, "\"volume_type\": {\"name\": \"silver\"}").then().statusCode(409)
                .body("code", equalTo("volume_conflict"));
    }

    @Test
    void aConsumerInPlainQosSpecsNeverReachesTheHost() throws Exception {
        String vol = UUID.randomUUID().toString();
        create(vol, 1, "\"qos_specs\": {\"consumer\": \"both\", \"total_iops_sec\": \"400\"}").then().statusCode(201);
        volumes.add(vol);
        JsonNode qos = export(vol).get("data").get("qos_specs");
        assertThat(qos.toString()).isEqualTo("{\"total_iops_sec\":\"400\"}");
    }

    private static long files() throws Exception {
        try (var s = Files.list(FILES)) {
            return s.count();
        }
    }
}
