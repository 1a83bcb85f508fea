package org.tether.security;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import org.tether.config.TetherConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One JSON line per audited call: when, who, what (method and path, which name the domain, volume or
 * export), the answer and how long it took. Request bodies are never written, so no secret can be.
 * The lines go to the logger {@code tether.audit}, which {@code application.properties} sends only to its
 * own size-rotated file handler ({@code tether.api.audit-file}, flushed after every line, a kept count of
 * rotated files): the logging stack rotates, not this class. The file is narrowed to 0600 at start (the
 * service's {@code UMask=0077} keeps rotated files so).
 */
@ApplicationScoped
public class AuditLog {
    private static final Logger LOG = Logger.getLogger(AuditLog.class);
    /** The category the audit handler is bound to; nothing else is logged there. */
    public static final String CATEGORY = "tether.audit";
    private static final Logger AUDIT = Logger.getLogger(CATEGORY);
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final Path file;
    private final ObjectMapper json;

    @Inject
    public AuditLog(TetherConfig config, ObjectMapper json) {
        this.file = config.api().auditFile();
        this.json = json;
    }

    public record Entry(Instant at, String who, String method, String path, int status, long durationMs,
                        String remote, String problem) {
    }

    /** A file found with a mode wider than 0600 is narrowed before any call is answered. */
    void onStart(@Observes StartupEvent event) {
        try {
            if (Files.exists(file) && !Files.getPosixFilePermissions(file).equals(OWNER_ONLY)) {
                LOG.warnf("audit log %s had mode %s; set to 0600", file,
                        PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
                Files.setPosixFilePermissions(file, OWNER_ONLY);
            }
        } catch (IOException | UnsupportedOperationException e) {
            LOG.errorf("cannot check the audit log's mode %s: %s", file, e.getMessage());
        }
    }

    public void write(Entry e) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("at", e.at().toString());
        line.put("who", e.who());
        line.put("method", e.method());
        line.put("path", e.path());
        line.put("status", e.status());
        line.put("duration_ms", e.durationMs());
        line.put("remote", e.remote());
        if (e.problem() != null) {
            line.put("problem", e.problem());
        }
        try {
            AUDIT.info(json.writeValueAsString(line));
        } catch (JsonProcessingException ex) {
            LOG.errorf("cannot write an audit line: %s", ex.getMessage());
        }
    }
}
