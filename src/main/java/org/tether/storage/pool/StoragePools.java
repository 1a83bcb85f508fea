package org.tether.storage.pool;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.storage.volume.CreateVolume;
import org.tether.storage.volume.VolumeBackend;
import org.tether.storage.volume.VolumeRecord;
import org.tether.storage.volume.VolumeService;
import org.tether.storage.volume.VolumeType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The pools this agent offers, with the capabilities Cinder's scheduler reads, and the placement of a new
 * volume among them. Today one pool, {@code default}, on the configured backend; volume types, the capacity
 * arithmetic and the refusals are those of any number of pools.
 */
@ApplicationScoped
public class StoragePools {
    public static final String DEFAULT = "default";
    private static final double GIB = 1L << 30;

    private final VolumeService volumes;
    private final TetherConfig.Storage config;
    private final String host;

    @Inject
    public StoragePools(VolumeService volumes, TetherConfig config) {
        this.volumes = volumes;
        this.config = config.storage();
        this.host = config.connector().host().orElseGet(StoragePools::hostname);
    }

    /** For reports: a pool whose backend cannot be read now shows {@code backend_state: down}. */
    public List<PoolCapabilities> pools() {
        return List.of(defaultPool(false));
    }

    /** Cinder's {@code host@backend#pool} for a volume in {@code pool}. */
    public String hostOf(String pool) {
        return host + "@" + backendName() + "#" + pool;
    }

    /**
     * Chooses the pool (and thin or thick) for a new volume, or refuses with the filter that removed each pool.
     * Back-end QoS is refused on a pool that cannot enforce it: it would otherwise be silently ignored.
     *
     * @param thin the request's own choice, or null to follow the type's {@code provisioning:type} (thin when
     *             it says nothing)
     */
    public CreateVolume place(CreateVolume req, VolumeType type, String pool, Boolean thin) {
        String provisioning = type == null ? null : type.provisioning();
        if (thin != null && provisioning != null && thin != provisioning.equals("thin")) {
            throw TetherException.invalid("thin", "thin is " + thin + " but the volume type asks for "
                    + provisioning + " provisioning");
        }
        boolean wantThin = thin != null ? thin : !"thick".equals(provisioning);
        // a backend that cannot be read now (monitors away) is that backend's own answer, a retryable 503
        PoolCapabilities chosen = PoolScheduler.choose(List.of(defaultPool(true)), type, wantThin, req.sizeGb(), pool);
        if (type != null && type.qos() != null && type.qos().backEnd() && !"both".equals(type.qos().consumer())
                && !chosen.qosSupport()) {
            throw new TetherException(ErrorCode.QOS_NOT_SUPPORTED, "volume_type.qos_specs.consumer", "pool "
                    + chosen.poolName() + " reports QoS_support false: it cannot enforce back-end QoS specs");
        }
        return req.placed(new VolumeRecord.Placement(chosen.poolName(), type), wantThin);
    }

    private PoolCapabilities defaultPool(boolean strict) {
        VolumeBackend.PoolStats stats;
        String state = "up";
        try {
            stats = volumes.stats();
        } catch (TetherException e) {
            if (strict) {
                throw e;
            }
            stats = new VolumeBackend.PoolStats(config.backend().name().toLowerCase(Locale.ROOT), 0, 0, null, null);
            state = "down";
        }
        List<VolumeRecord> mine = volumes.list();
        double provisioned = volumes.provisioned() / GIB;
        boolean lvm = config.backend() == TetherConfig.Storage.BackendKind.LVM;
        boolean rbd = config.backend() == TetherConfig.Storage.BackendKind.RBD;
        return new PoolCapabilities(DEFAULT, backendName(), stats.totalBytes() / GIB, stats.freeBytes() / GIB,
                provisioned, provisioned, volumes.capacity().maxRatio(), config.reservedPercentage(), true, lvm,
                false, true, mine.size(), rbd ? "ceph" : "iSCSI", state, locationInfo(), Map.of());
    }

    private String backendName() {
        return config.volumeBackendName().orElse(config.backend().name().toLowerCase(Locale.ROOT));
    }

    /** As Cinder's drivers write it: LVM's {@code LVMVolumeDriver:host:vg:lvm_type:mirrors}, others alike. */
    private String locationInfo() {
        return switch (config.backend()) {
            case LVM -> "LVMVolumeDriver:" + host + ":" + config.lvm().vg() + ":thin:0";
            case FILE -> "file:" + host + ":" + config.file().dir();
            case RBD -> "rbd:" + config.rbd().clusterName() + ":" + config.rbd().pool();
        };
    }

    private static String hostname() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
