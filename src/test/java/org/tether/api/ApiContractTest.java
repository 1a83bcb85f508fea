package org.tether.api;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.tether.lab.Host;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;

/** The REST contract: connector properties, problem+json for bad input, the OpenAPI document. */
@org.junit.jupiter.api.Tag("host")
@QuarkusTest
class ApiContractTest {
    private static final String VOL = "8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2";
    private static final String SECRET = "YZ2Hceyh7VySh5HY";
    private static final String GOOD_DATA = "\"target_portal\": \"127.0.0.1:3260\", \"target_iqn\": "
            + "\"iqn.2010-10.org.openstack:volume-" + VOL + "\", \"target_lun\": 1, \"auth_method\": \"CHAP\","
            + " \"auth_username\": \"user\", \"auth_password\": \"" + SECRET + "\"";

    @Test
    void connectorHasOsBricksKeysAndThisHostsInitiator() throws Exception {
        String initiator = Files.readAllLines(Path.of("/etc/iscsi/initiatorname.iscsi")).stream()
                .filter(l -> l.startsWith("InitiatorName=")).findFirst().orElseThrow().substring(14);
        given().get("/v1/connector").then().statusCode(200)
                .body("platform", equalTo("x86_64"))
                .body("os_type", equalTo("linux"))
                .body("ip", equalTo("127.0.0.1"))
                .body("initiator", equalTo(initiator))
                .body("multipath", equalTo(false))
                .body("enforce_multipath", equalTo(true))
                .body("do_local_attach", equalTo(false))
                .body("$", hasKey("system uuid"))
                .body("host", notNullValue());
    }

    /** Each row: domain, volume id, body, expected status, code, field. */
    @ParameterizedTest(name = "{3} {4} {5}")
    @CsvSource(delimiter = '|', value = {
            "d1 | not-a-uuid | {} | 400 | invalid_field | volume_id",
            "d1 | " + VOL + " | {} | 400 | missing_field | connection_info",
            "d1 | " + VOL + " | {\"connection_info\": {\"driver_volume_type\": \"nfs\"}} | 400 | unsupported_driver_volume_type | connection_info.driver_volume_type",
            "d1 | " + VOL + " | {\"connection_info\": {\"driver_volume_type\": \"iscsi\", \"data\": {}}, \"colour\": 1} | 400 | unknown_field | colour",
            "d1 | " + VOL + " | {\"connection_info\": | 400 | malformed_request | ",
            "d1 | " + VOL + " | [] | 400 | malformed_request | ",
            "d1 | " + VOL + " | {\"connection_info\": {\"driver_volume_type\": \"iscsi\", \"data\": {" + GOOD_DATA + "}}, \"bus\": \"ide\"} | 400 | invalid_field | bus",
            "d1 | " + VOL + " | {\"connection_info\": {\"driver_volume_type\": \"iscsi\", \"data\": {" + GOOD_DATA + "}}, \"attach_path\": \"fc\"} | 400 | invalid_field | attach_path",
            "d1 | " + VOL + " | {\"connection_info\": {\"driver_volume_type\": \"iscsi\", \"data\": {" + GOOD_DATA + "}}, \"device\": \"sdb\"} | 400 | invalid_field | device",
            "d1 | " + VOL + " | {\"connection_info\": {\"driver_volume_type\": \"iscsi\", \"data\": {" + GOOD_DATA + ", \"volume_id\": \"0f5ca1c4-9d2a-4a4d-8f0b-7a1d3c2e9b11\"}}} | 400 | volume_id_mismatch | connection_info.volume_id",
            "d1 | " + VOL + " | {\"connection_info\": {\"driver_volume_type\": \"iscsi\", \"data\": {" + GOOD_DATA + ", \"qos_specs\": {\"total_iops_sec\": \"5\", \"read_iops_sec\": \"5\"}}}} | 400 | invalid_qos | connection_info.data.qos_specs.total_iops_sec",
            "d1 | " + VOL + " | {\"connection_info\": {\"driver_volume_type\": \"iscsi\", \"data\": {" + GOOD_DATA + ", \"target_portal\": \"127.0.0.1:3260;reboot\"}}} | 400 | invalid_field | connection_info.data.target_portal",
            "d1 | " + VOL + " | {\"connection_info\": {\"driver_volume_type\": \"iscsi\", \"data\": {" + GOOD_DATA + ", \"auth_password\": null}}} | 400 | missing_field | connection_info.data.auth_password",
            "bad..name/x | " + VOL + " | {} | 404 | not_found | ",
            "-lead | " + VOL + " | {} | 400 | invalid_field | domain",
    })
    void badRequestsAreProblemJsonNamingTheFieldAndNeverTheSecret(String domain, String volume, String body,
                                                                  int status, String code, String field) {
        List<String> secretsBefore = Host.secretUsages();
        var r = given().contentType(ContentType.JSON).body(body).put("/v1/instances/" + domain + "/volumes/" + volume);
        r.then().statusCode(status).contentType("application/problem+json")
                .body("code", equalTo(code)).body("status", equalTo(status))
                .body("type", equalTo("urn:tether:problem:" + code));
        if (field != null) {
            r.then().body("field", equalTo(field));
        } else {
            r.then().body("$", not(hasKey("field")));
        }
        assertThat(r.asString()).doesNotContain(SECRET);
        assertThat(Host.secretUsages()).isEqualTo(secretsBefore);
    }

    @Test
    void openApiDescribesEveryEndpointInSnakeCase() {
        String doc = given().accept("application/json").get("/q/openapi").then().statusCode(200).extract().asString();
        assertThat(doc).contains("/v1/connector", "/v1/instances/{domain}/volumes/{volume_id}", "/v1/attachments",
                "\"AttachRequest\"", "\"Attachment\"", "\"Problem\"", "connection_info", "attach_path",
                "ignored_qos_keys", "host_device");
        assertThat(doc).doesNotContain("connectionInfo", "attachPath");
    }

    @Test
    void readinessReportsLibvirtAndTheStateDirectory() {
        given().get("/q/health/ready").then().log().ifValidationFails().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.find { it.name == 'libvirt' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'state-directory' }.status", equalTo("UP"));
    }
}
