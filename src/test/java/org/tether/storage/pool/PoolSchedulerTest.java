package org.tether.storage.pool;

import org.junit.jupiter.api.Test;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.storage.volume.VolumeType;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The scheduler's decisions against Cinder's own arithmetic (capacity_filter, sched_utils, capacity weigher). */
class PoolSchedulerTest {

    private static PoolCapabilities pool(String name, String backend, double total, double free, double provisioned,
                                         double ratio, int reserved, boolean thin, boolean thick) {
        return new PoolCapabilities(name, backend, total, free, provisioned, provisioned, ratio, reserved, thin, thick,
                false, true, 0, "iSCSI", "up", null, Map.of());
    }

    private static VolumeType type(String... specs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < specs.length; i += 2) {
            m.put(specs[i], specs[i + 1]);
        }
        return new VolumeType("t", m, null);
    }

    @Test
    void thickUsesFreeSpaceLessTheReservedShare() {
        // reserved floor(100 * 10%) = 10: 90 available, 40 provisioned, 50 free -> 50 left
        PoolCapabilities p = pool("a", "lvm", 100, 50, 40, 20, 10, true, true);
        assertThat(CapacityFactors.of(p, false).virtualFree()).isEqualTo(50);
        assertThat(PoolScheduler.capacityRefusal(p, false, 50)).isNull();
        assertThat(PoolScheduler.capacityRefusal(p, false, 51)).contains("50.00 GiB virtual free for a 51 GiB thick");
        // reported free below the calculation wins
        PoolCapabilities tight = pool("b", "lvm", 100, 5, 40, 20, 10, true, true);
        assertThat(CapacityFactors.of(tight, false).virtualFree()).isEqualTo(5);
    }

    @Test
    void thinUsesTheOverSubscribedTotalAsCindersTestDoes() {
        // Cinder's test_filter_thin_true_passes: total 500, reserved 5% -> 475 x 2.0 = 950, provisioned 500
        PoolCapabilities p = pool("a", "lvm", 500, 200, 500, 2.0, 5, true, true);
        CapacityFactors f = CapacityFactors.of(p, true);
        assertThat(f.totalAvailable()).isEqualTo(950);
        assertThat(f.virtualFree()).isEqualTo(450);
        assertThat(PoolScheduler.capacityRefusal(p, true, 100)).isNull();
        assertThat(PoolScheduler.capacityRefusal(p, true, 451)).contains("450.00 GiB virtual free");
    }

    @Test
    void thinPastTheRatioIsRefusedEvenWithFreeSpace() {
        PoolCapabilities p = pool("a", "lvm", 100, 100, 95, 1.0, 0, true, true);
        assertThat(PoolScheduler.capacityRefusal(p, true, 10))
                .isEqualTo("provisioned ratio 1.05 would pass max_over_subscription_ratio 1.00");
        PoolCapabilities bad = pool("b", "lvm", 100, 100, 0, 0.5, 0, true, true);
        assertThat(PoolScheduler.capacityRefusal(bad, true, 1)).contains("below 1");
    }

    @Test
    void aThinRequestOnAPoolWithoutThinSupportIsCountedAsThick() {
        PoolCapabilities p = pool("a", "file", 100, 30, 0, 20, 0, false, true);
        assertThat(CapacityFactors.of(p, true).virtualFree()).isEqualTo(30);
        assertThat(PoolScheduler.capacityRefusal(p, true, 31)).contains("thick");
    }

    @Test
    void capabilitiesFilterMatchesScopedAndBareKeysWithCindersOperators() {
        PoolCapabilities lvm = pool("fast", "lvm", 100, 100, 0, 20, 0, true, true);
        assertThat(PoolScheduler.capabilitiesRefusal(lvm, type("volume_backend_name", "lvm",
                "capabilities:multiattach", "<is> True", "QoS_support", "<is> False", "hw:cpu_policy", "dedicated",
                "capabilities:total_capacity_gb", "= 50", "storage_protocol", "<or> iSCSI <or> FC"))).isNull();
        assertThat(PoolScheduler.capabilitiesRefusal(lvm, type("volume_backend_name", "file")))
                .isEqualTo("volume_backend_name wants 'file', the pool has 'lvm'");
        assertThat(PoolScheduler.capabilitiesRefusal(lvm, type("capabilities:total_capacity_gb", "= 200")))
                .contains("total_capacity_gb");
        assertThat(PoolScheduler.capabilitiesRefusal(lvm, type("capabilities:replication", "<is> True")))
                .contains("the pool has none");
        PoolCapabilities file = pool("slow", "file", 100, 100, 0, 20, 0, true, false);
        assertThat(PoolScheduler.capabilitiesRefusal(file, type("provisioning:type", "thick")))
                .isEqualTo("provisioning:type thick is not supported");
    }

    @Test
    void theWeigherTakesTheMostVirtualFreeSpaceAndARefusalNamesEachPoolAndFilter() {
        PoolCapabilities small = pool("small", "lvm", 100, 100, 0, 1, 0, true, true);
        PoolCapabilities big = pool("big", "lvm", 1000, 1000, 0, 1, 0, true, true);
        PoolCapabilities other = pool("other", "file", 5000, 5000, 0, 1, 0, true, true);
        List<PoolCapabilities> all = List.of(small, big, other);
        assertThat(PoolScheduler.choose(all, type("volume_backend_name", "lvm"), true, 10, null).poolName())
                .isEqualTo("big");
        assertThat(PoolScheduler.choose(all, null, true, 10, null).poolName()).isEqualTo("other");
        assertThat(PoolScheduler.choose(all, null, true, 10, "small").poolName()).isEqualTo("small");

        TetherException none = assertThrows(TetherException.class,
                () -> PoolScheduler.choose(all, type("volume_backend_name", "rbd"), true, 10, null));
        assertThat(none.code()).isEqualTo(ErrorCode.NO_VALID_POOL);
        assertThat(none.getMessage()).contains("pool small removed by CapabilitiesFilter",
                "pool other removed by CapabilitiesFilter: volume_backend_name wants 'rbd', the pool has 'file'");
        TetherException full = assertThrows(TetherException.class,
                () -> PoolScheduler.choose(all, type("volume_backend_name", "lvm"), true, 2000, null));
        assertThat(full.code()).isEqualTo(ErrorCode.INSUFFICIENT_CAPACITY);
        assertThat(full.getMessage()).contains("pool big removed by CapacityFilter");
        TetherException unknown = assertThrows(TetherException.class,
                () -> PoolScheduler.choose(all, null, true, 1, "nope"));
        assertThat(unknown.field()).isEqualTo("pool");
    }

    @Test
    void frontEndSpecsAreScaledPerGibClampedAndLoseTheConsumerAsCinderDoes() {
        VolumeType t = new VolumeType("gold", Map.of(), new VolumeType.Qos("front-end", Map.of(
                "total_iops_sec_per_gb", "10", "total_iops_sec_per_gb_min", "500", "read_bytes_sec_per_gb", "1048576",
                "read_bytes_sec_max", "52428800", "write_iops_sec", "300")));
        assertThat(t.frontEndSpecs(20)).isEqualTo(Map.of("total_iops_sec", "500", "read_bytes_sec", "20971520",
                "write_iops_sec", "300"));
        assertThat(t.frontEndSpecs(100)).isEqualTo(Map.of("total_iops_sec", "1000", "read_bytes_sec", "52428800",
                "write_iops_sec", "300"));
        assertThat(new VolumeType("both", Map.of(), new VolumeType.Qos("both", Map.of("total_iops_sec", "9")))
                .frontEndSpecs(1)).isEqualTo(Map.of("total_iops_sec", "9"));
        assertThat(new VolumeType("be", Map.of(), new VolumeType.Qos("back-end", Map.of("total_iops_sec", "9")))
                .frontEndSpecs(1)).isNull();
    }
}
