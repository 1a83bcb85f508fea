package org.tether.concurrent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A lock that other processes on the host respect: an exclusive POSIX record lock ({@code fcntl(F_SETLK)}, the
 * whole file) on a lock file, as oslo.concurrency's external locks take it ({@code fasteners}' {@code
 * fcntl.lockf(LOCK_EX)}), so an os-brick on the same host pointed at the same file waits for Tether and the other
 * way round. POSIX locks belong to the process, so threads of this JVM first queue on an in-process lock. The
 * file is made if missing and never removed (removing it would let two holders lock two different files).
 */
public final class HostFileLock {
    private final Path file;
    private final ReentrantLock local = new ReentrantLock(true);

    public HostFileLock(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** Held until closed. */
    public interface Held extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Waits at most {@code timeout} for the lock.
     *
     * @throws TimeoutException when another process (or thread) held it all that time
     */
    public Held acquire(Duration timeout) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (!local.tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            throw new TimeoutException("another thread held " + file + " for " + timeout);
        }
        FileChannel ch = null;
        try {
            Files.createDirectories(file.getParent());
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            long pause = 1;
            while (true) {
                FileLock lock = ch.tryLock();
                if (lock != null) {
                    FileChannel open = ch;
                    return () -> {
                        try {
                            lock.release();
                            open.close();
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        } finally {
                            local.unlock();
                        }
                    };
                }
                if (System.nanoTime() >= deadline) {
                    throw new TimeoutException("another process held " + file + " for " + timeout);
                }
                // as fasteners polls: short pauses growing to 100 ms
                Thread.sleep(Math.min(pause, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
                pause = Math.min(100, pause * 2);
            }
        } catch (IOException e) {
            close(ch);
            local.unlock();
            throw new UncheckedIOException("cannot lock " + file, e);
        } catch (TimeoutException | InterruptedException | RuntimeException e) {
            close(ch);
            local.unlock();
            throw e;
        }
    }

    private static void close(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing releases any lock the channel held
            }
        }
    }
}
