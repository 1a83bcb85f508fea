package org.tether.storage.image;

/** An image whose bytes must not reach qemu-img; the reason names what was found, never file contents. */
public class UnsafeImage extends Exception {
    public UnsafeImage(String reason) {
        super(reason);
    }
}
