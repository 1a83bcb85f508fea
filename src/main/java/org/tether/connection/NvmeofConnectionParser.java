package org.tether.connection;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.enterprise.context.ApplicationScoped;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * nvmeof data in both of Cinder's versions: version 2 ({@code target_nqn}, {@code vol_uuid},
 * {@code portals} as {@code [address, port, transport]}, {@code ns_id}) and version 1 ({@code nqn},
 * {@code target_portal}, {@code target_port}, {@code transport_type}, {@code ns_id}). Only the TCP transport is
 * connected here; RDMA is refused by name.
 */
@ApplicationScoped
public class NvmeofConnectionParser implements DriverParser {
    static final int MAX_PORTALS = 8;
    /** The namespace ids NVMe allows (1 to FFFFFFFEh). */
    static final long MAX_NSID = 0xFFFFFFFEL;

    @Override
    public String driverVolumeType() {
        return NvmeofConnectionInfo.TYPE;
    }

    @Override
    public NvmeofConnectionInfo parse(JsonNode data, String prefix) {
        JsonFields f = new JsonFields(data, prefix);
        boolean v2 = f.has("target_nqn") || f.has("portals");
        String nqnKey = v2 ? "target_nqn" : "nqn";
        String nqn = NvmeNames.requireNqn(f.requiredString(nqnKey, 223), f.path(nqnKey));
        List<Portal> portals = v2 ? portals(f) : List.of(portal(f, f.requiredString("target_portal", 255),
                port(f, "target_port"), f.string("transport_type", 16), f.path("target_portal")));
        UUID nsUuid = f.uuid("vol_uuid");
        Long nsId = nsId(f);
        if (nsUuid == null && nsId == null) {
            throw TetherException.missing(f.path(v2 ? "vol_uuid" : "ns_id"));
        }
        return new NvmeofConnectionInfo(f.uuid("volume_id"), nqn, portals, nsUuid, nsId, VolumeOptionsParser.parse(f));
    }

    private static List<Portal> portals(JsonFields f) {
        List<JsonNode> list = f.list("portals", MAX_PORTALS);
        if (list == null || list.isEmpty()) {
            throw TetherException.missing(f.path("portals"));
        }
        List<Portal> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode p = list.get(i);
            String field = f.path("portals") + "[" + i + "]";
            if (!p.isArray() || p.size() != 3 || !p.get(0).isTextual() || !(p.get(1).isTextual()
                    || p.get(1).isIntegralNumber()) || !p.get(2).isTextual()) {
                throw TetherException.invalid(field, field + " must be [address, port, transport]");
            }
            String port = p.get(1).asText();
            if (!port.matches("\\d{1,5}")) {
                throw TetherException.invalid(field, field + " port must be 1-65535");
            }
            Portal portal = portal(f, p.get(0).asText(), port, p.get(2).asText(), field);
            if (!out.contains(portal)) {
                out.add(portal);
            }
        }
        return out;
    }

    private static String port(JsonFields f, String key) {
        JsonNode v = f.raw(key);
        if (v == null || v.isNull()) {
            return "4420";
        }
        if (!(v.isTextual() || v.isIntegralNumber()) || !v.asText().matches("\\d{1,5}")) {
            throw TetherException.invalid(f.path(key), f.path(key) + " must be a port number");
        }
        return v.asText();
    }

    private static Portal portal(JsonFields f, String address, String port, String transport, String field) {
        String t = transport == null ? "tcp" : transport.toLowerCase(Locale.ROOT);
        if (!t.equals("tcp")) {
            throw new TetherException(ErrorCode.UNSUPPORTED_DRIVER_VOLUME_TYPE, field, field + ": transport "
                    + transport + " is not supported here; NVMe over TCP only");
        }
        if (address.length() > 255) {
            throw TetherException.invalid(field, field + " address is too long");
        }
        String text = address.contains(":") ? "[" + address + "]:" + port : address + ":" + port;
        return IscsiNames.parsePortal(text, field);
    }

    private static Long nsId(JsonFields f) {
        JsonNode v = f.raw("ns_id");
        if (v == null || v.isNull()) {
            return null;
        }
        String s = v.asText();
        if (!(v.isIntegralNumber() || v.isTextual()) || !s.matches("\\d{1,10}") || Long.parseLong(s) < 1
                || Long.parseLong(s) > MAX_NSID) {
            throw TetherException.invalid(f.path("ns_id"), f.path("ns_id") + " must be a namespace id (1-4294967294)");
        }
        return Long.parseLong(s);
    }
}
