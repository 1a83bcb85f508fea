package org.tether.state;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The attachments this host holds, one small JSON file each under {@code <state-dir>/attachments}. Every
 * write goes to a temporary file that is fsynced and renamed over the old one, so a crash leaves either
 * the old or the new record, never half of one. Callers serialise writes per attachment (volume lock).
 */
@ApplicationScoped
public class AttachmentJournal {
    private static final Logger LOG = Logger.getLogger(AttachmentJournal.class);
    private static final String SUFFIX = ".json";

    private final Path dir;
    private final ObjectMapper json = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(SerializationFeature.INDENT_OUTPUT);
    private final ConcurrentHashMap<String, AttachmentRecord> cache = new ConcurrentHashMap<>();

    @Inject
    public AttachmentJournal(TetherConfig config) {
        this(config.stateDir().resolve("attachments"));
    }

    public AttachmentJournal(Path dir) {
        this.dir = dir;
        load();
    }

    private void load() {
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new TetherException(ErrorCode.STATE_IO, "cannot create state directory " + dir, e);
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                try {
                    AttachmentRecord r = json.readValue(f.toFile(), AttachmentRecord.class);
                    cache.put(r.key(), r);
                } catch (IOException e) {
                    // keep the file for the operator; an unreadable record must not be silently lost
                    LOG.errorf("unreadable attachment record %s: %s", f, e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new TetherException(ErrorCode.STATE_IO, "cannot read state directory " + dir, e);
        }
    }

    public Optional<AttachmentRecord> find(UUID volumeId, String domain) {
        return Optional.ofNullable(cache.get(AttachmentRecord.key(volumeId, domain)));
    }

    /** Every record for a volume, on any domain (more than one only with multiattach). */
    public List<AttachmentRecord> forVolume(UUID volumeId) {
        return cache.values().stream().filter(r -> r.volumeId().equals(volumeId)).toList();
    }

    public List<AttachmentRecord> all() {
        List<AttachmentRecord> out = new ArrayList<>(cache.values());
        out.sort(Comparator.comparing(AttachmentRecord::createdAt).thenComparing((AttachmentRecord r) -> r.key()));
        return out;
    }

    public void put(AttachmentRecord record) {
        Path target = file(record.key());
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            byte[] bytes = json.writeValueAsBytes(record);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
                ch.write(java.nio.ByteBuffer.wrap(bytes));
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDir();
        } catch (IOException e) {
            throw new TetherException(ErrorCode.STATE_IO, "cannot write attachment record " + target, e);
        }
        cache.put(record.key(), record);
    }

    public void remove(AttachmentRecord record) {
        try {
            Files.deleteIfExists(file(record.key()));
            syncDir();
        } catch (IOException e) {
            throw new TetherException(ErrorCode.STATE_IO, "cannot remove attachment record " + record.key(), e);
        }
        cache.remove(record.key());
    }

    private Path file(String key) {
        if (key.contains("/") || key.startsWith(".")) {
            throw new IllegalArgumentException("unsafe record key " + key);
        }
        return dir.resolve(key + SUFFIX);
    }

    private void syncDir() throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
