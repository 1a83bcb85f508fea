package org.tether.compute.backup;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tether's NBD client against the real {@code qemu-nbd}, QEMU's own server (the one libvirt's backups run). */
class NbdClientTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;
    private Path disk;
    private Path socket;
    private Process server;
    private byte[] content;

    @BeforeEach
    void serve() throws Exception {
        disk = dir.resolve("disk.raw");
        content = new byte[40 * MIB];
        Random r = new Random(7);
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(content.length); // sparse: never written is a hole
            for (long[] w : new long[][] {{MIB, 64 << 10}, {5L * MIB, MIB}, {39L * MIB, MIB}}) {
                byte[] b = new byte[(int) w[1]];
                r.nextBytes(b);
                f.seek(w[0]);
                f.write(b);
                System.arraycopy(b, 0, content, (int) w[0], b.length);
            }
        }
        socket = dir.resolve("nbd.sock");
        server = new ProcessBuilder("qemu-nbd", "--socket=" + socket, "--format=raw", "--read-only", "--shared=2",
                "--persistent", "--export-name=vda", disk.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("qemu-nbd.log").toFile()).start();
        for (int i = 0; i < 100 && !Files.exists(socket); i++) {
            Thread.sleep(50);
        }
        assertThat(socket).as(Files.readString(dir.resolve("qemu-nbd.log"))).exists();
    }

    @AfterEach
    void stop() throws InterruptedException {
        server.destroy();
        server.waitFor(10, TimeUnit.SECONDS);
    }

    @Test
    void allocationTellsWrittenFromNeverWrittenAndReadsAreTheBytes() throws IOException {
        try (NbdClient nbd = NbdClient.open(socket, "vda", NbdClient.BASE_ALLOCATION)) {
            assertThat(nbd.size()).isEqualTo(content.length);
            List<NbdClient.Extent> extents = nbd.status(0, nbd.size());
            assertThat(extents.get(0).offset()).isZero();
            assertThat(extents.get(extents.size() - 1).end()).isEqualTo(content.length);
            for (int i = 1; i < extents.size(); i++) {
                assertThat(extents.get(i).offset()).isEqualTo(extents.get(i - 1).end());
                assertThat(extents.get(i).flags()).isNotEqualTo(extents.get(i - 1).flags()); // merged
            }
            long data = 0;
            for (NbdClient.Extent e : extents) {
                if ((e.flags() & NbdClient.STATE_HOLE) == 0) {
                    data += e.length();
                } else {
                    assertThat(e.flags() & NbdClient.STATE_ZERO).isNotZero();
                    byte[] zero = new byte[(int) e.length()];
                    assertThat(Arrays.copyOfRange(content, (int) e.offset(), (int) e.end())).isEqualTo(zero);
                }
            }
            // what was written, rounded to the file system's blocks: far from the 40 MiB
            assertThat(data).isBetween((long) MIB * 2 + (64 << 10), 4L * MIB);
            assertThat(nbd.status(5L * MIB + 4096, 8192)).containsExactly(
                    new NbdClient.Extent(5L * MIB + 4096, 8192, 0));

            byte[] all = new byte[content.length]; // more than one request: 32 MiB is the most QEMU serves at once
            nbd.read(0, all, all.length);
            assertThat(all).isEqualTo(content);
            byte[] some = new byte[3 * MIB];
            nbd.read(4L * MIB + 17, some, some.length); // across a hole into data
            assertThat(some).isEqualTo(Arrays.copyOfRange(content, 4 * MIB + 17, 7 * MIB + 17));
            assertThatThrownBy(() -> nbd.read(content.length - 10, some, 20))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void withoutAContextReadsComeAsSimpleReplies() throws IOException {
        try (NbdClient nbd = NbdClient.open(socket, "vda", null)) {
            byte[] b = new byte[2 * MIB];
            nbd.read(38L * MIB + 5, b, b.length - 5);
            assertThat(Arrays.copyOf(b, b.length - 5)).isEqualTo(
                    Arrays.copyOfRange(content, 38 * MIB + 5, 40 * MIB));
            assertThatThrownBy(() -> nbd.status(0, 1)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void anExportThatIsNotThereIsRefusedByName() {
        assertThatThrownBy(() -> NbdClient.open(socket, "vdz", NbdClient.BASE_ALLOCATION))
                .isInstanceOf(NbdClient.NbdException.class).hasMessageContaining("vdz");
        assertThatThrownBy(() -> NbdClient.open(socket, "vdz", null))
                .isInstanceOf(NbdClient.NbdException.class).hasMessageContaining("export vdz refused");
    }

    @Test
    void aServerThatStopsAnsweringFailsTheCallInsteadOfHangingIt() throws Exception {
        try (NbdClient nbd = NbdClient.open(socket, "vda", NbdClient.BASE_ALLOCATION, java.time.Duration.ofMillis(500))) {
            new ProcessBuilder("kill", "-STOP", Long.toString(server.pid())).start().waitFor();
            try {
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> nbd.read(0, new byte[MIB], MIB)).isInstanceOf(NbdClient.NbdException.class)
                        .hasMessageContaining("did not answer within 500 ms");
                assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(30));
            } finally {
                new ProcessBuilder("kill", "-CONT", Long.toString(server.pid())).start().waitFor();
            }
        }
        // a server that takes the connection and never says a word: the handshake gives up too
        Path mute = dir.resolve("mute.sock");
        try (var listener = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            listener.bind(java.net.UnixDomainSocketAddress.of(mute));
            assertThatThrownBy(() -> NbdClient.open(mute, "vda", null, java.time.Duration.ofMillis(300)))
                    .isInstanceOf(NbdClient.NbdException.class).hasMessageContaining("did not answer");
        }
    }
}
