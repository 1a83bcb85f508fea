package org.tether.storage.backup;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.net.URI;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.UUID;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.head;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The S3 store's decisions against a scripted S3 (the real one, RADOS Gateway, is {@code S3BackupAgentIT}'s):
 * the object names, the bucket made once when it is missing, the payload signed over HTTP and Content-MD5 over
 * HTTPS (trusting the configured CA and nothing else), a 404 as absence and
 * every other failure as {@code backup_store_unavailable} naming the store and the status, never the secret.
 */
class S3BackupStoreTest {
    private static final String SHA = "ab" + "0".repeat(62);

    private WireMockServer s3;
    private S3BackupStore store;

    @BeforeEach
    void start() {
        s3 = new WireMockServer(WireMockConfiguration.options().dynamicPort());
        s3.start();
        store = new S3BackupStore("offsite", URI.create("http://127.0.0.1:" + s3.port()), "bkt", "site/", "us-east-1",
                "AKID", "very-secret-key", true, Duration.ofSeconds(5), null);
    }

    @AfterEach
    void stop() {
        store.close();
        s3.stop();
    }

    @Test
    void aMissingBucketIsMadeOnceAndChunksGoUnderTheirHashWithTheirMd5() throws Exception {
        s3.stubFor(head(urlEqualTo("/bkt")).willReturn(aResponse().withStatus(404)));
        s3.stubFor(put(urlEqualTo("/bkt")).willReturn(aResponse().withStatus(200)));
        s3.stubFor(put(urlPathEqualTo("/bkt/site/chunks/ab/" + SHA)).willReturn(aResponse().withStatus(200)));
        s3.stubFor(head(urlPathEqualTo("/bkt/site/chunks/ab/" + SHA)).willReturn(aResponse().withStatus(404)));

        byte[] frame = "a frame".getBytes(StandardCharsets.UTF_8);
        assertThat(store.hasChunk(SHA)).isFalse();
        store.putChunk(SHA, frame);

        assertThat(s3.findAll(anyRequestedFor(urlEqualTo("/bkt")))).extracting(r -> r.getMethod().getName())
                .containsExactly("HEAD", "PUT");
        LoggedRequest put = s3.findAll(anyRequestedFor(urlPathEqualTo("/bkt/site/chunks/ab/" + SHA))).stream()
                .filter(r -> r.getMethod().getName().equals("PUT")).findFirst().orElseThrow();
        // over plain HTTP the SDK signs the payload in aws-chunked frames (the frame is inside, whole), which the
        // store checks: no Content-MD5 on top
        assertThat(put.getHeader("x-amz-content-sha256")).isEqualTo("STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
        assertThat(new String(put.getBody(), StandardCharsets.UTF_8)).contains("a frame");
        assertThat(put.containsHeader("Content-MD5")).isFalse();
        assertThat(put.getHeader("Authorization")).startsWith("AWS4-HMAC-SHA256 Credential=AKID/")
                .doesNotContain("very-secret-key");
    }

    @Test
    void overHttpsTheConfiguredCaIsTrustedAndEveryPutCarriesItsMd5(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        org.tether.lab.TestCa ca = org.tether.lab.TestCa.create(dir.resolve("pki"));
        Path keys = ca.signed("rgw", "CN=localhost", "-ext", "san=dns:localhost,ip:127.0.0.1");
        WireMockServer tls = new WireMockServer(WireMockConfiguration.options().httpDisabled(true)
                .dynamicHttpsPort().bindAddress("127.0.0.1").keystorePath(keys.toString())
                .keystorePassword(ca.password).keyManagerPassword(ca.password).keystoreType("PKCS12"));
        tls.start();
        URI endpoint = URI.create("https://127.0.0.1:" + tls.httpsPort());
        try (S3BackupStore trusting = new S3BackupStore("offsite", endpoint, "bkt", "", "us-east-1", "AKID", "key",
                true, Duration.ofSeconds(5), ca.file("ca.pem"));
             S3BackupStore stranger = new S3BackupStore("offsite", endpoint, "bkt", "", "us-east-1", "AKID", "key",
                     true, Duration.ofSeconds(5), null)) {
            tls.stubFor(head(urlEqualTo("/bkt")).willReturn(aResponse().withStatus(200)));
            tls.stubFor(put(urlPathEqualTo("/bkt/chunks/ab/" + SHA)).willReturn(aResponse().withStatus(200)));
            byte[] frame = "a frame".getBytes(StandardCharsets.UTF_8);
            trusting.putChunk(SHA, frame);
            LoggedRequest put = tls.findAll(anyRequestedFor(urlPathEqualTo("/bkt/chunks/ab/" + SHA))).get(0);
            assertThat(put.getHeader("Content-MD5")).isEqualTo(Base64.getEncoder().encodeToString(
                    MessageDigest.getInstance("MD5").digest(frame)));
            assertThat(put.getBody()).isEqualTo(frame);

            assertThatThrownBy(() -> stranger.putChunk(SHA, frame)).as("the JVM's trust store does not know the CA")
                    .isInstanceOfSatisfying(TetherException.class, e -> assertThat(e.code())
                            .isEqualTo(ErrorCode.BACKUP_STORE_UNAVAILABLE));
        } finally {
            tls.stop();
        }
    }

    @Test
    void absentObjectsAreEmptyAndManifestsAreListedByTheirIds() {
        UUID id = UUID.randomUUID();
        s3.stubFor(head(urlEqualTo("/bkt")).willReturn(aResponse().withStatus(200)));
        s3.stubFor(get(urlPathEqualTo("/bkt/site/manifests/" + id + ".json")).willReturn(aResponse().withStatus(404)
                .withBody("<Error><Code>NoSuchKey</Code></Error>")));
        s3.stubFor(get(urlPathEqualTo("/bkt")).willReturn(aResponse().withStatus(200).withBody("""
                <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bkt</Name>
                <IsTruncated>false</IsTruncated>
                <Contents><Key>site/manifests/%s.json</Key><Size>10</Size></Contents>
                <Contents><Key>site/manifests/not-a-backup.json</Key><Size>10</Size></Contents>
                <Contents><Key>site/manifests/.tmp</Key><Size>10</Size></Contents>
                </ListBucketResult>""".formatted(id))));

        assertThat(store.manifest(id)).isEmpty();
        assertThat(store.manifests()).containsExactly(id);
    }

    @Test
    void aStoreThatFailsOrIsAwayIsUnavailableNamingTheStatusNotTheSecret() {
        s3.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(403).withBody(
                "<Error><Code>AccessDenied</Code></Error>")));
        assertThatThrownBy(() -> store.chunk(SHA)).isInstanceOfSatisfying(TetherException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.BACKUP_STORE_UNAVAILABLE);
            assertThat(e.getMessage()).contains("offsite", "403").doesNotContain("very-secret-key");
        });

        s3.stop();
        assertThatThrownBy(() -> store.manifests()).isInstanceOfSatisfying(TetherException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.BACKUP_STORE_UNAVAILABLE);
            assertThat(e.getMessage()).contains("backup store offsite cannot");
        });
    }
}
