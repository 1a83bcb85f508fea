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
}
