package org.tether.storage.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

/**
 * VMware's sparse extent header and the descriptor embedded after it. Only single-file kinds are accepted
 * ({@code monolithicSparse}, {@code streamOptimized}); every descriptor line must be one we understand, and
 * an extent may not name a path (CVE-2022-47951: an extent pointing at a host file). A descriptor-only file
 * (its data in other files) is refused outright.
 */
final class VmdkInspector {
    static final String MAGIC = "KDMV";
    static final String DESCRIPTOR_FILE = "# Disk DescriptorFile";
    private static final Set<String> CREATE_TYPES = Set.of("monolithicsparse", "streamoptimized");
    private static final Set<String> ACCESS = Set.of("rw", "rdonly", "noaccess");
    private static final Set<String> EXTENT_TYPES = Set.of("sparse", "zero");
    private static final long DESCRIPTOR_SECTOR = 1;
    private static final int DESCRIPTOR_MAX = (1 << 20) - 1;

    private VmdkInspector() {
    }

    static Inspection inspect(ImageBytes f) throws IOException, UnsafeImage {
        if (f.startsWith(0, DESCRIPTOR_FILE)) {
            throw new UnsafeImage("vmdk is a bare descriptor whose data lives in other files");
        }
        ByteBuffer h = f.exactly(0, 44, ByteOrder.LITTLE_ENDIAN, "vmdk header");
        int version = h.getInt(4);
        if (version < 1 || version > 3) {
            throw new UnsafeImage("vmdk version " + version + " is not 1..3");
        }
        long sectors = h.getLong(12);
        long descriptorSector = h.getLong(28);
        long descriptorSectors = h.getLong(36);
        if (descriptorSector != DESCRIPTOR_SECTOR || descriptorSectors <= 0) {
            throw new UnsafeImage("vmdk descriptor is not embedded right after the header");
        }
        if (sectors < 0 || sectors > Long.MAX_VALUE / 512) {
            throw new UnsafeImage("vmdk capacity does not fit in 63 bits");
        }
        int length = (int) Math.min(descriptorSectors * 512, DESCRIPTOR_MAX);
        byte[] raw = f.upTo(descriptorSector * 512, length);
        if (raw.length < Math.min(length, 512)) {
            throw new UnsafeImage("truncated: the vmdk descriptor is cut off");
        }
        checkDescriptor(ascii(raw));
        return new Inspection(ImageFormat.VMDK, sectors * 512);
    }

    private static String ascii(byte[] raw) throws UnsafeImage {
        // QEMU reads the descriptor as a C string: it ends at the first NUL, and so does what is checked here
        int end = 0;
        while (end < raw.length && raw[end] != 0) {
            end++;
        }
        try {
            return StandardCharsets.US_ASCII.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(raw, 0, end)).toString().toLowerCase(Locale.ROOT);
        } catch (CharacterCodingException e) {
            throw new UnsafeImage("vmdk descriptor is not ASCII text");
        }
    }

    private static void checkDescriptor(String text) throws UnsafeImage {
        String createType = null;
        int extents = 0;
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith("ddb.")) {
                continue;
            }
            String[] words = line.split("\\s+");
            if (ACCESS.contains(words[0])) {
                checkExtent(line, words);
                extents++;
            } else if (line.indexOf('=') > 0 && !line.substring(0, line.indexOf('=')).strip().contains(" ")) {
                String key = line.substring(0, line.indexOf('=')).strip();
                if (key.equals("createtype")) {
                    createType = line.substring(line.indexOf('=') + 1).strip().replace("\"", "");
                }
            } else {
                throw new UnsafeImage("vmdk descriptor has a line it should not: " + shortened(line));
            }
        }
        if (createType == null || !CREATE_TYPES.contains(createType)) {
            throw new UnsafeImage("vmdk createType " + (createType == null ? "is missing" : shortened(createType))
                    + "; only monolithicSparse and streamOptimized are accepted");
        }
        if (extents != 1) {
            throw new UnsafeImage("vmdk descriptor names " + extents + " extents; a single-file vmdk has one");
        }
    }

    /** {@code RW 2048 SPARSE "disk.vmdk"}: the data is in this file; a FLAT or path-naming extent is not. */
    private static void checkExtent(String line, String[] words) throws UnsafeImage {
        if (words.length < 3 || !EXTENT_TYPES.contains(words[2])) {
            throw new UnsafeImage("vmdk extent is not in this file: " + shortened(line));
        }
        if (line.contains("/") || line.contains("\\")) {
            throw new UnsafeImage("vmdk extent names a path: " + shortened(line));
        }
    }

    private static String shortened(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }
}
