package org.tether.security;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

/** With a token file configured: every /v1 call needs the token, health does not, refusals are audited. */
@org.junit.jupiter.api.Tag("host")
@QuarkusTest
@TestProfile(ApiAuthTest.WithToken.class)
class ApiAuthTest {
    static final String TOKEN = "s3cr3t-t0ken-" + java.util.UUID.randomUUID();
    static final Path TOKEN_FILE = Path.of("target/test-token").toAbsolutePath();
    static final Path AUDIT = Path.of("target/test-audit-auth.jsonl").toAbsolutePath();

    public static class WithToken implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Files.deleteIfExists(TOKEN_FILE);
                Files.deleteIfExists(AUDIT);
                Files.createFile(TOKEN_FILE, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------")));
                Files.writeString(TOKEN_FILE, TOKEN + "\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Map.of("tether.api.token-file", TOKEN_FILE.toString(), "tether.api.audit-file", AUDIT.toString(),
                    "tether.api.protect-metrics", "true");
        }
    }

    @Test
    void withoutOrWithAWrongTokenItIs401AndAuditedWithTheRightOneItAnswers() throws Exception {
        given().get("/v1/connector").then().statusCode(401).contentType("application/problem+json")
                .body("code", equalTo("unauthorized")).body("detail", equalTo("missing bearer token"));
        given().header("Authorization", "Bearer not-the-token").delete("/v1/volumes/x")
                .then().statusCode(401).body("detail", equalTo("wrong bearer token"));
        given().header("Authorization", "Basic " + TOKEN).get("/v1/attachments").then().statusCode(401);
        given().header("Authorization", "Bearer " + TOKEN).get("/v1/connector").then().statusCode(200);
        given().header("Authorization", "Bearer " + TOKEN).contentType(ContentType.JSON).body("{}")
                .put("/v1/instances/d1/volumes/0f5ca1c4-9d2a-4a4d-8f0b-7a1d3c2e9b11").then().statusCode(400);

        given().get("/q/health/ready").then().statusCode(200);
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(401);
        given().header("Authorization", "Bearer " + TOKEN).get("/q/metrics").then().statusCode(200);

        String audit = Files.readString(AUDIT);
        assertThat(audit.lines()).anyMatch(l -> l.contains("\"method\":\"GET\"") && l.contains("\"/v1/connector\"")
                && l.contains("\"status\":401") && l.contains("\"who\":\"anonymous\""));
        assertThat(audit.lines()).anyMatch(l -> l.contains("\"method\":\"DELETE\"") && l.contains("\"status\":401"));
        assertThat(audit.lines()).anyMatch(l -> l.contains("\"method\":\"PUT\"") && l.contains("\"status\":400")
                && l.contains("\"who\":\"token:") && l.contains("\"problem\":\"missing_field\""));
        assertThat(audit).doesNotContain(TOKEN).doesNotContain("not-the-token");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(AUDIT))).isEqualTo("rw-------");
    }

    @Test
    void aTokenFileOthersCanReadIsRefused() throws Exception {
        Path open = Files.createTempFile("token", ".txt");
        Files.writeString(open, "0123456789abcdef0123");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ApiToken.read(open))
                .hasMessageContaining("chmod 0600");
        Files.delete(open);
    }
}
