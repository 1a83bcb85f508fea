package org.tether.security;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.config.SSLConfig;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

/**
 * Mutual TLS: a CA, a server and two clients made with keytool; /v1 over HTTPS needs a client certificate
 * the CA signed, health does not, and the audit log names the caller by its certificate subject.
 */
@QuarkusTest
@TestProfile(ApiMtlsTest.WithClientCerts.class)
class ApiMtlsTest {
    static final Path DIR = Path.of("target/mtls").toAbsolutePath();
    static final String PASS = "changeit-" + Long.toHexString(System.nanoTime());
    static final int PORT = 18443;

    public static class WithClientCerts implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            makeCertificates();
            return Map.of(
                    "quarkus.http.ssl.certificate.key-store-file", DIR.resolve("server.p12").toString(),
                    "quarkus.http.ssl.certificate.key-store-password", PASS,
                    "quarkus.http.ssl.certificate.trust-store-file", DIR.resolve("ca-trust.p12").toString(),
                    "quarkus.http.ssl.certificate.trust-store-password", PASS,
                    "quarkus.http.test-ssl-port", Integer.toString(PORT),
                    "tether.api.require-client-cert", "true",
                    "tether.api.audit-file", DIR.resolve("audit.jsonl").toString());
        }
    }

    static void makeCertificates() {
        try {
            if (Files.exists(DIR)) {
                try (var files = Files.list(DIR)) {
                    for (Path f : files.toList()) {
                        Files.delete(f);
                    }
                }
            }
            Files.createDirectories(DIR);
            keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-dname", "CN=tether-test-ca",
                    "-ext", "bc:c", "-validity", "2", "-keystore", "ca.p12");
            keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", "ca.p12", "-file", "ca.pem");
            keytool("-importcert", "-noprompt", "-alias", "ca", "-file", "ca.pem", "-keystore", "ca-trust.p12");
            signed("server", "CN=localhost", "-ext", "san=dns:localhost,ip:127.0.0.1");
            signed("client", "CN=controller-1,O=tether-test");
            // a client the CA never signed
            keytool("-genkeypair", "-alias", "client", "-keyalg", "EC", "-dname", "CN=intruder", "-validity", "2",
                    "-keystore", "rogue.p12");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void signed(String name, String dname, String... ext) throws IOException {
        keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-dname", dname, "-validity", "2",
                "-keystore", name + ".p12");
        keytool("-certreq", "-alias", name, "-keystore", name + ".p12", "-file", name + ".csr");
        List<String> gencert = new java.util.ArrayList<>(List.of("-gencert", "-alias", "ca", "-keystore", "ca.p12",
                "-infile", name + ".csr", "-outfile", name + ".pem", "-rfc", "-validity", "2"));
        gencert.addAll(List.of(ext));
        keytool(gencert.toArray(String[]::new));
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", "ca.pem", "-keystore", name + ".p12");
        keytool("-importcert", "-alias", name, "-file", name + ".pem", "-keystore", name + ".p12");
    }

    private static void keytool(String... args) throws IOException {
        List<String> argv = new java.util.ArrayList<>(List.of("keytool"));
        argv.addAll(List.of(args));
        argv.addAll(List.of("-storepass", PASS, "-storetype", "PKCS12"));
        try {
            Process p = new ProcessBuilder(argv).directory(DIR.toFile()).redirectErrorStream(true)
                    .redirectOutput(DIR.resolve("keytool.log").toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("keytool " + String.join(" ", args) + " failed: "
                        + Files.readString(DIR.resolve("keytool.log")));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private static RequestSpecification https(String clientStore) {
        SSLConfig ssl = SSLConfig.sslConfig().trustStore(DIR.resolve("ca-trust.p12").toString(), PASS)
                .trustStoreType("PKCS12");
        if (clientStore != null) {
            ssl = ssl.keyStore(new File(DIR.resolve(clientStore).toString()), PASS).keystoreType("PKCS12");
        }
        return RestAssured.given().baseUri("https://localhost").port(PORT)
                .config(RestAssured.config().sslConfig(ssl));
    }

    @Test
    void onlyAClientTheCaSignedGetsInAndIsAuditedByItsSubject() throws Exception {
        https("client.p12").get("/v1/connector").then().statusCode(200);
        https("client.p12").delete("/v1/instances/d1/volumes/0f5ca1c4-9d2a-4a4d-8f0b-7a1d3c2e9b11")
                .then().statusCode(204);
        https(null).get("/v1/connector").then().statusCode(401).body("code", equalTo("unauthorized"))
                .body("detail", equalTo("no verified client certificate"));
        https(null).get("/q/health/live").then().statusCode(200);
        boolean rogueRefused;
        try {
            rogueRefused = https("rogue.p12").get("/v1/connector").statusCode() == 401;
        } catch (Exception handshakeRefused) {
            rogueRefused = true; // the TLS layer may refuse an unverifiable certificate outright
        }
        assertThat(rogueRefused).as("a certificate the CA did not sign is refused").isTrue();

        String audit = Files.readString(DIR.resolve("audit.jsonl"));
        assertThat(audit.lines()).anyMatch(l -> l.contains("\"method\":\"DELETE\"") && l.contains("\"status\":204")
                && l.contains("cert:") && l.contains("CN=controller-1"));
        assertThat(audit.lines()).anyMatch(l -> l.contains("\"status\":401") && l.contains("\"who\":\"anonymous\""));
    }
}
