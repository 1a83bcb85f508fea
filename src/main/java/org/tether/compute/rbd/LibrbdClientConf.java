package org.tether.compute.rbd;

import jakarta.enterprise.context.ApplicationScoped;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

/**
 * The small ceph.conf QEMU's librbd reads for the disks Tether plugs: it bounds how long librbd hunts for a
 * monitor that lets it in. librbd's default is 300 s, and a wrong key (or an unreachable cluster) makes it
 * wait all of it inside {@code blockdev-add}, holding the domain's job; with the bound the attach fails in
 * {@code tether.ceph.connect-timeout} and is rolled back. Only the connect is bounded: no operation timeout
 * is set, so a disk whose cluster goes away later waits for it rather than failing the guest's I/O. No
 * secret is in it; QEMU's user must read it.
 */
@ApplicationScoped
public class LibrbdClientConf {
    private final Path file;
    private final Duration timeout;

    public LibrbdClientConf(TetherConfig config) {
        this.file = config.ceph().clientConf().toAbsolutePath(); // QEMU does not run in our directory
        this.timeout = config.ceph().connectTimeout();
    }

    /** Where {@link #ensure} writes the file, without writing it. */
    public String path() {
        return file.toString();
    }

    /** Writes the file when it is missing or differs; returns its path. */
    public synchronized String ensure() {
        long seconds = Math.max(1, timeout.toSeconds());
        String text = "# written by the Tether agent for QEMU's librbd; changes are overwritten\n"
                + "[global]\n"
                + "client_mount_timeout = " + seconds + "\n";
        try {
            if (Files.exists(file) && Files.readString(file, StandardCharsets.US_ASCII).equals(text)) {
                return file.toString();
            }
            if (!Files.isDirectory(file.getParent())) {
                // QEMU runs as its own user: the directory must be searchable whatever the agent's umask
                Files.createDirectories(file.getParent());
                Files.setPosixFilePermissions(file.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            Path tmp = Files.createTempFile(file.getParent(), ".librbd", ".tmp");
            Files.writeString(tmp, text, StandardCharsets.US_ASCII);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return file.toString();
        } catch (IOException e) {
            throw new TetherException(ErrorCode.STATE_IO, "cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
