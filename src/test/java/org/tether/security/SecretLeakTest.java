package org.tether.security;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;
import org.tether.lab.Host;
import org.tether.lab.TestDomain;
import org.tether.lab.TgtTarget;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A full attach, QoS change, reconciliation and detach with a known CHAP password, plus the failures that
 * carry one (a wrong password, a body that breaks the JSON parser right after it): the password appears in
 * no response, log line, audit line, journal record, domain XML or libvirt secret listing.
 */
@org.junit.jupiter.api.Tag("host")
@QuarkusTest
class SecretLeakTest {

    @Test
    void theChapPasswordAppearsNowhere() throws Exception {
        Path dir = Files.createTempDirectory("tether-secret");
        List<String> seen = new ArrayList<>();
        try (TestDomain dom = TestDomain.create(TestDomain.Kind.RUNNING); TgtTarget tgt = TgtTarget.create(dir, true)) {
            String secret = tgt.password;
            String url = "/v1/instances/" + dom.name + "/volumes/" + tgt.volumeId;
            String body = "{\"connection_info\": " + tgt.connectionInfo() + ", \"bus\": \"scsi\", \"attach_path\": \"qemu\"}";

            seen.add(send(given().contentType(ContentType.JSON).body(body.replace(secret, "wrong-" + secret)).put(url), 502));
            seen.add(send(given().contentType(ContentType.JSON).body(body.replace("\"" + secret + "\"",
                    "\"" + secret + "\" oops")).put(url), 400));
            seen.add(send(given().contentType(ContentType.JSON).body(body).put(url), 200));
            seen.add(send(given().contentType(ContentType.JSON).body(body).put(url), 200));
            seen.add(send(given().contentType(ContentType.JSON).body("{\"qos_specs\": {\"total_iops_sec\": \"300\"}}")
                    .put(url + "/qos"), 200));
            seen.add(send(given().get("/v1/attachments"), 200));
            seen.add(send(given().post("/v1/reconciliation"), 200));
            seen.add(Host.virsh("dumpxml", dom.name));
            seen.add(String.join("\n", Host.secretUsages()));
            seen.add(send(given().delete(url), 204));

            Path log = Path.of(org.eclipse.microprofile.config.ConfigProvider.getConfig()
                    .getValue("quarkus.log.file.path", String.class));
            seen.add(read(log));
            seen.add(read(Path.of("target/test-audit.jsonl")));
            for (String d : List.of("target/test-state/attachments", "target/test-state/instances")) {
                if (Files.isDirectory(Path.of(d))) {
                    try (Stream<Path> files = Files.list(Path.of(d))) {
                        for (Path f : files.toList()) {
                            seen.add(read(f));
                        }
                    }
                }
            }
            assertThat(read(log)).as("the log is being searched")
                    .contains(tgt.volumeId.toString());
            for (String text : seen) {
                assertThat(text).doesNotContain(secret);
            }
        } finally {
            Files.deleteIfExists(dir);
        }
    }

    private static String send(Response r, int status) {
        assertThat(r.statusCode()).as(r.asString()).isEqualTo(status);
        return r.asString() + r.getHeaders().toString();
    }

    private static String read(Path p) throws Exception {
        return Files.exists(p) ? Files.readString(p) : "";
    }

    /**
     * An export answered asynchronously: its CHAP password is in the synchronous answer only; the operation
     * record on disk, GET /v1/operations/{id} and the audit log never hold it, and the record says which field
     * was left out.
     */
    @Test
    void anAsynchronousExportKeepsItsChapPasswordNowhere() throws Exception {
        String vol = java.util.UUID.randomUUID().toString();
        String initiator = "iqn.1993-08.org.debian:01:leak-" + vol.substring(0, 8);
        given().contentType(ContentType.JSON).body("{\"id\": \"" + vol + "\", \"size_gb\": 1}").post("/v1/volumes")
                .then().statusCode(201);
        String exportUrl = "/v1/volumes/" + vol + "/exports/" + initiator;
        Response accepted = given().contentType(ContentType.JSON).header("Prefer", "respond-async")
                .body("{\"initiator\": \"" + initiator + "\"}").put(exportUrl);
        assertThat(accepted.statusCode()).as(accepted.asString()).isEqualTo(202);
        String location = accepted.header("Location");
        Response op = null;
        for (int i = 0; i < 100; i++) {
            op = given().get(location);
            if (!"running".equals(op.jsonPath().getString("state"))) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(op.jsonPath().getString("state")).as(op.asString()).isEqualTo("succeeded");
        assertThat(op.jsonPath().getList("result.redacted", String.class)).containsExactly("data.auth_password");
        assertThat(op.jsonPath().getString("result.data.auth_username")).isNotBlank();

        // the way to the secret: the export is idempotent, repeated synchronously it answers the same credentials
        String secret = given().contentType(ContentType.JSON).body("{\"initiator\": \"" + initiator + "\"}")
                .put(exportUrl).then().statusCode(200).extract().jsonPath().getString("data.auth_password");
        assertThat(secret).hasSizeGreaterThanOrEqualTo(12);

        List<String> seen = new ArrayList<>();
        seen.add(op.asString());
        seen.add(given().get(location).asString());
        seen.add(read(Path.of("target/test-audit.jsonl")));
        try (Stream<Path> files = Files.list(Path.of("target/test-state/operations"))) {
            for (Path f : files.toList()) {
                seen.add(read(f));
            }
        }
        for (String text : seen) {
            assertThat(text).doesNotContain(secret);
        }
        given().delete(exportUrl).then().statusCode(204);
        given().delete("/v1/volumes/" + vol).then().statusCode(204);
    }
}
