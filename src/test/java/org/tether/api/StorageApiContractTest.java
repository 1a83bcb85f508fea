package org.tether.api;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tether.lab.Host;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

/** Bad storage requests: each a problem+json naming the field, and nothing created or exported. */
@org.junit.jupiter.api.Tag("host")
@QuarkusTest
class StorageApiContractTest {
    private static final String VOL = "8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2";
    private static final String INI = "iqn.1994-05.com.redhat:compute-2";

    /** Each row: method, path, body, status, code, field. */
    @ParameterizedTest(name = "{0} {1} -> {3} {4}")
    @CsvSource(delimiter = '|', value = {
            "POST | /v1/volumes | {\"size_gb\": 1} | 400 | invalid_field | id",
            "POST | /v1/volumes | {\"id\": \"x\", \"size_gb\": 1} | 400 | invalid_field | id",
            "POST | /v1/volumes | {\"id\": \"" + VOL + "\"} | 400 | missing_field | size_gb",
            "POST | /v1/volumes | {\"id\": \"" + VOL + "\", \"size_gb\": 0} | 400 | invalid_field | size_gb",
            "POST | /v1/volumes | {\"id\": \"" + VOL + "\", \"size_gb\": 16385} | 400 | invalid_field | size_gb",
            "POST | /v1/volumes | {\"id\": \"" + VOL + "\", \"size_gb\": \"one\"} | 400 | invalid_field | size_gb",
            "POST | /v1/volumes | {\"id\": \"" + VOL + "\", \"size_gb\": 1, \"source\": {}} | 400 | invalid_field | source",
            "POST | /v1/volumes | {\"id\": \"" + VOL + "\", \"size_gb\": 1, \"source\": {\"volume_id\": \"../x\"}} | 400 | invalid_field | source.volume_id",
            "POST | /v1/volumes | {\"id\": \"" + VOL + "\", \"size_gb\": 1, \"source\": {\"snapshot_id\": \"0f5ca1c4-9d2a-4a4d-8f0b-7a1d3c2e9b11\"}} | 404 | snapshot_not_found | source.snapshot_id",
            "POST | /v1/volumes | {\"id\": \"" + VOL + "\", \"size_gb\": 1, \"qos_specs\": {\"total_iops_sec\": \"-1\"}} | 400 | invalid_qos | qos_specs.total_iops_sec",
            "POST | /v1/volumes | {\"id\": \"" + VOL + "\", \"size_gb\": 1, \"pool\": \"x\"} | 400 | invalid_field | pool",
            "POST | /v1/volumes | {\"id\": \"" + VOL + "\", \"size_gb\": 1, \"volume_type\": {}} | 400 | missing_field | volume_type.name",
            "POST | /v1/volumes | {\"id\": \"" + VOL + "\", \"size_gb\": 1, \"volume_type\": {\"name\": \"t\", \"flavor\": 1}} | 400 | unknown_field | volume_type.flavor",
            "POST | /v1/volumes | {\"id\": \"" + VOL + "\", \"size_gb\": 1, \"encryption\": {\"provider\": \"plain\"}} | 400 | unsupported_encryption | encryption.provider",
            "POST | /v1/volumes | {\"id\": \"" + VOL + "\", \"size_gb\": 1, \"encryption\": {\"cipher\": \"des-cbc-plain\"}} | 400 | unsupported_encryption | encryption.cipher",
            "POST | /v1/volumes | {\"id\": \"" + VOL + "\", \"size_gb\": 1, \"encryption\": {\"key_size\": 100}} | 400 | unsupported_encryption | encryption.key_size",
            "POST | /v1/volumes | {\"id\": \"" + VOL + "\", \"size_gb\": 1, \"encryption\": {\"control_location\": \"back-end\"}} | 400 | unsupported_encryption | encryption.control_location",
            "POST | /v1/volumes | {\"id\": \"" + VOL + "\", \"size_gb\": 1, \"encryption\": {}, \"source\": {\"volume_id\": \"0f5ca1c4-9d2a-4a4d-8f0b-7a1d3c2e9b11\"}} | 400 | invalid_field | encryption",
            "POST | /v1/volumes/" + VOL + "/extend | {\"new_size_gb\": 2} | 404 | volume_not_found | id",
            "POST | /v1/volumes/" + VOL + "/extend | {} | 400 | missing_field | new_size_gb",
            "POST | /v1/volumes/" + VOL + "/revert | {} | 400 | missing_field | snapshot_id",
            "POST | /v1/volumes/" + VOL + "/snapshots | {\"id\": \"1;2\"} | 400 | invalid_field | id",
            "PUT | /v1/volumes/" + VOL + "/exports/" + INI + " | {\"initiator\": \"" + INI + "\"} | 404 | volume_not_found | id",
            "PUT | /v1/volumes/" + VOL + "/exports/not-an-iqn | {\"initiator\": \"not-an-iqn\"} | 400 | invalid_field | initiator",
            "PUT | /v1/volumes/" + VOL + "/exports/" + INI + " | {\"host\": \"x\"} | 400 | missing_field | connector.initiator",
            "PUT | /v1/volumes/" + VOL + "/exports/" + INI + " | {\"initiator\": \"iqn.1994-05.com.redhat:other\"} | 400 | invalid_field | connector.initiator",
            "PUT | /v1/volumes/" + VOL + "/exports/" + INI + " | [] | 400 | invalid_field | connector",
            "GET | /v1/volumes/nope | | 400 | invalid_field | id",
    })
    void badStorageRequestsChangeNothing(String method, String path, String body, int status, String code,
                                         String field) throws Exception {
        String targetsBefore = Host.run("tgtadm", "--lld", "iscsi", "--op", "show", "--mode", "target");
        Path files = Path.of("target/test-files");
        long filesBefore = Files.exists(files) ? Files.list(files).count() : 0;
        var req = given().contentType(ContentType.JSON);
        if (body != null) {
            req = req.body(body);
        }
        var r = req.request(method, path);
        r.then().statusCode(status).contentType("application/problem+json").body("code", equalTo(code))
                .body("field", equalTo(field));
        assertThat(Host.run("tgtadm", "--lld", "iscsi", "--op", "show", "--mode", "target")).isEqualTo(targetsBefore);
        assertThat(Files.exists(files) ? Files.list(files).count() : 0).isEqualTo(filesBefore);
        given().get("/v1/volumes/" + VOL).then().statusCode(404);
    }
}
