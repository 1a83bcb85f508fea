package org.tether.docs;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * The API reference ({@code docs/api-reference.md}), made from the agent's own OpenAPI document: every operation
 * with its summary, parameters, request body and the answers it documents.
 */
final class ApiReference {
    /** What SmallRye writes when an operation documents nothing itself. */
    static final Set<String> GENERIC = Set.of("OK", "Created", "Accepted", "No Content", "Bad Request", "Not Found");
    private static final List<String> METHODS = List.of("get", "put", "post", "delete");

    private ApiReference() {
    }

    /** Operations ({@code METHOD /path}) without a summary, without a 2xx, or with one of SmallRye's generic answers. */
    static List<String> undocumented(JsonNode openapi) {
        List<String> out = new ArrayList<>();
        operations(openapi, (name, op) -> {
            boolean success = false;
            boolean generic = false;
            for (var r : iterable(op.path("responses").fields())) {
                success |= r.getKey().startsWith("2");
                generic |= GENERIC.contains(r.getValue().path("description").asText());
            }
            if (op.path("summary").asText().isBlank() || !success || generic) {
                out.add(name);
            }
        });
        return out;
    }

    static String markdown(JsonNode openapi) {
        StringBuilder b = new StringBuilder();
        b.append("# API reference\n\n");
        b.append("Every operation of the agent's REST API, made from its own OpenAPI document (`/q/openapi`, also at\n");
        b.append("`target/openapi/` after a build); `ApiReferenceTest` fails when an operation lacks a summary or its\n");
        b.append("answers, or when this page differs from the code (`mvn test -Pfast -Dtest=ApiReferenceTest\n");
        b.append("-Ddocs.write=true`). Bodies and fields are snake_case; errors are `application/problem+json`\n");
        b.append("with a stable `code` ([troubleshooting.md](troubleshooting.md)). Any mutating call may also be made\n");
        b.append("asynchronous with `Prefer: respond-async` or a `callback_url` (202 and a Location); the narrative is in\n");
        b.append("[api.md](api.md).\n");
        String[] section = {null};
        operations(openapi, (name, op) -> {
            String path = name.substring(name.indexOf(' ') + 1);
            String top = path.split("/").length > 2 ? path.split("/")[2] : path;
            if (!top.equals(section[0])) {
                section[0] = top;
                b.append("\n## ").append(top).append("\n");
            }
            b.append("\n### `").append(name).append("`\n\n").append(op.path("summary").asText()).append("\n\n");
            List<String> params = new ArrayList<>();
            for (JsonNode p : op.path("parameters")) {
                params.add("`" + p.path("name").asText() + "` (" + p.path("in").asText() + ")");
            }
            if (!params.isEmpty()) {
                b.append("Parameters: ").append(String.join(", ", params)).append(".\n\n");
            }
            JsonNode body = op.path("requestBody").path("content").path("application/json").path("schema");
            if (!body.isMissingNode()) {
                b.append("Body: `").append(schemaName(body)).append("`.\n\n");
            }
            for (var r : iterable(op.path("responses").fields())) {
                b.append("- `").append(r.getKey()).append("` ").append(r.getValue().path("description").asText()
                        .replaceAll("\\s+", " ").strip()).append("\n");
            }
        });
        return b.toString();
    }

    private static String schemaName(JsonNode schema) {
        String ref = schema.path("$ref").asText("");
        return ref.isEmpty() ? schema.path("type").asText("object") : ref.substring(ref.lastIndexOf('/') + 1);
    }

    private static void operations(JsonNode openapi, java.util.function.BiConsumer<String, JsonNode> each) {
        TreeMap<String, JsonNode> paths = new TreeMap<>();
        openapi.path("paths").fields().forEachRemaining(e -> paths.put(e.getKey(), e.getValue()));
        paths.forEach((path, item) -> {
            for (String m : METHODS) {
                if (item.has(m)) {
                    each.accept(m.toUpperCase(java.util.Locale.ROOT) + " " + path, item.get(m));
                }
            }
        });
    }

    private static <T> Iterable<T> iterable(java.util.Iterator<T> it) {
        return () -> it;
    }
}
