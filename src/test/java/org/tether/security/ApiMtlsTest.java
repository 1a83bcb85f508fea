package org.tether.security;


import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.config.SSLConfig;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.Test;
import org.tether.lab.TestCa;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

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
    static TestCa CA;
    static String PASS;
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
        CA = TestCa.create(DIR);
        PASS = CA.password;
        CA.signed("server", "CN=localhost", "-ext", "san=dns:localhost,ip:127.0.0.1");
        CA.signed("client", "CN=controller-1,O=tether-test");
        try {
            // a client the CA never signed
            CA.keytool("-genkeypair", "-alias", "client", "-keyalg", "EC", "-dname", "CN=intruder", "-validity", "2",
                    "-keystore", "rogue.p12");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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

    @Test
    void overTlsWithoutAClientCertificateNoSpellingGetsIn() throws Exception {
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(DIR.resolve("ca-trust.p12"))) {
            trust.load(in, PASS.toCharArray());
        }
        var tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        var ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        PathSpellings.assertAllRefused(new org.tether.lab.RawHttp("127.0.0.1", PORT, ctx.getSocketFactory()),
                java.util.UUID.randomUUID().toString());
    }
}
