package org.tether.storage.volume;

import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.BitSet;
import java.util.function.Supplier;
import java.util.zip.CRC32C;

/**
 * {@link VolumeCopy}'s proof for a volume that is not a file or device on one side (an RBD image, read and
 * written through librbd): chunk by chunk from a {@link BlockReader} to a {@link BlockWriter}, extents never
 * written not read, all-zero chunks not written onto a target that reads as zeroes, the CRC-32C of every chunk
 * as read, the target flushed, then every written chunk read back through a new reader and compared.
 */
final class BlockCopy {
    private static final int CHUNK = VolumeCopy.CHUNK;

    private BlockCopy() {
    }

    static void copy(BlockReader source, BlockWriter target, Supplier<BlockReader> readBack, long length,
                     boolean targetReadsZero, long bytesPerSecond, VolumeCopy.Progress progress) {
        int chunks = (int) ((length + CHUNK - 1) / CHUNK);
        int[] sums = new int[chunks];
        BitSet written = new BitSet(chunks);
        byte[] buf = new byte[CHUNK];
        byte[] zeroes = new byte[CHUNK];
        long started = System.nanoTime();
        long read = 0;
        int reported = -1;
        for (int i = 0; i < chunks; i++) {
            long at = (long) i * CHUNK;
            int n = (int) Math.min(CHUNK, length - at);
            if (!source.hasData(at, n)) {
                sums[i] = crc(zeroes, n);
                if (!targetReadsZero) {
                    target.write(at, zeroes, n);
                    written.set(i);
                }
            } else {
                source.read(at, buf, n);
                sums[i] = crc(buf, n);
                if (!(targetReadsZero && allZero(buf, n))) {
                    target.write(at, buf, n);
                    written.set(i);
                }
                read += n;
                VolumeCopy.throttle(bytesPerSecond, started, read);
            }
            int done = (int) ((at + n) * 100 / Math.max(1, length));
            if (done != reported) {
                progress.percent(done);
                reported = done;
            }
        }
        target.flush();
        if (readBack == null) {
            return;
        }
        try (BlockReader back = readBack.get()) {
            for (int i = written.nextSetBit(0); i >= 0; i = written.nextSetBit(i + 1)) {
                long at = (long) i * CHUNK;
                int n = (int) Math.min(CHUNK, length - at);
                back.read(at, buf, n);
                if (crc(buf, n) != sums[i]) {
                    throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, null,
                            "the copy differs from its source at byte " + at);
                }
            }
        }
    }

    private static int crc(byte[] buf, int n) {
        CRC32C c = new CRC32C();
        c.update(buf, 0, n);
        return (int) c.getValue();
    }

    private static boolean allZero(byte[] buf, int n) {
        for (int i = 0; i < n; i++) {
            if (buf[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
