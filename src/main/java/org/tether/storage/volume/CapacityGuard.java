package org.tether.storage.volume;

import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

/**
 * Decides whether a new volume fits: thin volumes against the over-subscription ratio and the pool's
 * fill thresholds, thick volumes against free space. Refuses before anything is created.
 */
public final class CapacityGuard {
    private final double maxRatio;
    private final int thresholdPercent;

    public CapacityGuard(double maxRatio, int thresholdPercent) {
        this.maxRatio = maxRatio;
        this.thresholdPercent = thresholdPercent;
    }

    public double maxRatio() {
        return maxRatio;
    }

    public int thresholdPercent() {
        return thresholdPercent;
    }

    public void check(VolumeBackend.PoolStats pool, long provisionedBytes, long newBytes, boolean thin) {
        if (pool.dataPercent() != null && pool.dataPercent() >= thresholdPercent) {
            throw full("the pool's data use is " + pool.dataPercent() + "%, at or above the " + thresholdPercent
                    + "% threshold");
        }
        if (pool.metadataPercent() != null && pool.metadataPercent() >= thresholdPercent) {
            throw full("the pool's metadata use is " + pool.metadataPercent() + "%, at or above the "
                    + thresholdPercent + "% threshold");
        }
        if (!thin && newBytes > pool.freeBytes()) {
            throw full("a thick volume of " + gib(newBytes) + " GiB needs more than the " + gib(pool.freeBytes())
                    + " GiB free");
        }
        double ratio = pool.totalBytes() == 0 ? Double.POSITIVE_INFINITY
                : (double) (provisionedBytes + newBytes) / pool.totalBytes();
        if (ratio > maxRatio) {
            throw full(String.format("provisioning %d GiB more would over-subscribe the pool %.2f:1, above the "
                    + "%.2f:1 limit", gib(newBytes), ratio, maxRatio));
        }
    }

    private static long gib(long bytes) {
        return bytes >> 30;
    }

    private static TetherException full(String detail) {
        return new TetherException(ErrorCode.INSUFFICIENT_CAPACITY, "size_gb", detail);
    }
}
