package org.tether.storage.volume;

import org.tether.encryption.EncryptionSpec;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.exec.Command;
import org.tether.exec.CommandResult;
import org.tether.exec.CommandRunner;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

/**
 * Writes a LUKS1 header onto a fresh volume with {@code qemu-img create -f luks}, as Cinder's RBD driver
 * formats an encrypted volume: the passphrase reaches qemu-img as a secret object read from a file (0600, in
 * a 0700 directory, overwritten and removed at once), never in its arguments. The volume keeps its size; the
 * guest sees it less the header (about 2 MiB), as with Nova and Cinder.
 */
public final class LuksFormatter {
    /** Room left for the header: LUKS1 with a 512-bit key takes 4040 sectors (just under 2 MiB). */
    private static final long HEADER_ROOM = 4L << 20;
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    /** Times qemu-img is run when its PBKDF calibration read no CPU time (see below). */
    private static final int CALIBRATION_ATTEMPTS = 3;

    private final CommandRunner runner;
    private final Path keyDir;

    /** @param keyDir where the passphrase file lives for the instant qemu-img reads it (made 0700) */
    public LuksFormatter(CommandRunner runner, Path keyDir) {
        this.runner = runner;
        this.keyDir = keyDir;
    }

    public void format(VolumeBackend.ImageTarget target, long bytes, EncryptionSpec spec, byte[] passphrase) {
        if (target.path().startsWith("rbd:")) {
            throw new TetherException(ErrorCode.UNSUPPORTED_ENCRYPTION, "encryption", "encrypted volumes on RBD "
                    + "pools are not supported yet");
        }
        Path secret = null;
        try {
            Files.createDirectories(keyDir);
            Files.setPosixFilePermissions(keyDir, PosixFilePermissions.fromString("rwx------"));
            secret = Files.createTempFile(keyDir, "luks-", ".key",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(secret, passphrase, StandardOpenOption.TRUNCATE_EXISTING);
            StringBuilder opts = new StringBuilder("key-secret=sec0,cipher-alg=").append(spec.cipherAlg())
                    .append(",cipher-mode=").append(spec.cipherMode()).append(",ivgen-alg=").append(spec.ivgenAlg());
            if (spec.ivgenHash() != null) {
                opts.append(",ivgen-hash-alg=").append(spec.ivgenHash());
            }
            // sha512 for the PBKDF: qemu-img calibrates its iteration count by the thread's CPU clock, and with
            // sha256 (fast where the CPU has SHA instructions) a coarse clock reads no time at all, which it
            // refuses ("Unable to get accurate CPU usage"); the header names its hash, every LUKS1 reader takes it
            opts.append(",hash-alg=sha512");
            Command create = Command.of("qemu-img", TIMEOUT).args("create", "-q", "-f", "luks", "--object",
                    "secret,id=sec0,format=raw,file=" + secret, "-o", opts.toString(), target.path(),
                    Long.toString(bytes - HEADER_ROOM)).build();
            CommandResult r = runner.run(create);
            for (int attempt = 1; attempt < CALIBRATION_ATTEMPTS && !r.succeeded()
                    && r.stderr().contains("Unable to get accurate CPU usage"); attempt++) {
                r = runner.run(create);
            }
            if (!r.succeeded()) {
                throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "writing the LUKS header failed: "
                        + r.summary());
            }
            Path file = Path.of(target.path());
            if (Files.isRegularFile(file)) {
                // qemu-img sized the file to header + payload; the volume keeps the size it was made with
                try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                    f.setLength(bytes);
                }
            }
        } catch (IOException e) {
            throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "writing the LUKS header failed: "
                    + e.getMessage(), e);
        } finally {
            if (secret != null) {
                wipe(secret, passphrase.length);
            }
        }
    }

    private static void wipe(Path file, int length) {
        try {
            Files.write(file, new byte[length], StandardOpenOption.TRUNCATE_EXISTING);
            Files.delete(file);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // the directory is 0700 and the agent's own; the next format reuses none of it
            }
        }
    }
}
