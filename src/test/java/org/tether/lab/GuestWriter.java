package org.tether.lab;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A guest that keeps writing: numbered 64 KiB blocks written through QEMU (HMP {@code qemu-io}) to one drive, spread
 * over the first half of {@code shadow}, until closed; {@code shadow} holds what the drive must read afterwards.
 */
public final class GuestWriter implements AutoCloseable {
    public static final int BLOCK = 64 << 10;

    public final AtomicInteger written = new AtomicInteger();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;
    private volatile Throwable failed;

    /** @param first the first block number: a later writer starts past an earlier one's, so its patterns differ */
    public GuestWriter(TestDomain dom, String drive, byte[] shadow, int first) {
        thread = new Thread(() -> {
            try {
                for (int i = first; !stop.get(); i++) {
                    int block = (i * 7) % (shadow.length / BLOCK / 2);
                    int pattern = 1 + i % 250;
                    dom.hmp("qemu-io -d " + drive + " \"write -P 0x" + Integer.toHexString(pattern) + " "
                            + (long) block * BLOCK + " " + BLOCK + "\"");
                    Arrays.fill(shadow, block * BLOCK, (block + 1) * BLOCK, (byte) pattern);
                    written.incrementAndGet();
                }
            } catch (Throwable t) {
                failed = t;
            }
        }, "guest-writer");
        thread.start();
    }

    @Override
    public void close() throws Exception {
        stop.set(true);
        thread.join(30_000);
        assertThat(failed).as("every write through QEMU succeeded").isNull();
    }
}
