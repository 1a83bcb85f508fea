package org.tether.state;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import org.jboss.logging.Logger;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Records of one kind, one small private JSON file each in one directory, cached in memory. Every write goes
 * to a temporary file that is fsynced and renamed over the old one, so a crash leaves the old or the new
 * record, never half of one. Callers serialise writes per key.
 */
public final class JsonFileStore<T> {
    private static final Logger LOG = Logger.getLogger(JsonFileStore.class);
    private static final String SUFFIX = ".json";
    /**
     * The state files' format, the agent's one mapper besides Quarkus's (which every other class is given):
     * it differs on purpose, as a file format must. Unknown fields are ignored so that an agent rolled back
     * reads what a newer one wrote (the API refuses them); nulls are written, so a record shows every field;
     * indented, for an operator reading it. Changing it changes files already on hosts.
     */
    static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private final Path dir;
    private final Class<T> type;
    private final Function<T, String> key;
    private final ConcurrentHashMap<String, T> cache = new ConcurrentHashMap<>();

    public JsonFileStore(Path dir, Class<T> type, Function<T, String> key) {
        this.dir = dir;
        this.type = type;
        this.key = key;
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
                    T r = JSON.readValue(f.toFile(), type);
                    cache.put(key.apply(r), r);
                } catch (IOException e) {
                    // keep the file for the operator; an unreadable record must not be silently lost
                    LOG.errorf("unreadable record %s: %s", f, e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new TetherException(ErrorCode.STATE_IO, "cannot read state directory " + dir, e);
        }
    }

    public Optional<T> get(String k) {
        return Optional.ofNullable(cache.get(k));
    }

    public List<T> all() {
        return new ArrayList<>(cache.values());
    }

    public void put(T record) {
        String k = key.apply(record);
        Path target = file(k);
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            byte[] bytes = JSON.writeValueAsBytes(record);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
                ch.write(ByteBuffer.wrap(bytes));
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDir();
        } catch (IOException e) {
            throw new TetherException(ErrorCode.STATE_IO, "cannot write record " + target, e);
        }
        cache.put(k, record);
    }

    public void remove(String k) {
        try {
            Files.deleteIfExists(file(k));
            syncDir();
        } catch (IOException e) {
            throw new TetherException(ErrorCode.STATE_IO, "cannot remove record " + k, e);
        }
        cache.remove(k);
    }

    private Path file(String k) {
        if (k.contains("/") || k.startsWith(".") || k.isEmpty()) {
            throw new IllegalArgumentException("unsafe record key " + k);
        }
        return dir.resolve(k + SUFFIX);
    }

    private void syncDir() throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
