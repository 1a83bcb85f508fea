package org.tether.storage.pool;

import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.storage.volume.VolumeType;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Picks a pool for a new volume the way Cinder's filter scheduler does on one host: the capabilities
 * filter (extra specs against each pool's capabilities, {@code capabilities:} scoped or bare keys, and
 * {@code provisioning:type} against thin/thick support), the capacity filter (Cinder's thin and thick
 * arithmetic), then the capacity weigher (most virtual free space wins). A refusal names, for every pool,
 * the filter that removed it and why.
 */
public final class PoolScheduler {
    private PoolScheduler() {
    }

    /** @param explicitPool a pool the request named, or null to let the filters and the weigher choose */
    public static PoolCapabilities choose(List<PoolCapabilities> pools, VolumeType type, boolean thin, int sizeGb,
                                          String explicitPool) {
        List<String> removed = new ArrayList<>();
        List<PoolCapabilities> candidates = new ArrayList<>();
        for (PoolCapabilities p : pools) {
            if (explicitPool != null && !explicitPool.equals(p.poolName())) {
                continue;
            }
            String why = capabilitiesRefusal(p, type);
            if (why == null) {
                why = capacityRefusal(p, thin, sizeGb);
                if (why != null) {
                    why = "CapacityFilter: " + why;
                }
            } else {
                why = "CapabilitiesFilter: " + why;
            }
            if (why == null) {
                candidates.add(p);
            } else {
                removed.add("pool " + p.poolName() + " removed by " + why);
            }
        }
        if (explicitPool != null && removed.isEmpty() && candidates.isEmpty()) {
            throw TetherException.invalid("pool", "no pool named " + explicitPool + " (pools: "
                    + String.join(", ", pools.stream().map(PoolCapabilities::poolName).toList()) + ")");
        }
        // a pool that matched the type but had no room makes it a capacity problem, not a type mismatch
        return candidates.stream().max(Comparator.comparingDouble(p -> CapacityFactors.of(p, thin).virtualFree()))
                .orElseThrow(() -> new TetherException(removed.stream().anyMatch(r -> r.contains("CapacityFilter"))
                        ? ErrorCode.INSUFFICIENT_CAPACITY : ErrorCode.NO_VALID_POOL,
                        explicitPool != null ? "pool" : "volume_type",
                        "no pool can take this volume: " + String.join("; ", removed)));
    }

    /** Why the pool's capabilities do not satisfy the type's extra specs, or null when they do. */
    static String capabilitiesRefusal(PoolCapabilities p, VolumeType type) {
        if (type == null) {
            return null;
        }
        for (Map.Entry<String, String> spec : type.extraSpecs().entrySet()) {
            String key = spec.getKey();
            String[] scope = key.split(":", 2);
            if (key.equals("provisioning:type")) {
                String want = spec.getValue().strip();
                if (want.equals("thin") && !p.thinProvisioningSupport()
                        || want.equals("thick") && !p.thickProvisioningSupport()) {
                    return "provisioning:type " + want + " is not supported";
                }
                continue;
            }
            String capability;
            if (scope.length == 1) {
                capability = key;
            } else if (scope[0].equals("capabilities")) {
                capability = scope[1];
            } else {
                continue; // other scopes are for other consumers (QoS, the hypervisor, ...)
            }
            String has = p.capability(capability);
            if (!ExtraSpecMatch.matches(has, spec.getValue())) {
                return key + " wants '" + spec.getValue() + "', the pool has " + (has == null ? "none" : "'" + has + "'");
            }
        }
        return null;
    }

    /** Cinder's CapacityFilter; null when the volume fits. */
    static String capacityRefusal(PoolCapabilities p, boolean thin, int sizeGb) {
        if (sizeGb == 0) {
            return null;
        }
        if (p.totalGb() <= 0) {
            return "its total capacity is " + p.totalGb() + " GiB";
        }
        CapacityFactors f = CapacityFactors.of(p, thin);
        if (thin && p.thinProvisioningSupport()) {
            if (p.maxOverSubscriptionRatio() < 1) {
                return "max_over_subscription_ratio " + p.maxOverSubscriptionRatio() + " is below 1";
            }
            double provisionedRatio = (p.provisionedGb() + sizeGb) / f.totalAvailable();
            if (provisionedRatio > p.maxOverSubscriptionRatio()) {
                return String.format("provisioned ratio %.2f would pass max_over_subscription_ratio %.2f",
                        provisionedRatio, p.maxOverSubscriptionRatio());
            }
        }
        if (f.virtualFree() < sizeGb) {
            return String.format("%.2f GiB virtual free for a %d GiB %s volume", f.virtualFree(), sizeGb,
                    thin && p.thinProvisioningSupport() ? "thin" : "thick");
        }
        return null;
    }
}
