package org.tether.operations;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * An asynchronous call's answer as the agent keeps it (on disk for days, in GET /v1/operations and in the
 * callback): every secret-bearing field (an export's CHAP password, a key, a passphrase) is removed and
 * its path listed under {@code redacted}. The synchronous answer is the only one that carries a secret; a
 * controller that needs it repeats the call (exports are idempotent and answer the same CHAP credentials).
 */
final class ResultRedaction {
    /** An answer that went through {@link #redact}: the only kind an operation record keeps. */
    static final class Redacted {
        private final String json;

        private Redacted(String json) {
            this.json = json;
        }

        String json() {
            return json;
        }
    }

    /** Names of fields that hold secrets in what the agent answers (lower case, matched exactly or as a suffix). */
    private static final Set<String> SECRET_NAMES = Set.of("auth_password", "auth_password_in", "password",
            "secret", "keyring", "passphrase", "key", "token", "discovery_auth_password",
            "discovery_auth_password_in");

    private final ObjectMapper mapper;

    ResultRedaction(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    Redacted redact(String result) {
        return new Redacted(stripped(result));
    }

    private String stripped(String result) {
        if (result == null || result.isEmpty()) {
            return result;
        }
        JsonNode tree;
        try {
            tree = mapper.readTree(result);
        } catch (IOException e) {
            return result; // not JSON: a problem text the agent wrote itself, no field to hold a secret
        }
        List<String> removed = new ArrayList<>();
        strip(tree, "", removed);
        if (removed.isEmpty()) {
            return result;
        }
        if (tree instanceof ObjectNode o) {
            ArrayNode list = o.putArray("redacted");
            removed.forEach(list::add);
        }
        try {
            return mapper.writeValueAsString(tree);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void strip(JsonNode node, String path, List<String> removed) {
        if (node instanceof ObjectNode o) {
            List<String> names = new ArrayList<>();
            o.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                String at = path.isEmpty() ? name : path + "." + name;
                if (secret(name) && !o.get(name).isNull()) {
                    o.remove(name);
                    removed.add(at);
                } else {
                    strip(o.get(name), at, removed);
                }
            }
        } else if (node instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                strip(a.get(i), path + "[" + i + "]", removed);
            }
        }
    }

    private static boolean secret(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return SECRET_NAMES.contains(n) || n.endsWith("_password") || n.endsWith("_secret")
                || n.endsWith("_passphrase");
    }
}
