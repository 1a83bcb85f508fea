package org.tether.storage.volume;

import com.sun.jna.Native;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A file or block device as a {@link BlockReader} or {@link BlockWriter}. What was ever written comes from
 * {@code lseek(SEEK_DATA)}: a sparse file's holes are known without reading them; a block device that does not
 * tell answers that everything is data, which is only slower, never wrong.
 */
public final class FileBlocks {
    private static final int SEEK_DATA = 3;
    private static final int ENXIO = 6;

    private static final LibC LIB = LibC.INSTANCE;

    private FileBlocks() {
    }

    public static BlockReader reader(Path path) {
        FileChannel ch = open(path, StandardOpenOption.READ);
        int fd = LIB.open(path.toString(), 0);
        return new BlockReader() {
            @Override
            public boolean hasData(long offset, int length) {
                if (fd < 0) {
                    return true;
                }
                long next = LIB.lseek(fd, offset, SEEK_DATA);
                return next >= 0 ? next < offset + length : Native.getLastError() != ENXIO;
            }

            @Override
            public void read(long offset, byte[] buf, int length) {
                ByteBuffer b = ByteBuffer.wrap(buf, 0, length);
                try {
                    while (b.hasRemaining()) {
                        if (ch.read(b, offset + b.position()) < 0) {
                            java.util.Arrays.fill(buf, b.position(), length, (byte) 0);
                            return;
                        }
                    }
                } catch (IOException e) {
                    throw failed("read " + path, e);
                }
            }

            @Override
            public void close() {
                if (fd >= 0) {
                    LIB.close(fd);
                }
                closeQuietly(ch);
            }
        };
    }

    public static BlockWriter writer(Path path) {
        FileChannel ch = open(path, StandardOpenOption.WRITE);
        return new BlockWriter() {
            @Override
            public void write(long offset, byte[] buf, int length) {
                ByteBuffer b = ByteBuffer.wrap(buf, 0, length);
                try {
                    while (b.hasRemaining()) {
                        ch.write(b, offset + b.position());
                    }
                } catch (IOException e) {
                    throw failed("write " + path, e);
                }
            }

            @Override
            public void flush() {
                try {
                    ch.force(true);
                } catch (IOException e) {
                    throw failed("flush " + path, e);
                }
            }

            @Override
            public void close() {
                closeQuietly(ch);
            }
        };
    }

    private static FileChannel open(Path path, StandardOpenOption mode) {
        try {
            return FileChannel.open(path, mode);
        } catch (IOException e) {
            throw failed("open " + path, e);
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // reads and flushed writes are complete; nothing is lost by a failed close
        }
    }

    private static TetherException failed(String what, IOException e) {
        return new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "cannot " + what + ": " + e.getMessage());
    }
}
