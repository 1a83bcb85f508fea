package org.tether.config;

import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Volumes made from images (Glance, or a URL for operators without OpenStack): where downloads wait, what
 * is accepted, how long it may take, and the image-volume cache.
 */
public interface ImagesConfig {
    /** Downloads wait here (a private 0700 directory), and are removed on every outcome. */
    @WithDefault("/var/lib/tether/image-scratch")
    Path scratchDir();

    /** Free space a download must leave on the scratch filesystem (the agent's state may share it). */
    @WithDefault("1024")
    long scratchReserveMb();

    /** No image may describe a disk larger than this, whatever the volume's size. */
    @WithDefault("1024")
    int maxVirtualGb();

    /** A download with no declared size (a URL) stops at this many GiB. */
    @WithDefault("64")
    int maxDownloadGb();

    /** Hosts an http(s) image URL may name (exact, case-insensitive); unset = URLs are refused. */
    Optional<java.util.List<String>> urlHosts();

    /** {@code file://} URLs must name a file under this directory; unset = file URLs are refused. */
    Optional<Path> fileDir();

    /** PEM CA certificates for https image URLs; unset = the JVM's trust store. */
    Optional<Path> caFile();

    /** A download that moves no byte for this long is abandoned. */
    @WithDefault("60s")
    Duration stallTimeout();

    /** Longest a download of an image from Glance may take. */
    @WithDefault("6h")
    Duration downloadTimeout();

    /** Longest a {@code qemu-img convert} of an image into a volume may take. */
    @WithDefault("6h")
    Duration convertTimeout();

    /** CPU seconds and address space {@code qemu-img info} runs under (prlimit), as Cinder bounds it. */
    @WithDefault("60")
    int infoCpuSeconds();

    /** Address space (MiB) {@code qemu-img info} runs under (prlimit), with {@code info-cpu-seconds}. */
    @WithDefault("1024")
    int infoAddressSpaceMb();

    Cache cache();

    /**
     * Cinder's image-volume cache: one converted copy per image and pool, later volumes in that pool cloned
     * from it. The bounds apply to each pool, as Cinder's apply to each backend.
     */
    interface Cache {
        /**
         * Keep a volume made from an image as a cached copy, and make the next volume of that image from it
         * (Cinder's image-volume cache).
         */
        @WithDefault("true")
        boolean enabled();

        /** The cache's largest size in GiB; the least recently used entries go first. */
        @WithDefault("200")
        int maxSizeGb();

        /** The most images the cache holds. */
        @WithDefault("50")
        int maxCount();
    }
}
