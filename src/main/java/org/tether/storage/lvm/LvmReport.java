package org.tether.storage.lvm;

import com.fasterxml.jackson.databind.JsonNode;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Parses LVM's JSON reports ({@code --reportformat json --units b --nosuffix}) into typed rows. */
public final class LvmReport {
    private LvmReport() {
    }

    public static List<LvInfo> lvs(JsonNode json) {
        List<LvInfo> out = new ArrayList<>();
        for (JsonNode lv : rows(json, "lv")) {
            out.add(new LvInfo(text(lv, "vg_name"), text(lv, "lv_name"), bytes(lv, "lv_size"), tags(text(lv, "lv_tags")),
                    text(lv, "pool_lv"), text(lv, "origin"), percent(lv, "data_percent"),
                    percent(lv, "metadata_percent"), text(lv, "lv_attr")));
        }
        return out;
    }

    public static List<VgInfo> vgs(JsonNode json) {
        List<VgInfo> out = new ArrayList<>();
        for (JsonNode vg : rows(json, "vg")) {
            out.add(new VgInfo(text(vg, "vg_name"), bytes(vg, "vg_size"), bytes(vg, "vg_free")));
        }
        return out;
    }

    private static List<JsonNode> rows(JsonNode root, String kind) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode report : root.path("report")) {
            report.path(kind).forEach(out::add);
        }
        return out;
    }

    private static String text(JsonNode row, String key) {
        String v = row.path(key).asText("");
        return v.isEmpty() ? null : v;
    }

    private static long bytes(JsonNode row, String key) {
        String v = text(row, key);
        return v == null ? 0 : Long.parseLong(v.replace("B", "").strip());
    }

    private static Double percent(JsonNode row, String key) {
        String v = text(row, key);
        return v == null ? null : Double.valueOf(v);
    }

    private static Set<String> tags(String v) {
        return v == null ? Set.of() : new LinkedHashSet<>(Arrays.asList(v.split(",")));
    }
}
