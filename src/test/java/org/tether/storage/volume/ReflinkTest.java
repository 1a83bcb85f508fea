package org.tether.storage.volume;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.lab.Host;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * In-process reflinks on real filesystems: on XFS (a loop device, as root) the clone shares the source's
 * extents and reads the same; where the filesystem cannot (this host's ext4) it says so and leaves nothing.
 */
@org.junit.jupiter.api.Tag("host")
class ReflinkTest {
    @TempDir
    Path dir;

    @Test
    void onXfsTheCloneSharesTheSourcesExtentsAndElsewhereItLeavesNothing() throws Exception {
        Path src = dir.resolve("src");
        byte[] data = new byte[8 << 20];
        new Random(5).nextBytes(data);
        Files.write(src, data);
        boolean ext4 = Host.run("stat", "-f", "-c", "%T", dir.toString()).strip().startsWith("ext");
        if (ext4) {
            assertThat(Reflink.clone(src, dir.resolve("dst"))).isFalse();
            assertThat(dir.resolve("dst")).doesNotExist();
        }
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "an XFS loop mount needs root");
        Path img = dir.resolve("xfs.img");
        Path mnt = Files.createDirectories(dir.resolve("mnt"));
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.setLength(512L << 20);
        }
        Host.run("mkfs.xfs", "-q", "-m", "reflink=1", img.toString());
        Host.run("mount", "-o", "loop", img.toString(), mnt.toString());
        try {
            Path a = mnt.resolve("a");
            Files.write(a, data);
            Path b = mnt.resolve("b");
            assertThat(Reflink.clone(a, b)).isTrue();
            assertThat(Files.readAllBytes(b)).isEqualTo(data);
            assertThat(Host.run("filefrag", "-v", b.toString())).contains("shared");
            // a clone onto a name that exists is refused and does not touch it
            assertThat(Reflink.clone(a, b)).isFalse();
            assertThat(Files.readAllBytes(b)).isEqualTo(data);
        } finally {
            Host.run("umount", mnt.toString());
        }
    }
}
