package org.tether.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * How an answer is shown, as {@code openstack -f} shows it: an aligned table for people, the whole answer as
 * JSON or YAML for scripts, or the chosen columns' bare values, one row per line, for shell pipelines.
 */
enum Output {
    TABLE, JSON, YAML, VALUE;

    private static final ObjectMapper PRETTY = new ObjectMapper();

    /** A column: its heading and the field it shows ({@code a.b} for a nested one). */
    record Column(String heading, String field) {
        static Column of(String field) {
            String last = field.substring(field.lastIndexOf('.') + 1); // capabilities.total_gb: TOTAL GB
            return new Column(last.toUpperCase(java.util.Locale.ROOT).replace('_', ' '), field);
        }
    }

    void print(PrintWriter out, JsonNode body, List<Column> columns) {
        switch (this) {
            case JSON -> out.println(write(PRETTY, body));
            case YAML -> out.print(write(new ObjectMapper(new YAMLFactory()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)), body));
            case VALUE -> rows(body).forEach(r -> out.println(String.join(" ", cells(r, columns))));
            case TABLE -> table(out, body, columns);
        }
        out.flush();
    }

    private static String write(ObjectMapper m, JsonNode body) {
        try {
            return m.writerWithDefaultPrettyPrinter().writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<JsonNode> rows(JsonNode body) {
        List<JsonNode> rows = new ArrayList<>();
        if (body != null && body.isArray()) {
            body.forEach(rows::add);
        } else if (body != null) {
            rows.add(body);
        }
        return rows;
    }

    private static List<String> cells(JsonNode row, List<Column> columns) {
        return columns.stream().map(c -> text(field(row, c.field()))).toList();
    }

    static JsonNode field(JsonNode row, String path) {
        JsonNode n = row;
        for (String part : path.split("\\.")) {
            n = n == null ? null : n.get(part);
        }
        return n;
    }

    static String text(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return "-";
        }
        if (n.isValueNode()) {
            return n.asText();
        }
        if (n.isArray() && n.size() == 0) {
            return "-";
        }
        return n.toString();
    }

    private static void table(PrintWriter out, JsonNode body, List<Column> columns) {
        List<List<String>> lines = new ArrayList<>();
        lines.add(columns.stream().map(Column::heading).toList());
        rows(body).forEach(r -> lines.add(cells(r, columns)));
        int[] width = new int[columns.size()];
        for (List<String> l : lines) {
            for (int i = 0; i < l.size(); i++) {
                width[i] = Math.max(width[i], l.get(i).length());
            }
        }
        for (List<String> l : lines) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < l.size(); i++) {
                b.append(i == l.size() - 1 ? l.get(i) : String.format("%-" + width[i] + "s  ", l.get(i)));
            }
            out.println(b.toString().stripTrailing());
        }
    }
}
