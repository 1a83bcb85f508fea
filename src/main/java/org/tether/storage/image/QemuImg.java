package org.tether.storage.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.exec.Command;
import org.tether.exec.CommandResult;
import org.tether.exec.CommandRunner;
import org.tether.storage.volume.VolumeBackend;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code qemu-img}, only ever with an explicit {@code -f} (never its probe), on a file Tether's own
 * inspector already accepted. {@code info} runs under prlimit (CPU and address space), as Cinder runs it, so
 * a crafted header cannot make it spin or balloon.
 */
public class QemuImg {
    private static final Duration INFO_TIMEOUT = Duration.ofSeconds(120);

    /** What qemu-img says of an image. */
    public record Info(String format, long virtualSize, String backingFile, String dataFile) {
    }

    private final CommandRunner runner;
    private final int cpuSeconds;
    private final long addressSpaceBytes;
    private final Duration convertTimeout;
    private final ObjectMapper json;

    public QemuImg(CommandRunner runner, int cpuSeconds, int addressSpaceMb, Duration convertTimeout,
                   ObjectMapper json) {
        this.json = json;
        this.runner = runner;
        this.cpuSeconds = cpuSeconds;
        this.addressSpaceBytes = (long) addressSpaceMb << 20;
        this.convertTimeout = convertTimeout;
    }

    public Info info(Path image, ImageFormat format) {
        CommandResult r = runner.run(Command.of("prlimit", INFO_TIMEOUT).args("--cpu=" + cpuSeconds,
                "--as=" + addressSpaceBytes, "--", "qemu-img", "info", "-f", format.qemuDriver(), "--output=json",
                image.toString()).build());
        if (!r.succeeded()) {
            throw new TetherException(ErrorCode.IMAGE_UNSAFE, "qemu-img could not read the image as "
                    + format.glanceName() + ": " + r.summary());
        }
        try {
            JsonNode n = json.readTree(r.stdout());
            JsonNode specific = n.path("format-specific").path("data");
            return new Info(n.path("format").asText(), n.path("virtual-size").asLong(-1),
                    text(n, "backing-filename"), text(specific, "data-file"));
        } catch (IOException e) {
            throw new TetherException(ErrorCode.IMAGE_UNSAFE, "qemu-img info printed no readable JSON");
        }
    }

    /** Writes the image's disk, as raw, into the existing target (which is at least its virtual size). */
    public void convert(Path image, ImageFormat format, VolumeBackend.ImageTarget target) {
        convert(image, format, target, null);
    }

    /**
     * Writes the image's disk into the target: as raw, or, with {@code luksPassphrase}, through the LUKS1 header
     * already on the target (QEMU encrypts as it writes, as Cinder's RBD driver converts into an encrypted
     * volume; no plaintext copy of the volume is ever on disk). The passphrase reaches qemu-img as a secret
     * object read from a 0600 file.
     */
    public void convert(Path image, ImageFormat format, VolumeBackend.ImageTarget target,
                        org.tether.encryption.QemuSecretFile luksPassphrase) {
        Command.Builder c = Command.of("qemu-img", convertTimeout).args("convert", "-f", format.qemuDriver(), "-n");
        if (target.blockDevice()) {
            c.args("-t", "none");
        }
        if (luksPassphrase != null) {
            // ciphertext never reads zero: every block of the disk is written, zeros too
            String driver = target.path().startsWith("rbd:") ? "rbd" : target.blockDevice() ? "host_device" : "file";
            c.args("--object", luksPassphrase.object("luks0"), image.toString(), "--target-image-opts",
                    "driver=luks,key-secret=luks0,file.driver=" + driver + ",file.filename="
                            + target.path().replace(",", ",,"));
        } else {
            c.args("-O", "raw");
            if (target.readsZero()) {
                c.arg("--target-is-zero");
            }
            c.args(image.toString(), target.path());
        }
        CommandResult r = runner.run(c.build());
        if (!r.succeeded()) {
            throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "converting the image failed: "
                    + r.summary());
        }
    }

    /**
     * Writes a volume's disk ({@code source}: a file, a block device or {@code rbd:...}, read as raw) into a new
     * image file of {@code format} (raw stays sparse where the volume reads zero).
     */
    public void export(String source, ImageFormat format, Path file) {
        CommandResult r = runner.run(Command.of("qemu-img", convertTimeout).args("convert", "-f", "raw", "-O",
                format.qemuDriver(), source, file.toString()).build());
        if (!r.succeeded()) {
            throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "reading the volume into a "
                    + format.glanceName() + " image failed: " + r.summary());
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isTextual() ? v.asText() : null;
    }
}
