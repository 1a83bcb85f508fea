package org.tether.storage.volume;

import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import org.tether.exec.Command;
import org.tether.exec.CommandResult;
import org.tether.exec.CommandRunner;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.UUID;

/**
 * Volumes as sparse files in one directory, named like Cinder's LVs ({@code volume-<uuid>},
 * {@code _snapshot-<uuid>}). For demos and hosts without device-mapper; tgt exports the files directly.
 * Snapshots and clones are sparse copies, so they cost only the blocks that hold data.
 */
public class FileBackend implements VolumeBackend {
    private static final Duration COPY_TIMEOUT = Duration.ofHours(1);

    private final Path dir;
    private final CommandRunner runner;

    public FileBackend(Path dir, CommandRunner runner) {
        this.runner = runner;
        this.dir = dir.toAbsolutePath(); // target daemons need absolute backing-store paths
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw failure("cannot create " + dir, e);
        }
    }

    private Path volume(UUID id) {
        return dir.resolve("volume-" + id);
    }

    private Path snapshot(UUID id) {
        return dir.resolve("_snapshot-" + id);
    }

    @Override
    public String devicePath(UUID volumeId) {
        return volume(volumeId).toString();
    }

    @Override
    public void create(UUID id, long bytes, boolean thin) {
        Path f = volume(id);
        if (existsWithSize(f, bytes)) {
            return;
        }
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(bytes);
        } catch (IOException e) {
            throw failure("cannot create " + f, e);
        }
    }

    /** A fresh sparse file reads as zeroes, so qemu-img leaves holes where the image has none. */
    @Override
    public ImageTarget imageTarget(UUID id, boolean thin) {
        return new ImageTarget(volume(id).toString(), false, true);
    }

    @Override
    public void createFromSnapshot(UUID id, long bytes, boolean thin, UUID sourceVolume, UUID snapshotId) {
        copyInto(snapshot(snapshotId), volume(id), bytes);
    }

    @Override
    public void cloneVolume(UUID id, long bytes, boolean thin, UUID source) {
        copyInto(volume(source), volume(id), bytes);
    }

    @Override
    public void extend(UUID id, long bytes) {
        try (RandomAccessFile raf = new RandomAccessFile(existing(volume(id)).toFile(), "rw")) {
            if (raf.length() < bytes) {
                raf.setLength(bytes);
            }
        } catch (IOException e) {
            throw failure("cannot extend volume " + id, e);
        }
    }

    @Override
    public void delete(UUID id, boolean thin) {
        deleteIfExists(volume(id));
    }

    @Override
    public void createSnapshot(UUID volumeId, UUID snapshotId, boolean thin) {
        Path src = existing(volume(volumeId));
        try {
            copyInto(src, snapshot(snapshotId), Files.size(src));
        } catch (IOException e) {
            throw failure("cannot snapshot volume " + volumeId, e);
        }
    }

    @Override
    public java.util.Optional<BlockReader> snapshotReader(UUID volume, UUID snapshot) {
        return java.util.Optional.of(FileBlocks.reader(snapshot(snapshot))); // read in place: no copy of the copy
    }

    @Override
    public void deleteSnapshot(UUID volumeId, UUID snapshotId) {
        deleteIfExists(snapshot(snapshotId));
    }

    @Override
    public void revert(UUID volumeId, UUID snapshotId, boolean thin) {
        Path target = existing(volume(volumeId));
        Path tmp = dir.resolve(".revert-" + volumeId);
        try {
            long size = Files.size(target);
            deleteIfExists(tmp);
            copyInto(snapshot(snapshotId), tmp, size);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            deleteIfExists(tmp);
            throw failure("cannot revert volume " + volumeId, e);
        }
    }

    @Override
    public PoolStats stats() {
        try {
            FileStore fs = Files.getFileStore(dir);
            long total = fs.getTotalSpace();
            long free = fs.getUsableSpace();
            double used = total == 0 ? 0 : 100.0 * (total - fs.getUnallocatedSpace()) / total;
            return new PoolStats("file", total, free, Math.round(used * 100) / 100.0, null);
        } catch (IOException e) {
            throw failure("cannot read capacity of " + dir, e);
        }
    }

    /**
     * Copies {@code src} into a new {@code dst} of {@code bytes} length: its extents shared where the filesystem
     * can (a reflink, made in-process), else by cp, which finds the source's holes (SEEK_HOLE), so a copy costs
     * only the blocks that hold data. A destination that already has that size is taken as done (a retried create).
     */
    private void copyInto(Path src, Path dst, long bytes) {
        existing(src);
        if (existsWithSize(dst, bytes)) {
            return;
        }
        Path tmp = dst.resolveSibling("." + dst.getFileName() + ".tmp");
        deleteIfExists(tmp); // what a crash between the copy and the rename left
        if (!Reflink.clone(src, tmp)) {
            CommandResult r = runner.run(Command.of("cp", COPY_TIMEOUT)
                    .args("--sparse=always", "--reflink=auto", "--", src.toString(), tmp.toString()).build());
            if (!r.succeeded()) {
                deleteIfExists(tmp);
                throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, r.summary());
            }
        }
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            if (out.size() > bytes) {
                out.truncate(bytes);
            }
            try (RandomAccessFile raf = new RandomAccessFile(tmp.toFile(), "rw")) {
                raf.setLength(bytes);
            }
            out.force(true);
            Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteIfExists(tmp);
            throw failure("cannot create " + dst.getFileName(), e);
        }
    }

    private static boolean existsWithSize(Path f, long bytes) {
        if (!Files.exists(f)) {
            return false;
        }
        try {
            if (Files.size(f) == bytes) {
                return true;
            }
        } catch (IOException e) {
            throw failure("cannot read " + f, e);
        }
        throw new TetherException(ErrorCode.VOLUME_CONFLICT, f.getFileName() + " exists with another size");
    }

    private static Path existing(Path f) {
        if (!Files.exists(f)) {
            throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, f.getFileName() + " is missing");
        }
        return f;
    }

    private static void deleteIfExists(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            throw failure("cannot delete " + f, e);
        }
    }

    private static TetherException failure(String what, IOException e) {
        return new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, what + ": " + e.getMessage(), e);
    }
}
