package org.tether.connection;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.enterprise.context.ApplicationScoped;
import org.tether.error.TetherException;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * RBD data as Cinder's RBD driver writes it ({@code initialize_connection}): {@code name}, {@code hosts}
 * and {@code ports} (strings, one port per host), {@code auth_enabled}, {@code auth_username},
 * {@code secret_type} ({@code ceph}), {@code secret_uuid}, {@code cluster_name}, and optionally
 * {@code keyring} (a keyring file's text, when Cinder is told to send it).
 */
@ApplicationScoped
public class RbdConnectionParser implements DriverParser {
    static final int MAX_MONITORS = 32;
    /** Ceph's pool and image names as Cinder makes them, and nothing XML, argv or a path would read twice. */
    private static final Pattern NAME_PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    /** A cephx user id: what {@code ceph auth} accepts and Cinder's {@code rbd_user} holds. */
    private static final Pattern CEPH_USER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    @Override
    public String driverVolumeType() {
        return RbdConnectionInfo.TYPE;
    }

    @Override
    public RbdConnectionInfo parse(JsonNode data, String prefix) {
        JsonFields f = new JsonFields(data, prefix);
        String name = f.requiredString("name", 300);
        String[] parts = name.split("/", -1);
        if (parts.length != 2 || !NAME_PART.matcher(parts[0]).matches() || !NAME_PART.matcher(parts[1]).matches()) {
            throw TetherException.invalid(f.path("name"), f.path("name")
                    + " must be pool/image, each 1-128 of letters, digits and . _ - (not starting with . _ -)");
        }
        String cluster = f.string("cluster_name", 64);
        if (cluster != null && !CEPH_USER.matcher(cluster).matches()) {
            throw TetherException.invalid(f.path("cluster_name"), f.path("cluster_name")
                    + " may hold letters, digits and . _ - only");
        }
        String secretType = f.string("secret_type", 16);
        if (secretType != null && !secretType.equals("ceph")) {
            throw TetherException.invalid(f.path("secret_type"), f.path("secret_type") + " must be ceph");
        }
        Boolean authFlag = f.bool("auth_enabled");
        String user = f.string("auth_username", 64);
        if (user != null && user.startsWith("client.")) {
            user = user.substring("client.".length());
        }
        if (user != null && !CEPH_USER.matcher(user).matches()) {
            throw TetherException.invalid(f.path("auth_username"), f.path("auth_username")
                    + " may hold letters, digits and . _ - only");
        }
        // Cinder sets auth_enabled from whether rbd_user is set; an absent flag with a user means cephx
        boolean auth = authFlag != null ? authFlag : user != null;
        if (auth && user == null) {
            throw TetherException.missing(f.path("auth_username"));
        }
        UUID secret = f.uuid("secret_uuid");
        String key = keyringKey(f, user);
        return new RbdConnectionInfo(f.uuid("volume_id"), parts[0], parts[1], monitors(f),
                cluster == null ? "ceph" : cluster, auth, auth ? user : null, auth ? secret : null,
                auth ? key : null, VolumeOptionsParser.parse(f));
    }

    private static List<Portal> monitors(JsonFields f) {
        List<JsonNode> hosts = f.has("hosts") && f.raw("hosts").isArray() && f.raw("hosts").isEmpty()
                ? List.of() : f.list("hosts", MAX_MONITORS);
        List<JsonNode> ports = f.has("ports") && f.raw("ports").isArray() && f.raw("ports").isEmpty()
                ? List.of() : f.list("ports", MAX_MONITORS);
        if (hosts == null || hosts.isEmpty()) {
            if (ports != null && !ports.isEmpty()) {
                throw TetherException.invalid(f.path("ports"), f.path("ports") + " needs hosts");
            }
            return List.of();
        }
        if (ports != null && ports.size() != hosts.size()) {
            throw TetherException.invalid(f.path("ports"), f.path("ports") + " must have one port per host");
        }
        LinkedHashSet<Portal> out = new LinkedHashSet<>();
        for (int i = 0; i < hosts.size(); i++) {
            String hField = f.path("hosts") + "[" + i + "]";
            JsonNode h = hosts.get(i);
            if (h == null || !h.isTextual() || h.asText().isEmpty() || h.asText().length() > 255) {
                throw TetherException.invalid(hField, hField + " must be a host name or address");
            }
            String host = h.asText();
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port = ports == null ? 6789 : JsonFields.integer(ports.get(i), f.path("ports") + "[" + i + "]",
                    1, 65535);
            String text = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
            out.add(IscsiNames.parsePortal(text, hField));
        }
        return new ArrayList<>(out);
    }

    /** The key of {@code [client.<user>]} in a keyring's text, refused without echoing it. */
    private static String keyringKey(JsonFields f, String user) {
        if (!f.has("keyring")) {
            return null;
        }
        try {
            return CephKeys.fromText(keyringText(f), user == null ? "" : user);
        } catch (IllegalArgumentException e) {
            throw TetherException.invalid(f.path("keyring"), f.path("keyring") + ": " + e.getMessage());
        }
    }

    private static String keyringText(JsonFields f) {
        JsonNode v = f.raw("keyring");
        if (!v.isTextual() || v.asText().isEmpty() || v.asText().length() > 4096) {
            throw TetherException.invalid(f.path("keyring"), f.path("keyring") + " must be a keyring's text");
        }
        return v.asText();
    }
}
