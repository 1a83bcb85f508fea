package org.tether.storage.volume;

/**
 * A volume's (or snapshot's) bytes as a backup reads them: which ranges were ever written, and the bytes of
 * those. Ranges never written read as zeroes and are not read at all.
 */
public interface BlockReader extends AutoCloseable {
    /** False only when nothing in {@code [offset, offset + length)} was ever written. */
    boolean hasData(long offset, int length);

    /** Exactly {@code length} bytes from {@code offset} into {@code buf} (zeroes past the end). */
    void read(long offset, byte[] buf, int length);

    @Override
    void close();
}
