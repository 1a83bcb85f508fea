package org.tether.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Where the agent on this host listens and how to prove who we are, read from the agent's own configuration
 * ({@code /etc/tether/agent.properties}, as the RPM installs it), so that root on the host needs no flags, as
 * {@code virsh} needs none: HTTPS on {@code quarkus.http.ssl-port} trusting the host certificate the agent
 * serves, or plain HTTP on {@code quarkus.http.port}; the bearer token from {@code tether.api.token-file}.
 * Flags and {@code TETHER_URL} / {@code TETHER_TOKEN_FILE} / {@code TETHER_CA_FILE} win over the file.
 */
record AgentSettings(String url, Optional<Path> tokenFile, Optional<Path> caFile) {
    static final Path DEFAULT_CONFIG = Path.of("/etc/tether/agent.properties");

    static AgentSettings resolve(Path config, String url, Path tokenFile, Path caFile, Map<String, String> env) {
        Properties p = new Properties();
        if (config != null && Files.exists(config) && !Files.isReadable(config) && url == null) {
            throw new IllegalArgumentException("cannot read " + config + " (the agent's configuration, readable by "
                    + "root): run as root, or give --url and --token-file");
        }
        if (config != null && Files.isReadable(config)) {
            try (InputStream in = Files.newInputStream(config)) {
                p.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read " + config + ": " + e.getMessage());
            }
        }
        String cert = p.getProperty("quarkus.http.ssl.certificate.files");
        boolean tls = cert != null && !cert.isBlank();
        String derived = tls ? "https://127.0.0.1:" + p.getProperty("quarkus.http.ssl-port", "8443")
                : "http://127.0.0.1:" + p.getProperty("quarkus.http.port", "8080");
        String chosenUrl = first(url, env.get("TETHER_URL"), derived);
        Optional<Path> token = Optional.ofNullable(first(tokenFile == null ? null : tokenFile.toString(),
                env.get("TETHER_TOKEN_FILE"), p.getProperty("tether.api.token-file"))).map(Path::of);
        Optional<Path> ca = Optional.ofNullable(first(caFile == null ? null : caFile.toString(),
                env.get("TETHER_CA_FILE"), tls ? cert.split(",")[0].strip() : null)).map(Path::of);
        return new AgentSettings(chosenUrl.replaceAll("/+$", ""), token, ca);
    }

    private static String first(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }

    /** The token's text, or empty when none is configured. */
    Optional<String> token() {
        return tokenFile.map(f -> {
            try {
                return Files.readString(f).strip();
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read the token file " + f + ": " + e.getMessage()
                        + " (the agent's token is readable by root only)");
            }
        });
    }
}
