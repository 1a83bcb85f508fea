package org.tether.storage.image;

/**
 * What the bytes of an image are, read by Tether itself before any qemu-img call.
 *
 * @param virtualSize the size of the disk the image describes, in bytes
 */
public record Inspection(ImageFormat format, long virtualSize) {
}
