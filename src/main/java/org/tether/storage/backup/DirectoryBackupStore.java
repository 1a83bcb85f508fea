package org.tether.storage.backup;

import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A store in a directory (an NFS mount serves): {@code chunks/ab/abcdef...} and {@code manifests/<id>.json}.
 * Every file is written under a temporary name, flushed to disk, and renamed into place, so that a crash leaves
 * whole files or temporaries (never a chunk with half its bytes under its hash).
 */
public final class DirectoryBackupStore implements BackupStore {

    private final String name;
    private final Path chunks;
    private final Path manifests;

    public DirectoryBackupStore(String name, Path root) {
        this.name = name;
        this.chunks = root.resolve("chunks");
        this.manifests = root.resolve("manifests");
    }

    @Override
    public String name() {
        return name;
    }

    private Path chunkPath(String sha) {
        BackupStore.chunkName(sha);
        return chunks.resolve(sha.substring(0, 2)).resolve(sha);
    }

    @Override
    public boolean hasChunk(String sha256) {
        return Files.exists(chunkPath(sha256));
    }

    @Override
    public void putChunk(String sha256, byte[] frame) {
        Path target = chunkPath(sha256);
        if (!Files.exists(target)) {
            write(target, frame);
        }
    }

    @Override
    public Optional<byte[]> chunk(String sha256) {
        return read(chunkPath(sha256));
    }

    @Override
    public void deleteChunk(String sha256) {
        delete(chunkPath(sha256));
    }

    @Override
    public Set<String> chunks() {
        Set<String> out = new HashSet<>();
        if (!Files.isDirectory(chunks)) {
            return out;
        }
        try (Stream<Path> files = Files.walk(chunks, 2)) {
            files.map(p -> p.getFileName().toString()).filter(n -> BackupStore.CHUNK_NAME.matcher(n).matches()).forEach(out::add);
        } catch (IOException e) {
            throw unavailable("list the chunks", e);
        }
        return out;
    }

    @Override
    public void putManifest(UUID backup, byte[] json) {
        write(manifests.resolve(backup + ".json"), json);
    }

    @Override
    public Optional<byte[]> manifest(UUID backup) {
        return read(manifests.resolve(backup + ".json"));
    }

    @Override
    public List<UUID> manifests() {
        if (!Files.isDirectory(manifests)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(manifests)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json"))
                    .map(n -> n.substring(0, n.length() - 5)).flatMap(BackupStore::backupId).sorted().toList();
        } catch (IOException e) {
            throw unavailable("list the manifests", e);
        }
    }

    @Override
    public void deleteManifest(UUID backup) {
        delete(manifests.resolve(backup + ".json"));
    }

    private void write(Path target, byte[] bytes) {
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            Files.createDirectories(target.getParent());
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            try (FileChannel dir = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
                dir.force(true);
            } catch (IOException e) {
                // some file systems (NFS) cannot open a directory for sync; the rename is durable on close there
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the next collection removes it
            }
            throw unavailable("write " + target.getFileName(), e);
        }
    }

    private Optional<byte[]> read(Path file) {
        try {
            return Optional.of(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw unavailable("read " + file.getFileName(), e);
        }
    }

    private void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw unavailable("delete " + file.getFileName(), e);
        }
    }

    private TetherException unavailable(String what, IOException e) {
        return new TetherException(ErrorCode.BACKUP_STORE_UNAVAILABLE, "backup store " + name + " cannot " + what
                + ": " + e.getMessage());
    }
}
