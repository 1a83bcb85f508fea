package org.tether.storage.volume;

import com.sun.nio.file.ExtendedOpenOption;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;
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
    /** Buffers between the reading and the writing stage: one chunk read ahead (more overlap measured slower on one disk). */
    private static final int DEPTH = 2;
    private static final int ALIGN = 4096;

    private final long bytesPerSecond;
    private final boolean readBack;

    /** @param bytesPerSecond read rate limit, 0 for none */
    public VolumeCopy(long bytesPerSecond) {
        this(bytesPerSecond, true);
    }

    /**
     * @param readBack whether written chunks are read back and compared (a third pass over the data, so about a
     *                 third of the throughput a disk gives; off, a copy is checked only by the writes succeeding)
     */
    public VolumeCopy(long bytesPerSecond, boolean readBack) {
        this.bytesPerSecond = bytesPerSecond;
        this.readBack = readBack;
    }

    /** Whether written chunks are read back and compared. */
    public boolean readsBack() {
        return readBack;
    }

    /** Told the share done, 0-100, each time it changes. */
    public interface Progress {
        void percent(int done);
    }

    /**
     * Copies {@code length} bytes and reads every written chunk back. Three stages overlap, each on its own
     * channel: reading the source (this thread), writing the target, reading the target back; a few buffers
     * travel between them, so the copy costs about what its slowest stage does rather than the sum of all three.
     *
     * @throws TetherException {@code storage_backend_failed} when a read or write fails or the target does not
     *                         read back as the source was read (naming the first chunk that differs)
     */
    public void copy(Path source, Path target, long length, boolean targetReadsZero, Progress progress) {
        if (length % ALIGN != 0) {
            throw new IllegalArgumentException("a volume's length is a multiple of " + ALIGN + ", not " + length);
        }
        int chunks = (int) ((length + CHUNK - 1) / CHUNK);
        DataExtents data = DataExtents.of(source, length);
        // what is not written onto a fresh sparse file is a hole of it: it reads as zeroes by the filesystem's
        // own rule, and is not read back; a block device is read back whole
        boolean skipUnwritten = targetReadsZero && Files.isRegularFile(target);
        boolean check = readBack;
        BlockingQueue<ByteBuffer> free = new ArrayBlockingQueue<>(DEPTH);
        for (int i = 0; i < DEPTH; i++) {
            free.add(ByteBuffer.allocateDirect(CHUNK + ALIGN).alignedSlice(ALIGN));
        }
        BlockingQueue<Chunk> toWrite = new ArrayBlockingQueue<>(DEPTH);
        BlockingQueue<Chunk> toVerify = new LinkedBlockingQueue<>();
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        try (FileChannel in = open(source, StandardOpenOption.READ);
             FileChannel out = open(target, StandardOpenOption.WRITE);
             FileChannel back = open(target, StandardOpenOption.READ)) {
            Thread writer = stage("volume-copy-write", () -> write(out, toWrite, toVerify, free, failure, target));
            Thread verifier = stage("volume-copy-verify", () -> verify(back, toVerify, check, skipUnwritten, failure,
                    target));
            try {
                read(in, source, length, chunks, data, targetReadsZero, free, toWrite, failure, progress);
            } finally {
                toWrite.put(Chunk.END);
                writer.join();
                verifier.join();
            }
            if (failure.get() != null) {
                throw failure.get();
            }
            out.force(true);
        } catch (IOException e) {
            throw failed("copy " + source + " to " + target + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failed("copy interrupted", e);
        }
    }

    /** A chunk on its way: its offset, the CRC-32C of what the source holds there, and its data when written. */
    private record Chunk(long at, int length, int sum, ByteBuffer data, boolean write) {
        static final Chunk END = new Chunk(-1, 0, 0, null, false);
    }

    private void read(FileChannel in, Path source, long length, int chunks, DataExtents data, boolean targetReadsZero,
                      BlockingQueue<ByteBuffer> free, BlockingQueue<Chunk> toWrite,
                      AtomicReference<RuntimeException> failure, Progress progress)
            throws IOException, InterruptedException {
        long started = System.nanoTime();
        long read = 0;
        int reported = -1;
        for (int i = 0; i < chunks && failure.get() == null; i++) {
            long at = (long) i * CHUNK;
            int n = (int) Math.min(CHUNK, length - at);
            if (!data.anyData(at, at + n)) {
                // a hole of the source file reads as zeroes: nothing to read, and on a target that reads as
                // zeroes nothing to write; onto one that may not (a thick LV), zeroes are written
                toWrite.put(new Chunk(at, n, zeroSum(n), null, !targetReadsZero));
            } else {
                ByteBuffer buf = free.take();
                readFully(in, buf, at, n, source);
                int sum = crc(buf);
                boolean write = !(targetReadsZero && allZero(buf));
                if (!write) {
                    free.put(buf);
                }
                toWrite.put(new Chunk(at, n, sum, write ? buf : null, write));
                read += n;
                throttle(started, read);
            }
            int done = (int) ((at + n) * 100 / Math.max(1, length));
            if (done != reported) {
                progress.percent(done);
                reported = done;
            }
        }
    }

    /** Writes each chunk that needs it; after a failure only passes chunks on, so no stage waits forever. */
    private static void write(FileChannel out, BlockingQueue<Chunk> in, BlockingQueue<Chunk> next,
                              BlockingQueue<ByteBuffer> free, AtomicReference<RuntimeException> failure, Path target) {
        ByteBuffer zeroes = ByteBuffer.allocateDirect(CHUNK + ALIGN).alignedSlice(ALIGN);
        try {
            for (Chunk c = in.take(); c != Chunk.END; c = in.take()) {
                try {
                    if (c.write() && failure.get() == null) {
                        ByteBuffer b = c.data() != null ? c.data() : zeroes.clear().limit(c.length());
                        b.position(0);
                        while (b.hasRemaining()) {
                            out.write(b, c.at() + b.position());
                        }
                    }
                } catch (IOException e) {
                    failure.compareAndSet(null, failed("write " + target + " at byte " + c.at() + ": "
                            + e.getMessage(), e));
                }
                if (c.data() != null) {
                    free.put(c.data());
                }
                next.put(c);
            }
            next.put(Chunk.END);
        } catch (InterruptedException e) {
            failure.compareAndSet(null, failed("copy interrupted", e));
            next.add(Chunk.END);
        }
    }

    /** Reads written chunks back and compares; the first that differs is the failure. */
    private static void verify(FileChannel back, BlockingQueue<Chunk> in, boolean check, boolean skipUnwritten,
                               AtomicReference<RuntimeException> failure, Path target) {
        ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK + ALIGN).alignedSlice(ALIGN);
        try {
            for (Chunk c = in.take(); c != Chunk.END; c = in.take()) {
                if (!check || failure.get() != null || skipUnwritten && !c.write()) {
                    continue;
                }
                try {
                    readFully(back, buf, c.at(), c.length(), target);
                    if (crc(buf) != c.sum()) {
                        failure.compareAndSet(null, failed("the copy on " + target
                                + " differs from its source at byte " + c.at(), null));
                    }
                } catch (IOException e) {
                    failure.compareAndSet(null, failed("read back " + target + ": " + e.getMessage(), e));
                }
            }
        } catch (InterruptedException e) {
            failure.compareAndSet(null, failed("copy interrupted", e));
        }
    }

    private static Thread stage(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
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

    private static final int ZERO_CHUNK_SUM = crcOfZeroes(CHUNK);

    private static int zeroSum(int n) {
        return n == CHUNK ? ZERO_CHUNK_SUM : crcOfZeroes(n);
    }

    private static int crcOfZeroes(int n) {
        CRC32C c = new CRC32C();
        c.update(new byte[n]);
        return (int) c.getValue();
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

    /**
     * The same copy and proof between a reader and a writer, for a volume that is not a file or device on one
     * side (an RBD image through librbd): {@link BlockCopy}. {@code readBack} opens a reader of the target.
     */
    public void copy(BlockReader source, BlockWriter target, java.util.function.Supplier<BlockReader> readBack,
                     long length, boolean targetReadsZero, Progress progress) {
        BlockCopy.copy(source, target, this.readBack ? readBack : null, length, targetReadsZero, bytesPerSecond,
                progress);
    }

    private void throttle(long startedNanos, long bytesDone) {
        throttle(bytesPerSecond, startedNanos, bytesDone);
    }

    /** Sleeps until {@code bytesDone} is no more than {@code bytesPerSecond} allows since the start (0: no limit). */
    static void throttle(long bytesPerSecond, long startedNanos, long bytesDone) {
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
