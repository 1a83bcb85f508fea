package org.tether.storage.volume;


import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a sparse file holds data, from the filesystem itself ({@code lseek} with {@code SEEK_DATA} and
 * {@code SEEK_HOLE}, as {@code cp --sparse} and qemu-img ask): a copy need not read a volume file's holes,
 * which read as zeroes. A block device, or a filesystem that cannot say, is one extent of data.
 */
final class DataExtents {
    private static final int O_RDONLY = 0;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;

    /** [start, end) of each data extent within the first {@code length} bytes. */
    record Extent(long start, long end) {
    }

    private final List<Extent> extents;

    private DataExtents(List<Extent> extents) {
        this.extents = extents;
    }

    static DataExtents of(Path path, long length) {
        List<Extent> all = List.of(new Extent(0, length));
        if (!Files.isRegularFile(path)) {
            return new DataExtents(all);
        }
        int fd = LibC.INSTANCE.open(path.toString(), O_RDONLY);
        if (fd < 0) {
            return new DataExtents(all);
        }
        try {
            List<Extent> found = new ArrayList<>();
            long at = 0;
            while (at < length) {
                long data = LibC.INSTANCE.lseek(fd, at, SEEK_DATA);
                if (data < 0 || data >= length) {
                    break; // ENXIO: no data past here (an error is read as "all data" below)
                }
                long hole = LibC.INSTANCE.lseek(fd, data, SEEK_HOLE);
                if (hole < 0) {
                    return new DataExtents(all);
                }
                found.add(new Extent(data, Math.min(hole, length)));
                at = hole;
            }
            return new DataExtents(found);
        } finally {
            LibC.INSTANCE.close(fd);
        }
    }

    /** Whether any byte of [start, end) may hold data. */
    boolean anyData(long start, long end) {
        for (Extent e : extents) {
            if (e.start() < end && e.end() > start) {
                return true;
            }
        }
        return false;
    }
}
