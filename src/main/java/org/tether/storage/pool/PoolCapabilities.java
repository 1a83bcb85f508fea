package org.tether.storage.pool;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A pool as Cinder's {@code get_pools} (detail) reports it to the scheduler, in GiB.
 *
 * @param allocatedGb   what this agent's volumes in the pool add up to
 * @param provisionedGb what is promised (Cinder's {@code provisioned_capacity_gb}; here the same)
 * @param extra         more capabilities an extra spec may name ({@code capabilities:<key>})
 */
public record PoolCapabilities(String poolName, String volumeBackendName, double totalGb, double freeGb,
                               double allocatedGb, double provisionedGb, double maxOverSubscriptionRatio,
                               int reservedPercentage, boolean thinProvisioningSupport,
                               boolean thickProvisioningSupport, boolean qosSupport, boolean multiattach,
                               int totalVolumes, String storageProtocol, String backendState, String locationInfo,
                               Map<String, String> extra) {

    public PoolCapabilities {
        extra = extra == null ? Map.of() : Map.copyOf(extra);
    }

    /** A capability by the name an extra spec uses; null when the pool has none of that name. */
    public String capability(String key) {
        return switch (key) {
            case "volume_backend_name" -> volumeBackendName;
            case "pool_name" -> poolName;
            case "thin_provisioning_support" -> Boolean.toString(thinProvisioningSupport);
            case "thick_provisioning_support" -> Boolean.toString(thickProvisioningSupport);
            case "QoS_support" -> Boolean.toString(qosSupport);
            case "multiattach" -> Boolean.toString(multiattach);
            case "storage_protocol" -> storageProtocol;
            case "total_capacity_gb" -> Double.toString(totalGb);
            case "free_capacity_gb" -> Double.toString(freeGb);
            case "reserved_percentage" -> Integer.toString(reservedPercentage);
            case "max_over_subscription_ratio" -> Double.toString(maxOverSubscriptionRatio);
            default -> extra.get(key);
        };
    }

    /** The wire form, with Cinder's key names. */
    public Map<String, Object> report() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pool_name", poolName);
        m.put("volume_backend_name", volumeBackendName);
        m.put("total_capacity_gb", round(totalGb));
        m.put("free_capacity_gb", round(freeGb));
        m.put("allocated_capacity_gb", round(allocatedGb));
        m.put("provisioned_capacity_gb", round(provisionedGb));
        m.put("max_over_subscription_ratio", maxOverSubscriptionRatio);
        m.put("reserved_percentage", reservedPercentage);
        m.put("thin_provisioning_support", thinProvisioningSupport);
        m.put("thick_provisioning_support", thickProvisioningSupport);
        m.put("QoS_support", qosSupport);
        m.put("multiattach", multiattach);
        m.put("total_volumes", totalVolumes);
        m.put("location_info", locationInfo);
        m.put("backend_state", backendState);
        m.put("storage_protocol", storageProtocol);
        extra.forEach(m::putIfAbsent);
        return m;
    }

    private static double round(double gb) {
        return Math.round(gb * 100) / 100.0;
    }
}
