package org.tether.storage.image;

import org.tether.config.ImagesConfig;
import org.jboss.logging.Logger;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.storage.volume.VolumeBackend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;

/**
 * An image into a volume: what the source declares is checked first, then the bytes are downloaded into a
 * private scratch file and hashed, then Tether's own inspector decides what they are and whether they are
 * safe, and only then does qemu-img read them (info under limits, then convert). The scratch file is removed
 * on every outcome.
 */
@jakarta.enterprise.context.ApplicationScoped
public class ImageImporter {
    private static final Logger LOG = Logger.getLogger(ImageImporter.class);

    /** How far an import is. */
    public interface Progress {
        void downloading(int percent);

        void converting();
    }

    private final ImageSources sources;
    private final FormatInspector inspector;
    private final QemuImg qemuImg;
    private final ImageDownload download;
    private final Path scratchDir;
    private final ImageDownload.Limits limits;
    private final long maxVirtualBytes;

    @jakarta.inject.Inject
    public ImageImporter(ImageSources sources, org.tether.exec.CommandRunner runner, org.tether.config.TetherConfig config,
                         java.time.Clock clock, com.fasterxml.jackson.databind.ObjectMapper json) {
        this(sources, new FormatInspector(), qemuImg(runner, config.storage().images(), json),
                new ImageDownload(watchdog(), clock), config.storage().images().scratchDir(),
                limits(config.storage().images()), config.storage().images().maxVirtualGb());
    }

    private static QemuImg qemuImg(org.tether.exec.CommandRunner runner, org.tether.config.ImagesConfig c,
                                   com.fasterxml.jackson.databind.ObjectMapper json) {
        return new QemuImg(runner, c.infoCpuSeconds(), c.infoAddressSpaceMb(), c.convertTimeout(), json);
    }

    static ImageDownload.Limits limits(org.tether.config.ImagesConfig c) {
        return new ImageDownload.Limits((long) c.maxDownloadGb() << 30, c.scratchReserveMb() << 20, c.stallTimeout(),
                c.downloadTimeout());
    }

