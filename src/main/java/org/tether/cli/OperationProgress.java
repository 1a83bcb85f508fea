package org.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How far a running operation is, read from the resource it works on (the operation itself knows only that it
 * runs): a move's or a migration's phase and bytes, a volume's {@code progress_percent} while it moves between
 * pools or is filled (from an image, from a backup), a backup's bytes read of its volume's size. Either part may
 * be unknown; nothing is guessed.
 */
record OperationProgress(String phase, Double fraction) {
    static final OperationProgress UNKNOWN = new OperationProgress(null, null);
    private static final int BAR = 24;
    private static final Pattern VOLUME_MOVE = Pattern.compile("^/v1/volumes/([^/]+)/(?:migrate|retype)$");
    private static final Pattern BACKUP = Pattern.compile("^/v1/(?:instances/[^/]+/)?volumes/([^/]+)/backups$");

    /** What the operation's resource says now; {@link #UNKNOWN} when it is not running or says nothing. */
    static OperationProgress of(Tetherctl root, JsonNode op) {
        return of(root, op, null);
    }

    /**
     * The same, read from the volume at {@code volumePath} when the command knows which volume the operation
     * fills (a volume from an image, a restore): its state is the phase ({@code downloading}, {@code converting}),
     * its {@code progress_percent} how far that phase is.
     */
    static OperationProgress of(Tetherctl root, JsonNode op, String volumePath) {
        String path = op.path("path").asText("");
        if (!"running".equals(op.path("state").asText())) {
            return UNKNOWN;
        }
        if (volumePath != null) {
            return volume(root, volumePath);
        }
        if (path.endsWith("/move") || path.endsWith("/migrations")) {
            JsonNode b = body(root, path);
            if (b == null) {
                return UNKNOWN;
            }
            Double done = path.endsWith("/move") ? ratio(b.path("copied_bytes"), b.path("total_bytes"))
                    : remaining(b.path("memory_remaining"), b.path("memory_total"));
            return new OperationProgress(text(b.path("phase")), done);
        }
        Matcher m = VOLUME_MOVE.matcher(path);
        if (m.matches()) {
            return new OperationProgress(null, volume(root, "/v1/volumes/" + m.group(1)).fraction());
        }
        m = BACKUP.matcher(path);
        if (m.matches()) {
            JsonNode list = body(root, "/v1/backups?volume_id=" + m.group(1));
            if (list != null && list.isArray()) {
                for (JsonNode b : list) {
                    if ("creating".equals(b.path("state").asText())) {
                        return new OperationProgress(null, ratio(b.path("bytes_read"), b.path("size_bytes")));
                    }
                }
            }
        }
        return UNKNOWN;
    }

    /** A volume's state as the phase and its {@code progress_percent}; {@link #UNKNOWN} while it is not made. */
    private static OperationProgress volume(Tetherctl root, String path) {
        JsonNode v = body(root, path);
        if (v == null) {
            return UNKNOWN;
        }
        JsonNode p = v.path("progress_percent");
        return new OperationProgress(text(v.path("state")), p.isNumber() ? p.asDouble() / 100 : null);
    }

    /** {@code , phase copying} for the line shown; empty when the phase is unknown. */
    String phaseSuffix() {
        return phase == null ? "" : ", phase " + phase;
    }

    /** {@code [#########...............]  38 % } on a terminal; empty when how far is unknown. */
    String bar() {
        if (fraction == null) {
            return "";
        }
        double f = Math.max(0, Math.min(1, fraction));
        int filled = (int) Math.round(f * BAR);
        return "[" + "#".repeat(filled) + ".".repeat(BAR - filled) + "] "
                + String.format("%3d %% ", Math.round(f * 100));
    }

    private static JsonNode body(Tetherctl root, String path) {
        AgentClient.Reply r = root.client().get(path);
        return r.ok() ? r.body() : null;
    }

    private static Double ratio(JsonNode part, JsonNode whole) {
        return part.isNumber() && whole.isNumber() && whole.asLong() > 0 ? part.asDouble() / whole.asDouble() : null;
    }

    private static Double remaining(JsonNode remaining, JsonNode total) {
        Double r = ratio(remaining, total);
        return r == null ? null : 1 - r;
    }

    private static String text(JsonNode n) {
        return n.isTextual() ? n.asText() : null;
    }
}
