package org.tether.storage.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;

/**
 * Hyper-V's VHDX: the virtual size is an item of the metadata region, found through the region table at
 * 192 KiB. A differencing disk (one with a parent locator) is refused: its data lives in another file.
 */
final class VhdxInspector {
    static final String MAGIC = "vhdxfile";
    private static final long REGION_TABLE = 192 * 1024;
    private static final int MAX_ENTRIES = 2047;
    private static final UUID METADATA_REGION = UUID.fromString("8b7ca206-4790-4b9a-b8fe-575f050f886e");
    private static final UUID VIRTUAL_DISK_SIZE = UUID.fromString("2fa54224-cd1b-4876-b211-5dbed83bf4b8");
    private static final UUID PARENT_LOCATOR = UUID.fromString("a8d35f2d-b30b-454d-abf7-d3d84834ab0c");

    private VhdxInspector() {
    }

    static Inspection inspect(ImageBytes f) throws IOException, UnsafeImage {
        ByteBuffer table = f.exactly(REGION_TABLE, 16, ByteOrder.LITTLE_ENDIAN, "vhdx region table");
        if (table.getInt(0) != 0x69676572) { // "regi"
            throw new UnsafeImage("vhdx region table has no signature");
        }
        int entries = table.getInt(8);
        if (entries < 0 || entries > MAX_ENTRIES) {
            throw new UnsafeImage("vhdx region table has " + Integer.toUnsignedString(entries) + " entries");
        }
        ByteBuffer list = f.exactly(REGION_TABLE + 16, entries * 32, ByteOrder.LITTLE_ENDIAN, "vhdx regions");
        for (int i = 0; i < entries; i++) {
            if (guid(list, i * 32).equals(METADATA_REGION)) {
                return new Inspection(ImageFormat.VHDX, virtualSize(f, list.getLong(i * 32 + 16)));
            }
        }
        throw new UnsafeImage("vhdx has no metadata region");
    }

    private static long virtualSize(ImageBytes f, long region) throws IOException, UnsafeImage {
        ByteBuffer head = f.exactly(region, 32, ByteOrder.LITTLE_ENDIAN, "vhdx metadata table");
        if (!new String(head.array(), 0, 8, java.nio.charset.StandardCharsets.ISO_8859_1).equals("metadata")) {
            throw new UnsafeImage("vhdx metadata table has no signature");
        }
        int entries = Short.toUnsignedInt(head.getShort(10));
        if (entries > MAX_ENTRIES) {
            throw new UnsafeImage("vhdx metadata table has " + entries + " entries");
        }
        ByteBuffer items = f.exactly(region + 32, entries * 32, ByteOrder.LITTLE_ENDIAN, "vhdx metadata items");
        Long size = null;
        for (int i = 0; i < entries; i++) {
            UUID item = guid(items, i * 32);
            if (item.equals(PARENT_LOCATOR)) {
                throw new UnsafeImage("vhdx is a differencing disk with a parent locator");
            }
            if (item.equals(VIRTUAL_DISK_SIZE)) {
                long offset = Integer.toUnsignedLong(items.getInt(i * 32 + 16));
                size = f.exactly(region + offset, 8, ByteOrder.LITTLE_ENDIAN, "vhdx virtual size").getLong(0);
            }
        }
        if (size == null || size < 0) {
            throw new UnsafeImage("vhdx metadata has no virtual disk size");
        }
        return size;
    }

    /** A Microsoft GUID on disk: the first three fields little-endian, the last eight bytes as they are. */
    private static UUID guid(ByteBuffer b, int at) {
        long d1 = Integer.toUnsignedLong(b.getInt(at));
        long d2 = Short.toUnsignedLong(b.getShort(at + 4));
        long d3 = Short.toUnsignedLong(b.getShort(at + 6));
        long high = (d1 << 32) | (d2 << 16) | d3;
        long low = b.duplicate().order(ByteOrder.BIG_ENDIAN).getLong(at + 8);
        return new UUID(high, low);
    }
}
