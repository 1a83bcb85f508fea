package org.tether.storage.image;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** Disk formats an image may come in: Glance's {@code disk_format} names, and the qemu-img driver of each. */
public enum ImageFormat {
    RAW("raw", "raw"),
    QCOW2("qcow2", "qcow2"),
    VMDK("vmdk", "vmdk"),
    VHD("vhd", "vpc"),
    VHDX("vhdx", "vhdx"),
    VDI("vdi", "vdi"),
    ISO("iso", "raw");

    private final String glanceName;
    private final String qemuDriver;

    ImageFormat(String glanceName, String qemuDriver) {
        this.glanceName = glanceName;
        this.qemuDriver = qemuDriver;
    }

    /** As Glance and Cinder write it in {@code disk_format}. */
    public String glanceName() {
        return glanceName;
    }

    /** What {@code qemu-img -f} takes: an ISO is read as raw bytes, a VHD by the {@code vpc} driver. */
    public String qemuDriver() {
        return qemuDriver;
    }

    public static Optional<ImageFormat> ofGlanceName(String name) {
        String n = name == null ? "" : name.toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(f -> f.glanceName.equals(n)).findFirst();
    }
}
