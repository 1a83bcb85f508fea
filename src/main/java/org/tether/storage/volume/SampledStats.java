package org.tether.storage.volume;

import org.tether.storage.volume.VolumeBackend.PoolStats;

import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A pool's statistics as an admission check may use them: a reading younger than {@code maxAge} serves again
 * instead of asking the backend. This is what Cinder's scheduler does with the stats its volume service reports
 * every minute; here it keeps a slow reading (Ceph's {@code ceph df}, half a second through its Python CLI) off
 * every create. Whatever asks for fresh stats ({@link #fresh()}: health, the pool listing) refreshes the sample.
 * A failed reading is never kept.
 */
public final class SampledStats {
    private record Sample(PoolStats stats, long atNanos) {
    }

    private final Supplier<PoolStats> read;
    private final long maxAgeNanos;
    private final LongSupplier nanoTime;
    private volatile Sample last;

    public SampledStats(Supplier<PoolStats> read, Duration maxAge) {
        this(read, maxAge, System::nanoTime);
    }

    SampledStats(Supplier<PoolStats> read, Duration maxAge, LongSupplier nanoTime) {
        this.read = read;
        this.maxAgeNanos = maxAge.toNanos();
        this.nanoTime = nanoTime;
    }

    /** Read now, and keep the reading for the next admission. */
    public PoolStats fresh() {
        long at = nanoTime.getAsLong();
        PoolStats stats = read.get();
        last = new Sample(stats, at);
        return stats;
    }

    /** The last reading while it is younger than the maximum age, else a fresh one. */
    public PoolStats recent() {
        Sample s = last;
        if (s != null && nanoTime.getAsLong() - s.atNanos() < maxAgeNanos) {
            return s.stats();
        }
        return fresh();
    }
}
