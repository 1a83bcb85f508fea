package org.tether.security;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import org.tether.config.TetherConfig;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One JSON line per audited call: when, who, what (method and path, which name the domain, volume or
 * export), the answer and how long it took. Request bodies are never written, so no secret can be.
 */
@ApplicationScoped
public class AuditLog {
    private static final Logger LOG = Logger.getLogger(AuditLog.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> OWNER_ONLY =
            PosixFilePermissions.fromString("rw-------");

    private final Path file;
    private FileChannel channel;

    @Inject
    public AuditLog(TetherConfig config) {
        this(config.api().auditFile());
    }

    public AuditLog(Path file) {
        this.file = file;
    }

    public record Entry(Instant at, String who, String method, String path, int status, long durationMs,
                        String remote, String problem) {
    }

    /** Opens (and if need be creates or narrows) the file at start, so a wrong mode is fixed before any call. */
    void onStart(@jakarta.enterprise.event.Observes io.quarkus.runtime.StartupEvent event) {
        try {
            synchronized (this) {
                channel();
            }
        } catch (IOException ex) {
            LOG.errorf("cannot open the audit log %s: %s", file, ex.getMessage());
        }
    }

    public synchronized void write(Entry e) {
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
            FileChannel c = channel();
            c.write(ByteBuffer.wrap((JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8)));
            c.force(false); // on disk before the answer goes out: a crash right after cannot lose the line
        } catch (IOException ex) {
            LOG.errorf("cannot write the audit log %s: %s", file, ex.getMessage());
        }
    }

    private FileChannel channel() throws IOException {
        if (channel == null) {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            if (!Files.exists(file)) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            } else if (!Files.getPosixFilePermissions(file).equals(OWNER_ONLY)) {
                LOG.warnf("audit log %s had mode %s; set to 0600", file,
                        PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
                Files.setPosixFilePermissions(file, OWNER_ONLY);
            }
            channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        }
        return channel;
    }

    @PreDestroy
    synchronized void close() throws IOException {
        if (channel != null) {
            channel.close();
        }
    }
}
