package org.tether.storage.volume;

/**
 * A volume's (or snapshot's) bytes as a backup reads them: which ranges were ever written, and the bytes of
 * those. Ranges never written read as zeroes and are not read at all.
 */
public interface BlockReader extends AutoCloseable {
    /** False only when nothing in {@code [offset, offset + length)} was ever written. */
    boolean hasData(long offset, int length);

    /**
     * False only when {@code [offset, offset + length)} is known to hold what it held at the base snapshot the
     * reader was opened against (a backup then takes the parent backup's chunk without reading it); true when it
     * changed, or when the reader cannot tell.
     */
    default boolean changed(long offset, int length) {
        return true;
    }

    /** Exactly {@code length} bytes from {@code offset} into {@code buf} (zeroes past the end). */
    void read(long offset, byte[] buf, int length);

    @Override
    void close();
}
