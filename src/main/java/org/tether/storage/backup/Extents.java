package org.tether.storage.backup;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Which parts of a file were ever written, from {@code lseek(SEEK_DATA)}: a sparse file's holes (the file
 * backend) and an LVM thin volume's unprovisioned blocks are known without reading them. A block device that
 * does not tell answers that everything is data, which is only slower, never wrong.
 */
final class Extents implements AutoCloseable {
    private static final int SEEK_DATA = 3;
    private static final int O_RDONLY = 0;

    private interface Lib extends Library {
        int open(String path, int flags);

        long lseek(int fd, long offset, int whence);

        int close(int fd);
    }

    private static final Lib LIB = Native.load("c", Lib.class);

    private final int fd;

    Extents(String path) {
        this.fd = LIB.open(path, O_RDONLY);
    }

    /** False only when nothing in {@code [offset, offset + length)} was ever written. */
    boolean hasData(long offset, long length) {
        if (fd < 0) {
            return true;
        }
        long next = LIB.lseek(fd, offset, SEEK_DATA);
        return next >= 0 ? next < offset + length : Native.getLastError() != 6; // ENXIO: no data after offset
    }

    @Override
    public void close() {
        if (fd >= 0) {
            LIB.close(fd);
        }
    }
}
