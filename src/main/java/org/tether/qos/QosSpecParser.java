package org.tether.qos;

import com.fasterxml.jackson.databind.JsonNode;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Turns Cinder's {@code qos_specs} (string values) into a {@link QosSpec}, enforcing the rules QEMU would
 * otherwise reject at hot-plug time, so a bad spec fails before the host is touched.
 */
public final class QosSpecParser {
    /** QEMU's THROTTLE_VALUE_MAX. */
    static final long MAX_VALUE = 1_000_000_000_000_000L;
    private static final Pattern DIGITS = Pattern.compile("\\d{1,16}");
    private static final Pattern GROUP = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final String[] UNITS = {"BYTES", "IOPS"};

    private QosSpecParser() {
    }

    /** @param field where the specs sit in the request, for error messages */
    public static QosSpec parse(JsonNode specs, String field) {
        if (specs == null || specs.isNull()) {
            return QosSpec.NONE;
        }
        if (!specs.isObject()) {
            throw new TetherException(ErrorCode.INVALID_QOS, field, field + " must be an object or null");
        }
        Map<QosKey, Long> limits = new EnumMap<>(QosKey.class);
        List<String> ignored = new ArrayList<>();
        String group = null;
        for (Iterator<Map.Entry<String, JsonNode>> it = specs.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            String keyField = field + "." + key;
            QosKey qosKey = QosKey.fromWire(key);
            if (QosKey.GROUP_NAME.equals(key)) {
                group = groupName(e.getValue(), keyField);
            } else if (qosKey == null) {
                ignored.add(key);
            } else {
                long v = value(e.getValue(), keyField);
                if (v > 0) {
                    limits.put(qosKey, v);
                }
            }
        }
        checkRules(limits, field);
        ignored.sort(String::compareTo);
        return new QosSpec(limits, group, ignored);
    }

    private static long value(JsonNode node, String field) {
        String text;
        if (node.isIntegralNumber()) {
            text = node.asText();
        } else if (node.isTextual()) {
            text = node.asText().strip();
        } else {
            throw bad(field, field + " must be a non-negative integer");
        }
        if (!DIGITS.matcher(text).matches()) {
            throw bad(field, field + " must be a non-negative integer, got '" + printable(text) + "'");
        }
        long v = Long.parseLong(text);
        if (v > MAX_VALUE) {
            throw bad(field, field + " exceeds QEMU's limit of " + MAX_VALUE);
        }
        return v;
    }

    private static String groupName(JsonNode node, String field) {
        if (!node.isTextual() || !GROUP.matcher(node.asText()).matches()) {
            throw bad(field, field + " must be 1-64 characters of [A-Za-z0-9_.-]");
        }
        return node.asText();
    }

    private static void checkRules(Map<QosKey, Long> limits, String field) {
        for (String unit : UNITS) {
            for (String suffix : new String[] {"", "_MAX"}) {
                QosKey total = QosKey.valueOf("TOTAL_" + unit + "_SEC" + suffix);
                if (limits.containsKey(total)
                        && (limits.containsKey(QosKey.valueOf("READ_" + unit + "_SEC" + suffix))
                        || limits.containsKey(QosKey.valueOf("WRITE_" + unit + "_SEC" + suffix)))) {
                    throw bad(field + "." + total.wire(), total.wire()
                            + " cannot be combined with read_/write_ limits of the same unit");
                }
            }
        }
        for (Map.Entry<QosKey, Long> e : limits.entrySet()) {
            QosKey key = e.getKey();
            QosKey parent = key.parent();
            if (parent == null) {
                continue;
            }
            Long base = limits.get(parent);
            if (base == null) {
                throw bad(field + "." + key.wire(), key.wire() + " needs " + parent.wire());
            }
            if (key.isMax() && e.getValue() < base) {
                throw bad(field + "." + key.wire(), key.wire() + " (" + e.getValue() + ") must be >= "
                        + parent.wire() + " (" + base + ")");
            }
        }
    }

    private static String printable(String s) {
        String cut = s.length() > 32 ? s.substring(0, 32) + "..." : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }

    private static TetherException bad(String field, String detail) {
        return new TetherException(ErrorCode.INVALID_QOS, field, detail);
    }
}
