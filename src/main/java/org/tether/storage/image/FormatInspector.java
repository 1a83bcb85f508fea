package org.tether.storage.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Tells what an image really is from its bytes, the way QEMU's probe would, and refuses what would make
 * qemu-img read or write anything but the image itself (Glance's and Cinder's answer to CVE-2022-47951 and
 * CVE-2024-32498, written again here). Runs before any qemu-img call; reads headers only.
 */
public final class FormatInspector {
    private static final byte[] VDI_MAGIC = {(byte) 0x7f, 0x10, (byte) 0xda, (byte) 0xbe};
    private static final long ISO_DESCRIPTOR = 0x8001;

    public Inspection inspect(Path image) throws IOException, UnsafeImage {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            ImageBytes f = new ImageBytes(ch);
            if (f.startsWith(0, Qcow2Inspector.MAGIC)) {
                return Qcow2Inspector.inspect(f);
            }
            if (f.startsWith(0, VmdkInspector.MAGIC) || f.startsWith(0, VmdkInspector.DESCRIPTOR_FILE)) {
                return VmdkInspector.inspect(f);
            }
            if (f.startsWith(0, VhdxInspector.MAGIC)) {
                return VhdxInspector.inspect(f);
            }
            if (f.startsWith(0, "conectix")) {
                return vhd(f);
            }
            if (f.startsWith(0x40, VDI_MAGIC)) {
                return vdi(f);
            }
            if (f.startsWith(ISO_DESCRIPTOR, "CD001")) {
                return new Inspection(ImageFormat.ISO, f.size());
            }
            return new Inspection(ImageFormat.RAW, f.size());
        }
    }

    /** A dynamic VHD starts with a copy of its footer: current size at 48, disk type at 60 (big-endian). */
    private static Inspection vhd(ImageBytes f) throws IOException, UnsafeImage {
        ByteBuffer footer = f.exactly(0, 512, ByteOrder.BIG_ENDIAN, "vhd footer");
        int type = footer.getInt(60);
        if (type == 4) {
            throw new UnsafeImage("vhd is a differencing disk whose parent is another file");
        }
        long size = footer.getLong(48);
        if (size < 0) {
            throw new UnsafeImage("vhd size does not fit in 63 bits");
        }
        return new Inspection(ImageFormat.VHD, size);
    }

    /** VirtualBox's header (little-endian): image type at 0x4c, disk size at 0x170. */
    private static Inspection vdi(ImageBytes f) throws IOException, UnsafeImage {
        ByteBuffer h = f.exactly(0, 0x178, ByteOrder.LITTLE_ENDIAN, "vdi header");
        int type = h.getInt(0x4c);
        if (type != 1 && type != 2) {
            throw new UnsafeImage("vdi image type " + type + " (undo or differencing) depends on another file");
        }
        long size = h.getLong(0x170);
        if (size < 0) {
            throw new UnsafeImage("vdi size does not fit in 63 bits");
        }
        return new Inspection(ImageFormat.VDI, size);
    }
}
