package org.tether.storage.pool;

/**
 * Cinder's capacity arithmetic ({@code sched_utils.calculate_capacity_factors}): what is left for a new
 * volume, thin against the over-subscribed total, thick against what the pool says is free.
 *
 * @param totalAvailable the total this agent may promise (reserved taken off; times the ratio for thin)
 * @param virtualFree    what is left of it for a new volume
 */
public record CapacityFactors(double totalAvailable, double virtualFree) {

    public static CapacityFactors of(PoolCapabilities p, boolean thin) {
        double reservedCapacity = Math.floor(p.totalGb() * p.reservedPercentage() / 100.0);
        double totalReservedAvailable = p.totalGb() - reservedCapacity;
        if (thin && p.thinProvisioningSupport()) {
            double totalAvailable = totalReservedAvailable * p.maxOverSubscriptionRatio();
            return new CapacityFactors(totalAvailable, totalAvailable - p.provisionedGb());
        }
        double calculatedFree = totalReservedAvailable - p.provisionedGb();
        return new CapacityFactors(totalReservedAvailable, Math.min(calculatedFree, p.freeGb()));
    }
}
