package org.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;

/**
 * The agent's REST API over one short-lived connection per call ({@link HttpURLConnection}: it starts faster
 * than the JDK's HTTP client, which matters for a command). An answer that is not 2xx comes back as it is; one
 * that never comes is {@link Unreachable}.
 */
final class AgentClient {
    static final ObjectMapper JSON = new ObjectMapper();

    /** An answer: its status and body (null when empty). */
    record Reply(int status, JsonNode body, String location) {
        boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    /** The agent did not answer (not running, wrong address, TLS refused). */
    static final class Unreachable extends RuntimeException {
        Unreachable(String message) {
            super(message);
        }
    }

    private final AgentSettings settings;
    private final Duration timeout;
    private SSLContext tls;

    AgentClient(AgentSettings settings, Duration timeout) {
        this.settings = settings;
        this.timeout = timeout;
    }

    String url() {
        return settings.url();
    }

    /**
     * A request body of the fields given as name, value pairs, leaving out those not given: a null, or a flag
     * that is off ({@code false}), so the agent applies its own default.
     */
    static com.fasterxml.jackson.databind.node.ObjectNode body(Object... fields) {
        com.fasterxml.jackson.databind.node.ObjectNode b = JSON.createObjectNode();
        for (int i = 0; i < fields.length; i += 2) {
            Object v = fields[i + 1];
            if (v != null && !Boolean.FALSE.equals(v)) {
                b.set((String) fields[i], JSON.valueToTree(v));
            }
        }
        return b;
    }

    /** One path segment as typed (a domain name with a space, a slash): percent-encoded. */
    static String segment(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    Reply get(String path) {
        return send("GET", path, null);
    }

    Reply send(String method, String path, JsonNode body) {
        URI uri = URI.create(settings.url() + path);
        HttpURLConnection c;
        try {
            c = (HttpURLConnection) uri.toURL().openConnection();
            if (c instanceof HttpsURLConnection https) {
                SSLContext ctx = tls();
                if (ctx != null) {
                    https.setSSLSocketFactory(ctx.getSocketFactory());
                }
            }
            c.setRequestMethod(method);
            c.setConnectTimeout((int) Math.min(timeout.toMillis(), 10_000));
            c.setReadTimeout((int) timeout.toMillis());
            c.setRequestProperty("Accept", "application/json");
            c.setRequestProperty("User-Agent", "tetherctl");
            settings.token().ifPresent(t -> c.setRequestProperty("Authorization", "Bearer " + t));
            if (body != null) {
                byte[] bytes = JSON.writeValueAsBytes(body);
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "application/json");
                try (OutputStream out = c.getOutputStream()) {
                    out.write(bytes);
                }
            }
            int status = c.getResponseCode();
            InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
            byte[] bytes = in == null ? new byte[0] : in.readAllBytes();
            JsonNode json = bytes.length == 0 ? null : parse(bytes);
            return new Reply(status, json, c.getHeaderField("Location"));
        } catch (IOException e) {
            throw new Unreachable("cannot reach the agent at " + settings.url() + ": " + e.getMessage());
        }
    }

    private static JsonNode parse(byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            return JSON.getNodeFactory().textNode(new String(bytes, StandardCharsets.UTF_8));
        }
    }

    /** Trusts the configured CA file (the agent's own host certificate, as installed); null: the JVM's store. */
    private SSLContext tls() throws IOException {
        if (tls != null || settings.caFile().isEmpty()) {
            return tls;
        }
        try (InputStream in = Files.newInputStream(settings.caFile().get())) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int n = 0;
            for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca-" + n++, cert);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            tls = ctx;
            return ctx;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot use " + settings.caFile().get() + " as CA: " + e.getMessage(), e);
        }
    }
}
