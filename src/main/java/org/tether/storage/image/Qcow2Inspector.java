package org.tether.storage.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The qcow2 header (big-endian, QEMU's docs/interop/qcow2.txt). Refused: a backing file (CVE-2022-47951's
 * way to read host files), an external data file (by feature bit or header extension), encryption, a corrupt
 * or unknown incompatible feature, and tables that lie beyond the end of the file (a truncated image).
 */
final class Qcow2Inspector {
    static final byte[] MAGIC = {'Q', 'F', 'I', (byte) 0xfb};
    private static final long INCOMPAT_CORRUPT = 1L << 1;
    private static final long INCOMPAT_DATA_FILE = 1L << 2;
    /** dirty, corrupt, external data file, compression type, extended L2 entries: all QEMU 7.2 knows. */
    private static final long INCOMPAT_KNOWN = 0x1f;
    private static final long INCOMPAT_EXTENDED_L2 = 1L << 4;
    /** Bits 9-55 of an L1 or standard L2 entry hold the host offset. */
    private static final long OFFSET_MASK = 0x00fffffffffffe00L;
    private static final long COMPRESSED = 1L << 62;
    /** QEMU's QCOW_MAX_L1_SIZE, 32 MiB of 8-byte entries. */
    private static final long MAX_L1_ENTRIES = (32L << 20) / 8;
    private static final int EXT_END = 0;
    private static final int EXT_DATA_FILE = 0x44415441;
    private static final int MAX_EXTENSIONS = 64;

    private Qcow2Inspector() {
    }

    static Inspection inspect(ImageBytes f) throws IOException, UnsafeImage {
        ByteBuffer h = f.exactly(0, 72, ByteOrder.BIG_ENDIAN, "qcow2 header");
        int version = h.getInt(4);
        if (version != 2 && version != 3) {
            throw new UnsafeImage("qcow2 version " + version + " is not 2 or 3");
        }
        if (h.getLong(8) != 0 || h.getInt(16) != 0) {
            throw new UnsafeImage("qcow2 names a backing file");
        }
        int clusterBits = h.getInt(20);
        if (clusterBits < 9 || clusterBits > 21) {
            throw new UnsafeImage("qcow2 cluster_bits " + clusterBits + " is outside 9..21");
        }
        long virtualSize = h.getLong(24);
        if (virtualSize < 0) {
            throw new UnsafeImage("qcow2 virtual size does not fit in 63 bits");
        }
        if (h.getInt(32) != 0) {
            throw new UnsafeImage("qcow2 is encrypted (crypt_method " + h.getInt(32) + ")");
        }
        long clusterSize = 1L << clusterBits;
        requireWithin(f, h.getLong(40), (long) Integer.toUnsignedLong(h.getInt(36)) * 8, "L1 table");
        requireWithin(f, h.getLong(48), Integer.toUnsignedLong(h.getInt(56)) * clusterSize, "refcount table");
        int headerLength = 72;
        if (version == 3) {
            ByteBuffer v3 = f.exactly(72, 32, ByteOrder.BIG_ENDIAN, "qcow2 v3 header");
            long incompatible = v3.getLong(0);
            if ((incompatible & INCOMPAT_DATA_FILE) != 0) {
                throw new UnsafeImage("qcow2 keeps its data in an external data_file");
            }
            if ((incompatible & INCOMPAT_CORRUPT) != 0) {
                throw new UnsafeImage("qcow2 is marked corrupt");
            }
            if ((incompatible & ~INCOMPAT_KNOWN) != 0) {
                throw new UnsafeImage("qcow2 has unknown incompatible features 0x"
                        + Long.toHexString(incompatible & ~INCOMPAT_KNOWN));
            }
            headerLength = v3.getInt(28);
            if (headerLength < 104 || headerLength > clusterSize) {
                throw new UnsafeImage("qcow2 header_length " + headerLength + " is out of range");
            }
        }
        checkExtensions(f, headerLength, clusterSize);
        long incompatible = version == 3 ? f.exactly(72, 8, ByteOrder.BIG_ENDIAN, "qcow2 features").getLong(0) : 0;
        checkClusters(f, h.getLong(40), Integer.toUnsignedLong(h.getInt(36)), clusterBits,
                (incompatible & INCOMPAT_EXTENDED_L2) != 0 ? 16 : 8);
        return new Inspection(ImageFormat.QCOW2, virtualSize);
    }

    /**
     * Every L2 table and the start of every data cluster the L1 table reaches must lie inside the file: a copy cut short (a
     * download that stopped early and was not noticed) is refused here, not half-converted by qemu-img.
     */
    private static void checkClusters(ImageBytes f, long l1Offset, long l1Entries, int clusterBits, int l2EntrySize)
            throws IOException, UnsafeImage {
        if (l1Entries > MAX_L1_ENTRIES) {
            throw new UnsafeImage("qcow2 L1 table of " + l1Entries + " entries is larger than QEMU allows");
        }
        long clusterSize = 1L << clusterBits;
        ByteBuffer l1 = f.exactly(l1Offset, (int) (l1Entries * 8), ByteOrder.BIG_ENDIAN, "qcow2 L1 table");
        for (int i = 0; i < l1Entries; i++) {
            long l2Offset = l1.getLong(i * 8) & OFFSET_MASK;
            if (l2Offset == 0) {
                continue;
            }
            requireWithin(f, l2Offset, clusterSize, "L2 table");
            ByteBuffer l2 = f.exactly(l2Offset, (int) clusterSize, ByteOrder.BIG_ENDIAN, "qcow2 L2 table");
            for (int j = 0; j + l2EntrySize <= clusterSize; j += l2EntrySize) {
                long entry = l2.getLong(j);
                if ((entry & COMPRESSED) != 0) {
                    // compressed: the host offset takes the low (62 - (cluster_bits - 8)) bits
                    long offset = entry & ((1L << (62 - (clusterBits - 8))) - 1);
                    requireWithin(f, offset, 1, "compressed cluster");
                    continue;
                }
                long data = entry & OFFSET_MASK;
                if (data != 0) {
                    // the last cluster may end early: qemu-img writes only the bytes that hold data
                    requireWithin(f, data, 1, "data cluster");
                }
            }
        }
    }

    /** Header extensions follow the header inside the first cluster; a data-file name is refused outright. */
    private static void checkExtensions(ImageBytes f, long start, long clusterSize) throws IOException, UnsafeImage {
        long at = start;
        for (int i = 0; i < MAX_EXTENSIONS; i++) {
            if (at + 8 > clusterSize) {
                throw new UnsafeImage("qcow2 header extensions run past the first cluster");
            }
            ByteBuffer e = f.exactly(at, 8, ByteOrder.BIG_ENDIAN, "qcow2 header extension");
            int type = e.getInt(0);
            long length = Integer.toUnsignedLong(e.getInt(4));
            if (type == EXT_END) {
                return;
            }
            if (type == EXT_DATA_FILE) {
                throw new UnsafeImage("qcow2 names an external data_file");
            }
            at += 8 + ((length + 7) & ~7L);
        }
        throw new UnsafeImage("qcow2 has more than " + MAX_EXTENSIONS + " header extensions");
    }

    private static void requireWithin(ImageBytes f, long offset, long length, String what) throws UnsafeImage {
        if (length == 0) {
            return;
        }
        if (offset < 0 || length < 0 || offset > f.size() || length > f.size() - offset) {
            throw new UnsafeImage("truncated: the qcow2 " + what + " (" + length + " bytes at " + offset
                    + ") lies beyond the end of the " + f.size() + "-byte file");
        }
    }
}
