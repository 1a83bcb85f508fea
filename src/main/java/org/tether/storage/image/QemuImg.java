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
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration INFO_TIMEOUT = Duration.ofSeconds(120);

    /** What qemu-img says of an image. */
    public record Info(String format, long virtualSize, String backingFile, String dataFile) {
    }

    private final CommandRunner runner;
    private final int cpuSeconds;
    private final long addressSpaceBytes;
    private final Duration convertTimeout;

    public QemuImg(CommandRunner runner, int cpuSeconds, int addressSpaceMb, Duration convertTimeout) {
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
            JsonNode n = JSON.readTree(r.stdout());
            JsonNode specific = n.path("format-specific").path("data");
            return new Info(n.path("format").asText(), n.path("virtual-size").asLong(-1),
                    text(n, "backing-filename"), text(specific, "data-file"));
        } catch (IOException e) {
            throw new TetherException(ErrorCode.IMAGE_UNSAFE, "qemu-img info printed no readable JSON");
        }
    }

    /** Writes the image's disk, as raw, into the existing target (which is at least its virtual size). */
    public void convert(Path image, ImageFormat format, VolumeBackend.ImageTarget target) {
        Command.Builder c = Command.of("qemu-img", convertTimeout).args("convert", "-f", format.qemuDriver(),
                "-O", "raw", "-n");
        if (target.blockDevice()) {
            c.args("-t", "none");
        }
        if (target.readsZero()) {
            c.arg("--target-is-zero");
        }
        CommandResult r = runner.run(c.args(image.toString(), target.path()).build());
        if (!r.succeeded()) {
            throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "converting the image failed: "
                    + r.summary());
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isTextual() ? v.asText() : null;
    }
}
