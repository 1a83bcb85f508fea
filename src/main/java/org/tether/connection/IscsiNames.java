package org.tether.connection;

import org.tether.error.TetherException;

import java.util.regex.Pattern;

/** Syntax of iSCSI names (RFC 3720 / 3721) and portals, checked before any reaches an argv or XML. */
public final class IscsiNames {
    static final int MAX_NAME = 223;
    private static final String LABEL = "[a-z0-9]([a-z0-9-]*[a-z0-9])?";
    private static final Pattern IQN = Pattern.compile(
            "iqn\\.\\d{4}-(0[1-9]|1[0-2])\\." + LABEL + "(\\." + LABEL + ")*(:[A-Za-z0-9.:_-]+)?");
    private static final Pattern EUI = Pattern.compile("eui\\.[0-9A-Fa-f]{16}");
    private static final Pattern NAA = Pattern.compile("naa\\.[0-9A-Fa-f]{16}([0-9A-Fa-f]{16})?");
    private static final String HOST_LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
    private static final Pattern HOSTNAME = Pattern.compile(HOST_LABEL + "(\\." + HOST_LABEL + ")*");
    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

    private IscsiNames() {
    }

    public static boolean isValidName(String name) {
        return name != null && name.length() <= MAX_NAME
                && (IQN.matcher(name).matches() || EUI.matcher(name).matches() || NAA.matcher(name).matches());
    }

    public static String requireName(String name, String field) {
        if (!isValidName(name)) {
            throw TetherException.invalid(field, field + " must be an iqn., eui. or naa. iSCSI name");
        }
        return name;
    }

    /** Parses {@code host:port}, {@code [v6]:port} or a bare host (port 3260). */
    public static Portal parsePortal(String text, String field) {
        String host;
        int port = Portal.DEFAULT_PORT;
        String portText = null;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                throw badPortal(field);
            }
            host = text.substring(1, close);
            String rest = text.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw badPortal(field);
                }
                portText = rest.substring(1);
            }
            if (!isIpv6(host)) {
                throw badPortal(field);
            }
        } else {
            int colon = text.lastIndexOf(':');
            if (colon >= 0 && text.indexOf(':') != colon) {
                throw TetherException.invalid(field, field + ": an IPv6 portal must be written [address]:port");
            }
            host = colon < 0 ? text : text.substring(0, colon);
            portText = colon < 0 ? null : text.substring(colon + 1);
            boolean dotted = host.matches("[0-9.]+");
            if (dotted ? !IPV4.matcher(host).matches()
                    : host.length() > 253 || !HOSTNAME.matcher(host).matches()) {
                throw badPortal(field);
            }
        }
        if (portText != null) {
            if (!portText.matches("\\d{1,5}") || Integer.parseInt(portText) < 1 || Integer.parseInt(portText) > 65535) {
                throw TetherException.invalid(field, field + " port must be 1-65535");
            }
            port = Integer.parseInt(portText);
        }
        return new Portal(host.toLowerCase(java.util.Locale.ROOT), port);
    }

    private static boolean isIpv6(String host) {
        if (!IPV6_CHARS.matcher(host).matches() || !host.contains(":")) {
            return false;
        }
        try {
            // a literal containing ':' is parsed, never resolved
            return java.net.InetAddress.getByName(host) instanceof java.net.Inet6Address;
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private static TetherException badPortal(String field) {
        return TetherException.invalid(field, field + " must be host:port, [ipv6]:port or a host");
    }
}
