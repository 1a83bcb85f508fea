package org.tether.storage.volume;

import com.sun.nio.file.ExtendedOpenOption;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Copies a volume's bytes from one pool's device (or file) to another's and proves the copy: every chunk's
 * CRC-32C as read from the source, then the target read back and compared chunk by chunk. Direct I/O where
 * the device or filesystem takes it (the page cache is not flooded with a volume's worth of data, and what is
 * read back comes from the device), all-zero chunks not written onto a target that reads as zeroes (a thin
 * LV, a sparse file stay sparse), at most {@code bytesPerSecond} read when a limit is set, and the target
 * flushed to stable storage before the copy counts as made.
 *
 * <p>Why in the JVM and not {@code dd}: progress, the checksums and the rate limit come from the loop that
 * moves the data, with no second process to parse or to put into a cgroup; the chunk size and direct I/O are
 * those of Cinder's {@code dd iflag=direct oflag=direct}.
 */
public final class VolumeCopy {
    static final int CHUNK = 4 << 20;
    private static final int ALIGN = 4096;

    private final long bytesPerSecond;

    /** @param bytesPerSecond read rate limit, 0 for none */
    public VolumeCopy(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
    }

    /** Told the share done, 0-100, each time it changes. */
    public interface Progress {
        void percent(int done);
    }

    /**
     * Copies {@code length} bytes, then reads the target back and compares.
     *
     * @throws TetherException {@code storage_backend_failed} when a read or write fails or the target does not
     *                         read back as the source was read (naming the first chunk that differs)
     */
    public void copy(Path source, Path target, long length, boolean targetReadsZero, Progress progress) {
        if (length % ALIGN != 0) {
            throw new IllegalArgumentException("a volume's length is a multiple of " + ALIGN + ", not " + length);
        }
        int chunks = (int) ((length + CHUNK - 1) / CHUNK);
        int[] sums = new int[chunks];
        ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK + ALIGN).alignedSlice(ALIGN);
        DataExtents data = DataExtents.of(source, length);
        long started = System.nanoTime();
        long read = 0;
        int reported = -1;
        try (FileChannel in = open(source, StandardOpenOption.READ);
             FileChannel out = open(target, StandardOpenOption.WRITE)) {
            for (int i = 0; i < chunks; i++) {
                long at = (long) i * CHUNK;
                int n = (int) Math.min(CHUNK, length - at);
                if (!data.anyData(at, at + n)) {
                    // a hole of the source file reads as zeroes: nothing to read, and on a target that reads as
                    // zeroes nothing to write; onto one that may not (a thick LV), zeroes are written
                    sums[i] = zeroSum(n);
                    if (!targetReadsZero) {
                        writeZeroes(out, buf, at, n);
                    }
                } else {
                    readFully(in, buf, at, n, source);
                    sums[i] = crc(buf);
                    if (!(targetReadsZero && allZero(buf))) {
                        buf.rewind();
                        while (buf.hasRemaining()) {
                            out.write(buf, at + buf.position());
                        }
                    }
                    read += n;
                    throttle(started, read);
                }
                int done = (int) ((at + n) * 100 / Math.max(1, length));
                if (done != reported) {
                    progress.percent(done);
                    reported = done;
                }
            }
            out.force(true);
        } catch (IOException e) {
            throw failed("copy " + source + " to " + target + ": " + e.getMessage(), e);
        }
        verify(target, length, sums);
    }

    /** Reads {@code target} back and compares each chunk's CRC-32C with the source's. */
    static void verify(Path target, long length, int[] sums) {
        int[] back = sums(target, length);
        for (int i = 0; i < sums.length; i++) {
            if (back[i] != sums[i]) {
                throw failed("the copy on " + target + " differs from its source at byte " + (long) i * CHUNK, null);
            }
        }
    }

    /** The CRC-32C of each chunk of the first {@code length} bytes (holes of a file are zeroes, not read). */
    static int[] sums(Path path, long length) {
        int[] out = new int[(int) ((length + CHUNK - 1) / CHUNK)];
        ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK + ALIGN).alignedSlice(ALIGN);
        DataExtents data = DataExtents.of(path, length);
        try (FileChannel in = open(path, StandardOpenOption.READ)) {
            for (int i = 0; i < out.length; i++) {
                long at = (long) i * CHUNK;
                int n = (int) Math.min(CHUNK, length - at);
                if (!data.anyData(at, at + n)) {
                    out[i] = zeroSum(n);
                    continue;
                }
                readFully(in, buf, at, n, path);
                out[i] = crc(buf);
            }
        } catch (IOException e) {
            throw failed("read back " + path + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** Direct I/O when the device or filesystem takes it (tmpfs does not), buffered otherwise. */
    static FileChannel open(Path path, OpenOption mode) throws IOException {
        try {
            return FileChannel.open(path, mode, ExtendedOpenOption.DIRECT);
        } catch (IOException | UnsupportedOperationException e) {
            return FileChannel.open(path, mode);
        }
    }

    private static void readFully(FileChannel in, ByteBuffer buf, long at, int n, Path path) throws IOException {
        buf.clear();
        // a direct read of the last, partial chunk still asks for an aligned length; the surplus is not used
        int ask = (n + ALIGN - 1) / ALIGN * ALIGN;
        buf.limit(Math.min(ask, buf.capacity()));
        while (buf.position() < n) {
            int r = in.read(buf, at + buf.position());
            if (r < 0) {
                throw new IOException(path + " ends at " + (at + buf.position()) + ", before " + (at + n));
            }
        }
        buf.flip();
        buf.limit(n);
    }

    private static int zeroSum(int n) {
        CRC32C c = new CRC32C();
        c.update(new byte[n]);
        return (int) c.getValue();
    }

    private static void writeZeroes(FileChannel out, ByteBuffer buf, long at, int n) throws IOException {
        buf.clear();
        buf.limit(n);
        while (buf.hasRemaining()) {
            buf.put((byte) 0);
        }
        buf.flip();
        while (buf.hasRemaining()) {
            out.write(buf, at + buf.position());
        }
    }

    private static int crc(ByteBuffer buf) {
        CRC32C c = new CRC32C();
        c.update(buf.duplicate());
        return (int) c.getValue();
    }

    static boolean allZero(ByteBuffer buf) {
        ByteBuffer b = buf.duplicate();
        while (b.remaining() >= Long.BYTES) {
            if (b.getLong() != 0) {
                return false;
            }
        }
        while (b.hasRemaining()) {
            if (b.get() != 0) {
                return false;
            }
        }
        return true;
    }

    private void throttle(long startedNanos, long bytesDone) {
        if (bytesPerSecond <= 0) {
            return;
        }
        long due = startedNanos + (long) (bytesDone * 1e9 / bytesPerSecond);
        long wait = due - System.nanoTime();
        if (wait > 0) {
            try {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw failed("copy interrupted", e);
            }
        }
    }

    private static TetherException failed(String detail, Exception cause) {
        return cause == null ? new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, null, detail)
                : new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, detail, cause);
    }
}