    /** One daemon thread that ends downloads which stall or overrun (by closing their stream). */
    private static java.util.concurrent.ScheduledExecutorService watchdog() {
        return java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tether-download-watchdog");
            t.setDaemon(true);
            return t;
        });
    }

    ImageImporter(ImageSources sources, FormatInspector inspector, QemuImg qemuImg, ImageDownload download,
                  Path scratchDir, ImageDownload.Limits limits, int maxVirtualGb) {
        this.sources = sources;
        this.inspector = inspector;
        this.qemuImg = qemuImg;
        this.download = download;
        this.scratchDir = scratchDir;
        this.limits = limits;
        this.maxVirtualBytes = (long) maxVirtualGb << 30;
    }

    /** The image's record, refused before any byte moves when it cannot fit a volume of {@code volumeGb}. */
    public ImageMeta describe(ImageRequest request, int volumeGb) {
        ImageMeta meta = sources.describe(request);
        if (meta.minDisk() > volumeGb) {
            throw new TetherException(ErrorCode.IMAGE_TOO_LARGE, "size_gb", "image " + meta.id() + " needs min_disk "
                    + meta.minDisk() + " GiB; the volume has " + volumeGb);
        }
        if (meta.virtualSize() != null) {
            requireFits(meta.virtualSize(), (long) volumeGb << 30, meta.id());
        }
        return meta;
    }

    /**
     * Writes the image's disk into the target {@code targetFor} makes once the disk's virtual size is known
     * (a fresh volume, at most {@code maxBytes}).
     */
    public void importInto(ImageRequest request, ImageMeta meta, long maxBytes,
                           java.util.function.LongFunction<VolumeBackend.ImageTarget> targetFor, Progress progress) {
        importInto(request, meta, maxBytes, targetFor, progress, null);
    }

    /** The same, written through the LUKS1 header on the target when {@code luksPassphrase} is given. */
    public void importInto(ImageRequest request, ImageMeta meta, long maxBytes,
                           java.util.function.LongFunction<VolumeBackend.ImageTarget> targetFor, Progress progress,
                           org.tether.encryption.QemuSecretFile luksPassphrase) {
        long volumeBytes = maxBytes;
        Path file = scratchFile();
        try {
            ImageSources.Opened opened = sources.open(request, meta);
            Long declared = meta.size() != null ? meta.size() : opened.length();
            download.copy(opened.data(), file, meta, declared, limits, progress::downloading);
            Inspection found = inspect(file, meta);
            requireFits(found.virtualSize(), volumeBytes, meta.id());
            QemuImg.Info info = qemuImg.info(file, found.format());
            if (info.backingFile() != null || info.dataFile() != null || !info.format().equals(found.format().qemuDriver())) {
                throw new TetherException(ErrorCode.IMAGE_UNSAFE, "qemu-img reads image " + meta.id() + " as "
                        + info.format() + (info.backingFile() != null ? " with a backing file" : "")
                        + (info.dataFile() != null ? " with a data file" : "") + "; Tether's inspector found plain "
                        + found.format().glanceName());
            }
            requireFits(info.virtualSize(), volumeBytes, meta.id());
            progress.converting();
            VolumeBackend.ImageTarget target = targetFor.apply(Math.max(found.virtualSize(), info.virtualSize()));
            qemuImg.convert(file, found.format(), target, luksPassphrase);
            LOG.infof("image %s (%s, %d bytes of disk) written to %s", meta.id(), found.format().glanceName(),
                    found.virtualSize(), target.path().startsWith("rbd:") ? target.path().split(":")[1] : target.path());
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                LOG.warnf("could not remove scratch file %s: %s", file, e.getMessage());
            }
        }
    }

    private Inspection inspect(Path file, ImageMeta meta) {
        Inspection found;
        try {
            found = inspector.inspect(file);
        } catch (UnsafeImage e) {
            throw new TetherException(ErrorCode.IMAGE_UNSAFE, "image " + meta.id() + " refused: " + e.getMessage());
        } catch (IOException e) {
            throw new TetherException(ErrorCode.IMAGE_DOWNLOAD_FAILED, "cannot read the downloaded image: "
                    + e.getMessage());
        }
        ImageFormat declared = meta.diskFormat();
        if (declared != null && declared != found.format() && !(rawBytes(declared) && rawBytes(found.format()))) {
            throw new TetherException(ErrorCode.IMAGE_FORMAT_MISMATCH, "image " + meta.id() + " is declared "
                    + declared.glanceName() + " but its bytes are " + found.format().glanceName());
        }
        return found;
    }

    /** raw and iso are both read as plain bytes; calling one the other changes nothing qemu-img does. */
    private static boolean rawBytes(ImageFormat f) {
        return f == ImageFormat.RAW || f == ImageFormat.ISO;
    }

    private void requireFits(long virtualSize, long volumeBytes, String image) {
        if (virtualSize > maxVirtualBytes) {
            throw new TetherException(ErrorCode.IMAGE_TOO_LARGE, "image " + image + " describes a disk of "
                    + virtualSize + " bytes; at most " + maxVirtualBytes + " (tether.storage.images.max-virtual-gb)");
        }
        if (virtualSize > volumeBytes) {
            throw new TetherException(ErrorCode.IMAGE_TOO_LARGE, "size_gb", "image " + image + " describes a disk of "
                    + virtualSize + " bytes, larger than the volume's " + volumeBytes);
        }
    }

    private Path scratchFile() {
        try {
            Files.createDirectories(scratchDir);
            Files.setPosixFilePermissions(scratchDir, PosixFilePermissions.fromString("rwx------"));
            return scratchDir.resolve("image-" + UUID.randomUUID() + ".part");
        } catch (IOException e) {
            throw new TetherException(ErrorCode.INSUFFICIENT_SCRATCH_SPACE, "cannot prepare scratch directory "
                    + scratchDir + ": " + e.getMessage());
        }
    }

    /** Scratch files a crash left behind; removed at start. */
    public int clearScratch() {
        if (!Files.isDirectory(scratchDir)) {
            return 0;
        }
        int n = 0;
        try (var files = Files.list(scratchDir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (p.getFileName().toString().endsWith(".part") && Files.deleteIfExists(p)) {
                    n++;
                }
            }
        } catch (IOException e) {
            LOG.warnf("could not clear scratch directory %s: %s", scratchDir, e.getMessage());
        }
        return n;
    }
}
