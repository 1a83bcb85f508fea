package org.tether.storage.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;

/** Reads fixed-offset fields of an image file; a read past the end is reported as a truncated image. */
final class ImageBytes {
    private final FileChannel channel;
    private final long size;

    ImageBytes(FileChannel channel) throws IOException {
        this.channel = channel;
        this.size = channel.size();
    }

    long size() {
        return size;
    }

    /** Up to {@code length} bytes at {@code offset}: fewer near the end, none past it. */
    byte[] upTo(long offset, int length) throws IOException {
        if (offset >= size || offset < 0) {
            return new byte[0];
        }
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(length, size - offset));
        while (buf.hasRemaining()) {
            if (channel.read(buf, offset + buf.position()) < 0) {
                break;
            }
        }
        return java.util.Arrays.copyOf(buf.array(), buf.position());
    }

    ByteBuffer exactly(long offset, int length, ByteOrder order, String what) throws IOException, UnsafeImage {
        byte[] b = upTo(offset, length);
        if (b.length < length) {
            throw new UnsafeImage("truncated: the " + what + " at offset " + offset + " is cut off");
        }
        return ByteBuffer.wrap(b).order(order);
    }

    boolean startsWith(long offset, String magic) throws IOException {
        return startsWith(offset, magic.getBytes(StandardCharsets.ISO_8859_1));
    }

    boolean startsWith(long offset, byte[] magic) throws IOException {
        return java.util.Arrays.equals(upTo(offset, magic.length), magic);
    }
}
