package org.tether.connection;

/** An iSCSI portal. {@code host} is an IPv4 address, a bare IPv6 address (no brackets) or a DNS name. */
public record Portal(String host, int port) {
    public static final int DEFAULT_PORT = 3260;

    public boolean ipv6() {
        return host.indexOf(':') >= 0;
    }

    /** {@code host:port} as iscsiadm and Cinder write it, IPv6 in brackets. */
    public String hostPort() {
        return (ipv6() ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public String toString() {
        return hostPort();
    }
}
