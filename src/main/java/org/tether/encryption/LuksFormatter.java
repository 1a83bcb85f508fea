package org.tether.encryption;

import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.exec.Command;
import org.tether.exec.CommandResult;
import org.tether.exec.CommandRunner;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

/**
 * Writes a LUKS1 header onto a fresh volume with {@code qemu-img create -f luks}, as Cinder's RBD driver
 * formats an encrypted volume: the passphrase reaches qemu-img as a secret object read from a file (0600, in
 * a 0700 directory, overwritten and removed at once), never in its arguments. The volume keeps its size; the
 * guest sees it less the header (about 2 MiB), as with Nova and Cinder.
 */
public final class LuksFormatter {
    /** Room left for the header: LUKS1 with a 512-bit key takes 4040 sectors (just under 2 MiB). */
    public static final long HEADER_ROOM = 4L << 20;
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    /** Times qemu-img is run when its PBKDF calibration read no CPU time (see below). */
    private static final int CALIBRATION_ATTEMPTS = 3;

    private final CommandRunner runner;
    private final Path keyDir;
    private final Duration iterTime;

    /** @param keyDir where the passphrase file lives for the instant qemu-img reads it (made 0700) */
    public LuksFormatter(CommandRunner runner, Path keyDir) {
        this(runner, keyDir, null);
    }

    /** @param iterTime the PBKDF's calibrated time ({@code tether.encryption.luks-iter-time}); null: qemu-img's */
    public LuksFormatter(CommandRunner runner, Path keyDir, Duration iterTime) {
        if (iterTime != null && iterTime.toMillis() < 10) {
            throw new IllegalArgumentException("tether.encryption.luks-iter-time is " + iterTime.toMillis()
                    + " ms; at least 10 ms");
        }
        this.runner = runner;
        this.keyDir = keyDir;
        this.iterTime = iterTime;
    }

    /**
     * @param path  the volume: a file or a block device (the storage side's new volume, or the host's device
     *              of a blank one on the kernel path), or qemu's {@code rbd:pool/image:...} of an existing RBD
     *              image (qemu-img cannot create onto an image that exists: the header is made in a file of the
     *              agent's, 0600 in its 0700 key directory, and copied onto the image's first bytes)
     * @param bytes the volume's size, which it keeps; the payload is that less the header
     */
    public void format(String path, long bytes, EncryptionSpec spec, byte[] passphrase) {
        if (bytes <= HEADER_ROOM) {
            throw TetherException.invalid("size", "a volume of " + bytes + " bytes has no room for a LUKS header");
        }
        if (path.startsWith("rbd:")) {
            onto(List.of(path), null, spec, passphrase);
            return;
        }
        try (QemuSecretFile secret = QemuSecretFile.write(keyDir, passphrase)) {
            create(Command.of("qemu-img", TIMEOUT).args("create", "-q", "-f", "luks", "--object",
                    secret.object("sec0"), "-o", options(spec), path, Long.toString(bytes - HEADER_ROOM)).build());
            Path file = Path.of(path);
            if (Files.isRegularFile(file)) {
                // qemu-img sized the file to header + payload; the volume keeps the size it was made with
                try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                    f.setLength(bytes);
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "writing the LUKS header failed: "
                    + e.getMessage(), e);
        }
    }

    /**
     * Writes a LUKS1 header onto a volume qemu-img reaches through {@code --image-opts} (QEMU's own iSCSI or
     * librbd client), whose protocol node's secret, if any, is {@code key0}: the header is made in a file of the
     * agent's (0600, in its 0700 key directory) and copied onto the volume's first bytes.
     */
    public void formatOnto(String fileOptions, byte[] targetSecret, EncryptionSpec spec, byte[] passphrase) {
        onto(List.of("--target-image-opts", "driver=raw," + fileOptions), targetSecret, spec, passphrase);
    }

    private void onto(List<String> target, byte[] targetSecret, EncryptionSpec spec, byte[] passphrase) {
        Path header = null;
        try (QemuSecretFile secret = QemuSecretFile.write(keyDir, passphrase)) {
            header = Files.createTempFile(keyDir, "header-", ".luks",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            // a header with no payload: LUKS1 has no size of its own, the payload is the volume less the header
            create(Command.of("qemu-img", TIMEOUT).args("create", "-q", "-f", "luks", "--object",
                    secret.object("sec0"), "-o", options(spec), header.toString(), "0").build());
            try (QemuSecretFile key = targetSecret == null ? null : QemuSecretFile.write(keyDir, targetSecret)) {
                Command.Builder copy = Command.of("qemu-img", TIMEOUT).args("convert", "-n");
                if (key != null) {
                    copy.args("--object", key.object("key0"));
                }
                copy.args("-f", "raw", header.toString());
                if (target.size() == 1) {
                    copy.args("-O", "raw");
                }
                CommandResult copied = runner.run(copy.args(target.toArray(String[]::new)).build());
                if (!copied.succeeded()) {
                    throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "writing the LUKS header onto the "
                            + "volume failed: " + copied.summary());
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "writing the LUKS header failed: "
                    + e.getMessage(), e);
        } finally {
            if (header != null) {
                try {
                    Files.deleteIfExists(header);
                } catch (IOException ignored) {
                    // in the agent's 0700 key directory; the key slots in it open only with the passphrase
                }
            }
        }
    }

    private String options(EncryptionSpec spec) {
        StringBuilder opts = new StringBuilder("key-secret=sec0,cipher-alg=").append(spec.cipherAlg())
                .append(",cipher-mode=").append(spec.cipherMode()).append(",ivgen-alg=").append(spec.ivgenAlg());
        if (spec.ivgenHash() != null) {
            opts.append(",ivgen-hash-alg=").append(spec.ivgenHash());
        }
        // sha512 for the PBKDF: qemu-img calibrates its iteration count by the thread's CPU clock, and with
        // sha256 (fast where the CPU has SHA instructions) a coarse clock reads no time at all, which it
        // refuses ("Unable to get accurate CPU usage"); the header names its hash, every LUKS1 reader takes it
        opts.append(",hash-alg=sha512");
        if (iterTime != null) {
            opts.append(",iter-time=").append(iterTime.toMillis());
        }
        return opts.toString();
    }

    private void create(Command create) {
        CommandResult r = runner.run(create);
        for (int attempt = 1; attempt < CALIBRATION_ATTEMPTS && !r.succeeded()
                && r.stderr().contains("Unable to get accurate CPU usage"); attempt++) {
            r = runner.run(create);
        }
        if (!r.succeeded()) {
            throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "writing the LUKS header failed: "
                    + r.summary());
        }
    }
}
