package org.tether.storage.backup;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * zstd through the host's libzstd (libzstd1, in every Debian install: dpkg and systemd use it), one frame per
 * chunk. Level 3, zstd's default: ~400 MB/s a core here, and a chunk's frame names its own size.
 */
final class Zstd {
    private static final int LEVEL = 3;

    private interface Lib extends Library {
        long ZSTD_compressBound(long srcSize);

        long ZSTD_compress(byte[] dst, long dstCapacity, byte[] src, long srcSize, int level);

        long ZSTD_decompress(byte[] dst, long dstCapacity, byte[] src, long compressedSize);

        int ZSTD_isError(long code);

        String ZSTD_getErrorName(long code);
    }

    private static final Lib LIB = Native.load("libzstd.so.1", Lib.class);

    private Zstd() {
    }

    static byte[] compress(byte[] src, int length) {
        byte[] dst = new byte[(int) LIB.ZSTD_compressBound(length)];
        long n = LIB.ZSTD_compress(dst, dst.length, src, length, LEVEL);
        if (LIB.ZSTD_isError(n) != 0) {
            throw new IllegalStateException("zstd: " + LIB.ZSTD_getErrorName(n));
        }
        return java.util.Arrays.copyOf(dst, (int) n);
    }

    /** The chunk's bytes into {@code dst}; how many there were. A frame that does not decode is an error. */
    static int decompress(byte[] frame, byte[] dst) {
        long n = LIB.ZSTD_decompress(dst, dst.length, frame, frame.length);
        if (LIB.ZSTD_isError(n) != 0) {
            throw new IllegalArgumentException("zstd: " + LIB.ZSTD_getErrorName(n));
        }
        return (int) n;
    }
}
