package org.tether.encryption;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A secret (a LUKS passphrase, a CHAP password) handed to qemu-img or qemu-io as a {@code secret} object read
 * from a file, so it is never in a command's arguments: the file is 0600 in a 0700 directory of the agent's,
 * and {@link #close()} overwrites it with zeros and removes it.
 */
public final class QemuSecretFile implements AutoCloseable {
    private final Path path;
    private final int length;

    private QemuSecretFile(Path path, int length) {
        this.path = path;
        this.length = length;
    }

    public static QemuSecretFile write(Path dir, byte[] secret) {
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            Path file = Files.createTempFile(dir, "secret-", ".bin",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            QemuSecretFile s = new QemuSecretFile(file, secret.length);
            try {
                Files.write(file, secret, StandardOpenOption.TRUNCATE_EXISTING);
            } catch (IOException e) {
                s.close();
                throw e;
            }
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a secret file under " + dir, e);
        }
    }

    public Path path() {
        return path;
    }

    /** The {@code --object} argument that makes the file's bytes secret {@code id}. */
    public String object(String id) {
        return "secret,id=" + id + ",format=raw,file=" + path;
    }

    @Override
    public void close() {
        try {
            Files.write(path, new byte[length], StandardOpenOption.TRUNCATE_EXISTING);
            Files.delete(path);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException ignored) {
                // the directory is 0700 and the agent's own; nothing else reads it
            }
        }
    }
}
