package org.tether.storage.volume;

/** Bytes into a volume at offsets (a restore); {@link #flush} makes them durable. */
public interface BlockWriter extends AutoCloseable {
    void write(long offset, byte[] buf, int length);

    void flush();

    @Override
    void close();
}
