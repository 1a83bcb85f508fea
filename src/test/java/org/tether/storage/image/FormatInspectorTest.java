package org.tether.storage.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Images made by the real qemu-img (and some edited by hand after), read by Tether's own inspector. */
class FormatInspectorTest {
    private static final long MIB = 1 << 20;
    private final FormatInspector inspector = new FormatInspector();

    @TempDir
    Path dir;

    @Test
    void detectsEveryFormatQemuImgWritesWithItsVirtualSize() throws Exception {
        Path raw = dir.resolve("src.raw");
        try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
            f.setLength(64 * MIB);
            f.seek(5 * MIB);
            f.write("some data".getBytes(StandardCharsets.US_ASCII));
        }
        assertEquals(new Inspection(ImageFormat.RAW, 64 * MIB), inspector.inspect(raw));
        record Case(String driver, String options, ImageFormat expected) {
        }
        for (Case c : List.of(new Case("qcow2", "compat=0.10", ImageFormat.QCOW2),
                new Case("qcow2", "compat=1.1", ImageFormat.QCOW2),
                new Case("qcow2", "compat=1.1,extended_l2=on", ImageFormat.QCOW2),
                new Case("vmdk", "subformat=monolithicSparse", ImageFormat.VMDK),
                new Case("vmdk", "subformat=streamOptimized", ImageFormat.VMDK),
                new Case("vpc", "subformat=dynamic,force_size=on", ImageFormat.VHD),
                new Case("vhdx", "subformat=dynamic", ImageFormat.VHDX),
                new Case("vdi", "static=off", ImageFormat.VDI))) {
            Path out = dir.resolve("img." + c.driver() + c.options().hashCode());
            qemuImg("convert", "-f", "raw", "-O", c.driver(), "-o", c.options(), raw.toString(), out.toString());
            Inspection found = inspector.inspect(out);
            assertEquals(c.expected(), found.format(), c.toString());
            assertEquals(64 * MIB, found.virtualSize(), c.toString());
        }
    }

    @Test
    void compressedQcow2IsAccepted() throws Exception {
        Path raw = dir.resolve("src.raw");
        Files.write(raw, new byte[(int) (4 * MIB)]);
        Path out = dir.resolve("c.qcow2");
        qemuImg("convert", "-c", "-f", "raw", "-O", "qcow2", raw.toString(), out.toString());
        assertEquals(ImageFormat.QCOW2, inspector.inspect(out).format());
    }

    @Test
    void anIsoIsRecognisedByItsVolumeDescriptor() throws Exception {
        Path iso = dir.resolve("x.iso");
        byte[] b = new byte[64 * 1024];
        System.arraycopy("CD001".getBytes(StandardCharsets.US_ASCII), 0, b, 0x8001, 5);
        Files.write(iso, b);
        assertEquals(new Inspection(ImageFormat.ISO, 64 * 1024), inspector.inspect(iso));
    }

    @Test
    void qcow2WithABackingFileIsRefused() throws Exception {
        Path img = dir.resolve("b.qcow2");
        qemuImg("create", "-f", "qcow2", "-u", "-b", "/etc/shadow", "-F", "raw", img.toString(), "1G");
        assertUnsafe(img, "backing file");
    }

    @Test
    void qcow2WithAnExternalDataFileIsRefused() throws Exception {
        Path img = dir.resolve("d.qcow2");
        qemuImg("create", "-f", "qcow2", "-o", "data_file=" + dir.resolve("data.raw"), img.toString(), "16M");
        assertUnsafe(img, "data_file");
    }

    @Test
    void qcow2NamingADataFileInAHeaderExtensionIsRefusedEvenWithTheFeatureBitCleared() throws Exception {
        Path img = dir.resolve("d2.qcow2");
        qemuImg("create", "-f", "qcow2", "-o", "data_file=" + dir.resolve("data.raw"), img.toString(), "16M");
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.seek(72);
            long features = f.readLong();
            f.seek(72);
            f.writeLong(features & ~(1L << 2));
        }
        assertUnsafe(img, "names an external data_file");
    }

    @Test
    void truncatedQcow2IsRefused() throws Exception {
        Path raw = dir.resolve("full.raw");
        byte[] data = new byte[(int) (8 * MIB)];
        new java.util.Random(7).nextBytes(data);
        Files.write(raw, data);
        Path img = dir.resolve("t.qcow2");
        qemuImg("convert", "-f", "raw", "-O", "qcow2", raw.toString(), img.toString());
        assertEquals(ImageFormat.QCOW2, inspector.inspect(img).format());
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        assertUnsafe(img, "truncated");
    }

    @Test
    void qcow2OfOnePebibyteReportsItsSizeForTheCallerToRefuse() throws Exception {
        Path img = dir.resolve("huge.qcow2");
        qemuImg("create", "-f", "qcow2", img.toString(), "1P");
        assertEquals(1L << 50, inspector.inspect(img).virtualSize());
    }

    @Test
    void vmdkWithAFlatExtentInAnotherFileIsRefused() throws Exception {
        Path img = dir.resolve("flat.vmdk");
        qemuImg("create", "-f", "vmdk", "-o", "subformat=monolithicFlat", img.toString(), "16M");
        assertUnsafe(img, "bare descriptor");
    }

    @Test
    void sparseVmdkWhoseEmbeddedDescriptorNamesAPathIsRefused() throws Exception {
        Path img = sparseVmdk();
        replaceInFile(img, "\"sparse.vmdk\"", "\"/etc/passwd\"");
        assertUnsafe(img, "names a path");
    }

    @Test
    void sparseVmdkWhoseDescriptorSaysFlatIsRefused() throws Exception {
        Path img = sparseVmdk();
        replaceInFile(img, " SPARSE ", " FLAT   ");
        assertUnsafe(img, "not in this file");
    }

    @Test
    void vmdkOfAnotherCreateTypeIsRefused() throws Exception {
        Path img = sparseVmdk();
        replaceInFile(img, "createType=\"monolithicSparse\"", "createType=\"vmfsSparse\"      ");
        assertUnsafe(img, "createType");
    }

    @Test
    void vmdkDescriptorWithAnUnknownLineIsRefused() throws Exception {
        Path img = sparseVmdk();
        replaceInFile(img, "# The Disk Data Base", "parentFileNameHint x");
        assertUnsafe(img, "line it should not");
    }

    @Test
    void differencingVhdAndVdiAreRefused() throws Exception {
        Path raw = dir.resolve("s.raw");
        Files.write(raw, new byte[(int) MIB]);
        Path vhd = dir.resolve("x.vhd");
        qemuImg("convert", "-f", "raw", "-O", "vpc", raw.toString(), vhd.toString());
        try (RandomAccessFile f = new RandomAccessFile(vhd.toFile(), "rw")) {
            f.seek(60);
            f.writeInt(4);
        }
        assertUnsafe(vhd, "differencing");
        Path vdi = dir.resolve("x.vdi");
        qemuImg("convert", "-f", "raw", "-O", "vdi", raw.toString(), vdi.toString());
        try (RandomAccessFile f = new RandomAccessFile(vdi.toFile(), "rw")) {
            f.seek(0x4c);
            f.write(new byte[]{4, 0, 0, 0});
        }
        assertUnsafe(vdi, "differencing");
    }

    @Test
    void aFileTooShortForItsHeaderIsRefusedAsTruncated() throws Exception {
        Path img = dir.resolve("short.qcow2");
        Files.write(img, new byte[]{'Q', 'F', 'I', (byte) 0xfb, 0, 0, 0, 3});
        assertUnsafe(img, "truncated");
    }

    private Path sparseVmdk() throws Exception {
        Path raw = dir.resolve("v.raw");
        Files.write(raw, new byte[(int) MIB]);
        Path img = dir.resolve("sparse.vmdk");
        qemuImg("convert", "-f", "raw", "-O", "vmdk", raw.toString(), img.toString());
        assertEquals(ImageFormat.VMDK, inspector.inspect(img).format());
        return img;
    }

    private void assertUnsafe(Path img, String reason) {
        UnsafeImage e = assertThrows(UnsafeImage.class, () -> inspector.inspect(img));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    /** Same-length replacement inside the file's first MiB (where the vmdk descriptor is). */
    private static void replaceInFile(Path file, String from, String to) throws IOException {
        assertEquals(from.length(), to.length());
        byte[] b = Files.readAllBytes(file);
        String text = new String(b, StandardCharsets.ISO_8859_1);
        int at = text.indexOf(from);
        assertTrue(at >= 0, "no " + from + " in " + file);
        System.arraycopy(to.getBytes(StandardCharsets.ISO_8859_1), 0, b, at, to.length());
        Files.write(file, b);
    }

    static void qemuImg(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("qemu-img"));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "qemu-img timed out");
        assertEquals(0, p.exitValue(), String.join(" ", argv) + ": " + out);
    }
}
