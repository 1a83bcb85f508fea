package org.tether.storage.image;

import org.tether.digest.Digests;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

/**
 * Copies an image's bytes into a scratch file, hashing them on the way, bounded by what was declared (or the
 * configured maximum), by the free space the scratch filesystem must keep, by a stall timeout and a total
 * timeout. A stalled or overlong download is ended by closing its stream from a watchdog.
 */
final class ImageDownload {
    private static final int BUFFER = 1 << 20;
    private static final long SPACE_CHECK_EVERY = 64L << 20;
    /** Glance's os_hash_algo values (hashlib names) and what Java calls them. */
    private static final Map<String, String> ALGORITHMS = Map.of("sha512", "SHA-512", "sha384", "SHA-384",
            "sha256", "SHA-256", "sha224", "SHA-224", "sha1", "SHA-1", "md5", "MD5");

    /** How the copy is bounded. */
    record Limits(long maxBytes, long reserveBytes, Duration stall, Duration total) {
    }

    private final ScheduledExecutorService watchdog;
    private final Clock clock;

    ImageDownload(ScheduledExecutorService watchdog, Clock clock) {
        this.watchdog = watchdog;
        this.clock = clock;
    }

    /**
     * @param declared bytes the source promised, or null
     * @param percent  told the whole percent done whenever it changes (only when the size is known)
     */
    void copy(InputStream in, Path file, ImageMeta meta, Long declared, Limits limits, IntConsumer percent) {
        long cap = declared != null ? declared : limits.maxBytes();
        if (declared != null && declared > limits.maxBytes()) {
            throw new TetherException(ErrorCode.IMAGE_TOO_LARGE, "the image is " + declared + " bytes; at most "
                    + limits.maxBytes() + " are downloaded");
        }
        requireSpace(file, declared == null ? 0 : declared, limits.reserveBytes());
        String hashAlgo = algorithm(meta.hashAlgo());
        boolean md5 = meta.checksum() != null;
        // the declared hash and Glance's md5 checksum, fed together (one copy to libcrypto per read for both)
        String[] algorithms = java.util.stream.Stream.of(hashAlgo, md5 ? "MD5" : null)
                .filter(java.util.Objects::nonNull).toArray(String[]::new);
        AtomicLong lastMove = new AtomicLong(System.nanoTime());
        Instant deadline = clock.instant().plus(limits.total());
        ScheduledFuture<?> guard = watchdog.scheduleAtFixedRate(() -> {
            boolean stalled = System.nanoTime() - lastMove.get() > limits.stall().toNanos();
            if (stalled || clock.instant().isAfter(deadline)) {
                quietClose(in);
            }
        }, 1, 1, TimeUnit.SECONDS);
        long total = 0;
        try (in; OutputStream out = Files.newOutputStream(file); Digests.Running digests = Digests.running(algorithms)) {
            byte[] buf = new byte[BUFFER];
            long nextSpaceCheck = SPACE_CHECK_EVERY;
            int shown = -1;
            for (int n; (n = in.read(buf)) >= 0; ) {
                lastMove.set(System.nanoTime());
                total += n;
                if (total > cap) {
                    throw new TetherException(ErrorCode.IMAGE_TOO_LARGE, declared != null
                            ? "the download ran past the " + declared + " bytes the image declared"
                            : "the download ran past " + cap + " bytes (tether.storage.images.max-download-gb)");
                }
                out.write(buf, 0, n);
                digests.update(buf, 0, n);
                if (total >= nextSpaceCheck) {
                    requireSpace(file, 0, limits.reserveBytes());
                    nextSpaceCheck += SPACE_CHECK_EVERY;
                }
                if (declared != null && declared > 0 && (int) (total * 100 / declared) != shown) {
                    shown = (int) (total * 100 / declared);
                    percent.accept(shown);
                }
            }
            if (declared != null && total != declared) {
                throw new TetherException(ErrorCode.IMAGE_DOWNLOAD_FAILED, "the download ended after " + total
                        + " of the " + declared + " bytes declared");
            }
            int at = 0;
            if (hashAlgo != null) {
                verify(digests.hex(at++), meta.hashValue(), meta.hashAlgo());
            }
            if (md5) {
                verify(digests.hex(at), meta.checksum(), "md5");
            }
        } catch (IOException e) {
            boolean late = clock.instant().isAfter(deadline);
            throw new TetherException(ErrorCode.IMAGE_DOWNLOAD_FAILED, "the download stopped after " + total
                    + " bytes: " + (late ? "it took longer than " + limits.total()
                    : System.nanoTime() - lastMove.get() > limits.stall().toNanos()
                    ? "no data for " + limits.stall() : e.getClass().getSimpleName() + ": " + e.getMessage()));
        } finally {
            guard.cancel(false);
        }
    }

    private static void verify(String actual, String expected, String algo) {
        if (!actual.equalsIgnoreCase(expected)) {
            throw new TetherException(ErrorCode.IMAGE_CHECKSUM_MISMATCH, "the data's " + algo + " is " + actual
                    + ", the image declares " + expected);
        }
    }

    /** The JDK's name of Glance's {@code os_hash_algo}, or null when there is none to check. */
    private static String algorithm(String algo) {
        if (algo == null) {
            return null;
        }
        String java = ALGORITHMS.get(algo.toLowerCase(Locale.ROOT));
        if (java == null) {
            throw new TetherException(ErrorCode.IMAGE_CHECKSUM_MISMATCH, "hash algorithm " + algo
                    + " is not one Tether verifies (" + String.join(", ", ALGORITHMS.keySet()) + ")");
        }
        return java;
    }

    static void requireSpace(Path file, long needed, long reserve) {
        long free;
        try {
            free = Files.getFileStore(file.getParent()).getUsableSpace();
        } catch (IOException e) {
            throw new TetherException(ErrorCode.INSUFFICIENT_SCRATCH_SPACE, "cannot read the free space of "
                    + file.getParent() + ": " + e.getMessage());
        }
        if (free - needed < reserve) {
            throw new TetherException(ErrorCode.INSUFFICIENT_SCRATCH_SPACE, "scratch space " + file.getParent()
                    + " has " + (free >> 20) + " MiB free; the image needs " + (needed >> 20) + " MiB and "
                    + (reserve >> 20) + " MiB must stay free (tether.storage.images.scratch-reserve-mb)");
        }
    }

    private static void quietClose(InputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            // the reader sees the failure either way
        }
    }
}
