package org.tether.connection;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.enterprise.context.ApplicationScoped;
import org.tether.connection.IscsiConnectionInfo.AddressingMode;
import org.tether.error.TetherException;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.UUID;

/**
 * iSCSI data as Cinder's target helpers write it. Singular and plural portal keys are folded into one list
 * of paths; the plural lists win when present, as in os-brick.
 */
@ApplicationScoped
public class IscsiConnectionParser implements DriverParser {
    static final int MAX_PATHS = 32;
    /** Largest LUN in the flat (SAM-2 "flat space") addressing every target we know uses. */
    static final int MAX_LUN = 16383;
    private static final int MAX_CHAP = 255;

    @Override
    public String driverVolumeType() {
        return IscsiConnectionInfo.TYPE;
    }

    @Override
    public IscsiConnectionInfo parse(JsonNode data, String prefix) {
        JsonFields f = new JsonFields(data, prefix);
        UUID volumeId = f.uuid("volume_id");
        List<IscsiPath> paths = paths(f);
        ChapCredentials session = chap(f, "auth_method", "auth_username", "auth_password",
                "auth_username_in", "auth_password_in");
        ChapCredentials discovery = chap(f, "discovery_auth_method", "discovery_auth_username",
                "discovery_auth_password", null, null);
        Boolean discovered = f.bool("target_discovered");
        return new IscsiConnectionInfo(volumeId, paths, session, discovery, Boolean.TRUE.equals(discovered),
                addressing(f), VolumeOptionsParser.parse(f));
    }

    private static List<IscsiPath> paths(JsonFields f) {
        List<JsonNode> portals = f.list("target_portals", MAX_PATHS);
        if (portals == null) {
            String portal = f.requiredString("target_portal", 300);
            String iqn = IscsiNames.requireName(f.requiredString("target_iqn", 300), f.path("target_iqn"));
            return List.of(new IscsiPath(IscsiNames.parsePortal(portal, f.path("target_portal")), iqn,
                    lun(f.raw("target_lun"), f.path("target_lun"))));
        }
        List<JsonNode> iqns = f.list("target_iqns", MAX_PATHS);
        List<JsonNode> luns = f.list("target_luns", MAX_PATHS);
        checkSize(f, "target_iqns", iqns, portals.size());
        checkSize(f, "target_luns", luns, portals.size());
        LinkedHashSet<IscsiPath> out = new LinkedHashSet<>();
        for (int i = 0; i < portals.size(); i++) {
            String pField = f.path("target_portals") + "[" + i + "]";
            String portal = text(portals.get(i), pField);
            String iqnField = iqns == null ? f.path("target_iqn") : f.path("target_iqns") + "[" + i + "]";
            String iqn = iqns == null ? f.requiredString("target_iqn", 300) : text(iqns.get(i), iqnField);
            JsonNode lunNode = luns == null ? f.raw("target_lun") : luns.get(i);
            String lunField = luns == null ? f.path("target_lun") : f.path("target_luns") + "[" + i + "]";
            out.add(new IscsiPath(IscsiNames.parsePortal(portal, pField), IscsiNames.requireName(iqn, iqnField),
                    lun(lunNode, lunField)));
        }
        return new ArrayList<>(out);
    }

    private static void checkSize(JsonFields f, String key, List<JsonNode> list, int expected) {
        if (list != null && list.size() != expected) {
            throw TetherException.invalid(f.path(key), f.path(key) + " must have as many items as target_portals");
        }
    }

    private static String text(JsonNode n, String field) {
        if (n == null || !n.isTextual() || n.asText().isEmpty() || n.asText().length() > 300) {
            throw TetherException.invalid(field, field + " must be a non-empty string");
        }
        return n.asText();
    }

    private static int lun(JsonNode node, String field) {
        if (node == null || node.isNull()) {
            throw TetherException.missing(field);
        }
        return JsonFields.integer(node, field, 0, MAX_LUN);
    }

    private static AddressingMode addressing(JsonFields f) {
        String mode = f.string("addressing_mode", 16);
        if (mode == null) {
            return AddressingMode.SAM2;
        }
        AddressingMode m = AddressingMode.fromWire(mode);
        if (m == null) {
            throw TetherException.invalid(f.path("addressing_mode"),
                    f.path("addressing_mode") + " must be SAM, SAM2, SAM3-flat or transparent");
        }
        return m;
    }

    /** CHAP fields come together: a method needs both credentials, credentials need the method. */
    private static ChapCredentials chap(JsonFields f, String methodKey, String userKey, String passKey,
                                        String userInKey, String passInKey) {
        String method = f.string(methodKey, 16);
        String user = chapName(f, userKey);
        String pass = chapValue(f, passKey);
        String userIn = userInKey == null ? null : chapName(f, userInKey);
        String passIn = passInKey == null ? null : chapValue(f, passInKey);
        boolean anyCredential = user != null || pass != null || userIn != null || passIn != null;
        if (method == null || method.equalsIgnoreCase("none")) {
            if (anyCredential) {
                throw TetherException.invalid(f.path(methodKey),
                        f.path(methodKey) + " must be CHAP when credentials are given");
            }
            return null;
        }
        if (!method.equalsIgnoreCase("CHAP")) {
            throw TetherException.invalid(f.path(methodKey), f.path(methodKey) + " must be CHAP");
        }
        if (user == null) {
            throw TetherException.missing(f.path(userKey));
        }
        if (pass == null) {
            throw TetherException.missing(f.path(passKey));
        }
        if ((userIn == null) != (passIn == null)) {
            throw TetherException.invalid(userIn == null ? f.path(userInKey) : f.path(passInKey),
                    "mutual CHAP needs both " + userInKey + " and " + passInKey);
        }
        return new ChapCredentials(user, pass, userIn, passIn);
    }

    /**
     * A CHAP user name: what Cinder's drivers generate (letters and digits) and what operators use (an IQN,
     * {@code name@domain}): letters, digits and {@code . _ : @ -}. It reaches iscsiadm's argv, libvirt's XML
     * and target configuration, so nothing a shell, XML or a config parser would read twice is admitted.
     */
    private static String chapName(JsonFields f, String key) {
        String v = chapValue(f, key);
        if (v != null && !CHAP_NAME.matcher(v).matches()) {
            throw TetherException.invalid(f.path(key), f.path(key) + " may hold letters, digits and . _ : @ - only");
        }
        return v;
    }

    private static final java.util.regex.Pattern CHAP_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9._:@-]+");

    private static String chapValue(JsonFields f, String key) {
        String v = f.string(key, MAX_CHAP);
        if (v != null && !v.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            // the value itself is never echoed: it may be a password
            throw TetherException.invalid(f.path(key), f.path(key) + " must be printable ASCII without spaces");
        }
        return v;
    }
}
