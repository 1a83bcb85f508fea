package org.tether.operations;

import io.quarkus.runtime.LaunchMode;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.Config;
import org.tether.security.ListenerPolicy;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * How an asynchronous operation reaches this agent's own API: plain HTTP on loopback (or the one address it
 * listens on) when plain HTTP is served, else HTTPS to its own TLS port, trusting exactly the agent's own
 * certificate (pinned: the certificate's host names do not matter, the bytes do).
 */
@ApplicationScoped
public class SelfCall {
    private final ListenerPolicy listener;
    private final Config config;
    private volatile HttpClient client;

    public SelfCall(Config config) {
        this.config = config;
        this.listener = ListenerPolicy.from(config, LaunchMode.current() == LaunchMode.TEST);
    }

    /** The URI of {@code path} (already accepted by the HTTP layer) on this agent. */
    public URI uri(String path, String query) {
        String scheme = listener.plainHttp() ? "http" : "https";
        int port = listener.plainHttp() ? listener.port() : listener.sslPort();
        return URI.create(scheme + "://" + listener.selfHost() + ":" + port + path + (query == null ? "" : "?" + query));
    }

    public HttpClient client() {
        HttpClient c = client;
        if (c == null) {
            HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                    .version(HttpClient.Version.HTTP_1_1);
            if (!listener.plainHttp()) {
                b.sslContext(pinnedTo(ownCertificates()));
            }
            c = b.build();
            client = c;
        }
        return c;
    }

    private List<X509Certificate> ownCertificates() {
        try {
            Optional<String> pem = config.getOptionalValue("quarkus.http.ssl.certificate.files", String.class);
            List<X509Certificate> certs = new ArrayList<>();
            CertificateFactory f = CertificateFactory.getInstance("X.509");
            if (pem.isPresent()) {
                for (String file : pem.get().split(",")) {
                    try (InputStream in = Files.newInputStream(Path.of(file.strip()))) {
                        f.generateCertificates(in).forEach(c -> certs.add((X509Certificate) c));
                    }
                }
                return certs;
            }
            String store = config.getValue("quarkus.http.ssl.certificate.key-store-file", String.class);
            char[] pass = config.getOptionalValue("quarkus.http.ssl.certificate.key-store-password", String.class)
                    .orElse("password").toCharArray();
            KeyStore ks = KeyStore.getInstance(store.endsWith(".jks") ? "JKS" : "PKCS12");
            try (InputStream in = Files.newInputStream(Path.of(store))) {
                ks.load(in, pass);
            }
            for (String alias : Collections.list(ks.aliases())) {
                if (ks.getCertificate(alias) instanceof X509Certificate x) {
                    certs.add(x);
                }
            }
            return certs;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the agent's own TLS certificate: " + e.getMessage(), e);
        }
    }

    private static SSLContext pinnedTo(List<X509Certificate> own) {
        X509ExtendedTrustManager pinned = new X509ExtendedTrustManager() {
            private void check(X509Certificate[] chain) throws CertificateException {
                if (chain == null || chain.length == 0 || own.stream().noneMatch(c -> Arrays.equals(
                        encoded(c), encoded(chain[0])))) {
                    throw new CertificateException("not this agent's own certificate");
                }
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, Socket s) throws CertificateException {
                check(chain);
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine e) throws CertificateException {
                check(chain);
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                check(chain);
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, Socket s) throws CertificateException {
                throw new CertificateException("client side only");
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine e) throws CertificateException {
                throw new CertificateException("client side only");
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                throw new CertificateException("client side only");
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new javax.net.ssl.TrustManager[]{pinned}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] encoded(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            return new byte[0];
        }
    }
}
