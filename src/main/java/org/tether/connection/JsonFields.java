package org.tether.connection;

import com.fasterxml.jackson.databind.JsonNode;
import org.tether.error.TetherException;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Typed, path-aware reads of one JSON object. Every failure names the field as the caller sent it
 * ({@code connection_info.data.target_lun}).
 */
final class JsonFields {
    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern CONTROL = Pattern.compile("\\p{Cntrl}");

    private final JsonNode node;
    private final String prefix;

    JsonFields(JsonNode node, String prefix) {
        this.node = node;
        this.prefix = prefix;
    }

    String path(String key) {
        return prefix + "." + key;
    }

    boolean has(String key) {
        JsonNode v = node.get(key);
        return v != null && !v.isNull();
    }

    JsonNode raw(String key) {
        return node.get(key);
    }

    /** A string without control characters, or null when absent. */
    String string(String key, int maxLength) {
        if (!has(key)) {
            return null;
        }
        JsonNode v = node.get(key);
        if (!v.isTextual()) {
            throw TetherException.invalid(path(key), path(key) + " must be a string");
        }
        String s = v.asText();
        if (s.isEmpty() || s.length() > maxLength || CONTROL.matcher(s).find()) {
            throw TetherException.invalid(path(key),
                    path(key) + " must be 1-" + maxLength + " characters without control characters");
        }
        return s;
    }

    String requiredString(String key, int maxLength) {
        String s = string(key, maxLength);
        if (s == null) {
            throw TetherException.missing(path(key));
        }
        return s;
    }

    Boolean bool(String key) {
        if (!has(key)) {
            return null;
        }
        JsonNode v = node.get(key);
        if (v.isBoolean()) {
            return v.asBoolean();
        }
        if (v.isTextual() && ("true".equalsIgnoreCase(v.asText()) || "false".equalsIgnoreCase(v.asText()))) {
            return Boolean.parseBoolean(v.asText());
        }
        throw TetherException.invalid(path(key), path(key) + " must be a boolean");
    }

    /** An integer given as a JSON number or a decimal string (Cinder drivers send both). */
    static int integer(JsonNode v, String field, int min, int max) {
        long value;
        if (v != null && v.isIntegralNumber() && v.canConvertToLong()) {
            value = v.asLong();
        } else if (v != null && v.isTextual() && v.asText().matches("-?\\d{1,10}")) {
            value = Long.parseLong(v.asText());
        } else {
            throw TetherException.invalid(field, field + " must be an integer");
        }
        if (value < min || value > max) {
            throw TetherException.invalid(field, field + " must be between " + min + " and " + max);
        }
        return (int) value;
    }

    UUID uuid(String key) {
        String s = string(key, 36);
        if (s == null) {
            return null;
        }
        if (!UUID_TEXT.matcher(s).matches()) {
            throw TetherException.invalid(path(key), path(key) + " must be a UUID");
        }
        return UUID.fromString(s);
    }

    /** A JSON array, or null when absent. */
    List<JsonNode> list(String key, int maxSize) {
        if (!has(key)) {
            return null;
        }
        JsonNode v = node.get(key);
        if (!v.isArray() || v.isEmpty() || v.size() > maxSize) {
            throw TetherException.invalid(path(key), path(key) + " must be a list of 1-" + maxSize + " items");
        }
        List<JsonNode> out = new ArrayList<>();
        v.forEach(out::add);
        return out;
    }

    static boolean isUuid(String s) {
        return s != null && UUID_TEXT.matcher(s).matches();
    }
}
