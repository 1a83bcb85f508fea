package org.tether.security;

import org.eclipse.microprofile.config.Config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * What the HTTP listener serves, read from Quarkus's own settings: whether plain HTTP is on (it is unless
 * TLS is configured and {@code quarkus.http.insecure-requests=disabled}), on which address, and whether TLS
 * is configured. Plain HTTP on an address other hosts can reach carries bearer tokens and CHAP secrets in
 * clear text: the agent refuses to start that way unless {@code tether.api.allow-plain-http} says it is a lab.
 */
public record ListenerPolicy(String host, boolean plainHttp, boolean tls, int port, int sslPort) {

    public static ListenerPolicy from(Config config, boolean test) {
        String host = config.getOptionalValue("quarkus.http.host", String.class).orElse("127.0.0.1");
        boolean tls = config.getOptionalValue("quarkus.http.ssl.certificate.files", String.class).isPresent()
                || config.getOptionalValue("quarkus.http.ssl.certificate.key-store-file", String.class).isPresent();
        String insecure = config.getOptionalValue("quarkus.http.insecure-requests", String.class).orElse("enabled")
                .toLowerCase(Locale.ROOT);
        boolean plain = !tls || !insecure.equals("disabled");
        int port = config.getOptionalValue(test ? "quarkus.http.test-port" : "quarkus.http.port", Integer.class)
                .orElse(8080);
        int sslPort = config.getOptionalValue(test ? "quarkus.http.test-ssl-port" : "quarkus.http.ssl-port",
                Integer.class).orElse(8443);
        return new ListenerPolicy(host, plain, tls, port, sslPort);
    }

    /** Whether only this host can reach the listener's address. */
    public boolean loopbackOnly() {
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        try {
            return InetAddress.getByName(host.replace("[", "").replace("]", "")).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** @throws IllegalStateException saying what to set, when plain HTTP would be served off loopback */
    public void requireSafe(boolean allowPlainHttp) {
        if (plainHttp && !loopbackOnly() && !allowPlainHttp) {
            throw new IllegalStateException("refusing to serve plain HTTP on " + host + ": tokens and CHAP secrets "
                    + "would cross the network in clear text. Configure TLS (quarkus.http.ssl.certificate.files and "
                    + "quarkus.http.ssl.certificate.key-files) with quarkus.http.insecure-requests=disabled, or bind "
                    + "quarkus.http.host to a loopback address; tether.api.allow-plain-http=true is for a lab only");
        }
    }

    /** The address this agent reaches its own listener on: loopback when it listens everywhere or there. */
    public String selfHost() {
        String h = host.strip();
        if (h.isEmpty() || h.equals("0.0.0.0") || h.equalsIgnoreCase("localhost")) {
            return "127.0.0.1";
        }
        if (h.equals("::") || h.equals("[::]")) {
            return "[::1]";
        }
        return h.contains(":") && !h.startsWith("[") ? "[" + h + "]" : h;
    }
}
