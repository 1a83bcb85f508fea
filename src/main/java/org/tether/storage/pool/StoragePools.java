package org.tether.storage.pool;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.tether.config.TetherConfig;
import org.tether.config.StorageConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.storage.volume.CreateVolume;
import org.tether.storage.volume.Pool;
import org.tether.storage.volume.VolumeBackend;
import org.tether.storage.volume.VolumeRecord;
import org.tether.storage.volume.VolumeService;
import org.tether.storage.volume.VolumeStore;
import org.tether.storage.volume.VolumeType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The pools this agent offers, with the capabilities Cinder's scheduler reads, and the placement of a new
 * volume among them.
 */
@ApplicationScoped
public class StoragePools {
    private static final double GIB = 1L << 30;

    private final VolumeService volumes;
    private final VolumeStore store;
    private final String host;

    @Inject
    public StoragePools(VolumeService volumes, VolumeStore store, TetherConfig config) {
        this.volumes = volumes;
        this.store = store;
        this.host = config.connector().host().orElseGet(StoragePools::hostname);
    }

    /** For reports: a pool whose backend cannot be read now shows {@code backend_state: down}. */
    public List<PoolCapabilities> pools() {
        return volumes.pools().all().stream().map(p -> {
            try {
                return capabilities(p, p.backend().stats(), "up");
            } catch (TetherException e) {
                return capabilities(p, new VolumeBackend.PoolStats(p.kind().name(), 0, 0, null, null), "down");
            }
        }).toList();
    }

    /** Cinder's {@code host@backend#pool} for a volume in {@code pool}. */
    public String hostOf(String pool) {
        String backend = volumes.pools().find(pool).map(Pool::volumeBackendName).orElse("unknown");
        return host + "@" + backend + "#" + pool;
    }

    /**
     * Chooses the pool (and thin or thick) for a new volume, or refuses with the filter that removed each pool.
     * A volume made from a snapshot or another volume is made by the source's backend, so in its pool. A pool
     * whose backend cannot be read now (monitors away) is passed over; when no other pool can take the volume,
     * that backend's own answer (a retryable 503) is the answer. Back-end QoS is refused on a pool that cannot
     * enforce it: it would otherwise be silently ignored.
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
        String wanted = sourcePool(req, pool);
        List<PoolCapabilities> up = new ArrayList<>();
        TetherException down = null;
        for (Pool p : volumes.pools().all()) {
            try {
                up.add(capabilities(p, p.backend().admissionStats(), "up"));
            } catch (TetherException e) {
                if (wanted != null && wanted.equals(p.name())) {
                    throw e;
                }
                down = down == null ? e : down;
            }
        }
        PoolCapabilities chosen;
        try {
            chosen = PoolScheduler.choose(up, type, wantThin, req.sizeGb(), wanted);
        } catch (TetherException e) {
            throw down != null && wanted == null ? down : e;
        }
        if (type != null && type.qos() != null && type.qos().backEnd() && !"both".equals(type.qos().consumer())
                && !chosen.qosSupport()) {
            throw new TetherException(ErrorCode.QOS_NOT_SUPPORTED, "volume_type.qos_specs.consumer", "pool "
                    + chosen.poolName() + " reports QoS_support false: it cannot enforce back-end QoS specs");
        }
        return req.placed(new VolumeRecord.Placement(chosen.poolName(), type), wantThin);
    }

    /**
     * Where a volume goes with a new type (Cinder's retype): its own pool when that pool satisfies the type's
     * extra specs, provisioning and QoS consumer; otherwise the pool the scheduler chooses among the others.
     *
     * @return the pool and provisioning; the pool is the volume's own when no move is needed
     */
    public CreateVolume retypeTarget(VolumeRecord r, VolumeType type) {
        String own = volumes.pools().nameOf(r);
        boolean wantThin = type.provisioning() == null ? r.thin() : type.provisioning().equals("thin");
        boolean backEndQos = type.qos() != null && type.qos().backEnd() && !"both".equals(type.qos().consumer());
        List<PoolCapabilities> others = new ArrayList<>();
        for (Pool p : volumes.pools().all()) {
            PoolCapabilities caps;
            try {
                caps = capabilities(p, p.backend().admissionStats(), "up");
            } catch (TetherException e) {
                continue;
            }
            if (p.name().equals(own)) {
                if (wantThin == r.thin() && PoolScheduler.capabilitiesRefusal(caps, type) == null
                        && (!backEndQos || caps.qosSupport())) {
                    return placedAt(r, own, type, wantThin);
                }
            } else {
                others.add(caps);
            }
        }
        PoolCapabilities chosen = PoolScheduler.choose(others, type, wantThin, r.sizeGb(), null);
        if (backEndQos && !chosen.qosSupport()) {
            throw new TetherException(ErrorCode.QOS_NOT_SUPPORTED, "volume_type.qos_specs.consumer", "pool "
                    + chosen.poolName() + " reports QoS_support false: it cannot enforce back-end QoS specs");
        }
        return placedAt(r, chosen.poolName(), type, wantThin);
    }

    private static CreateVolume placedAt(VolumeRecord r, String pool, VolumeType type, boolean thin) {
        return new CreateVolume(r.id(), r.sizeGb(), thin, null, null, r.qosSpecs())
                .placed(new VolumeRecord.Placement(pool, type), thin);
    }

    /** The pool a copy of a snapshot or volume must go to (its source's), or the request's own choice. */
    private String sourcePool(CreateVolume req, String asked) {
        UUID source = req.sourceVolume();
        VolumeRecord owner = null;
        if (req.sourceSnapshot() != null) {
            owner = store.ownerOf(req.sourceSnapshot()).orElse(null);
        } else if (source != null) {
            owner = store.find(source).orElse(null);
        }
        if (owner == null) {
            return asked; // no such source: the create says so with its own code
        }
        String its = volumes.pools().nameOf(owner);
        if (asked != null && !asked.equals(its)) {
            throw TetherException.invalid("pool", "the source is in pool " + its + "; a volume made from it is "
                    + "made there, not in pool " + asked);
        }
        return its;
    }

    private PoolCapabilities capabilities(Pool p, VolumeBackend.PoolStats stats, String state) {
        List<VolumeRecord> mine = volumes.list(p);
        double provisioned = volumes.provisioned(p) / GIB;
        boolean rbd = p.kind() == StorageConfig.BackendKind.RBD;
        return new PoolCapabilities(p.name(), p.volumeBackendName(), stats.totalBytes() / GIB,
                stats.freeBytes() / GIB, provisioned, provisioned, p.capacity().maxRatio(), p.reservedPercentage(),
                true, p.thickSupport(), false, true, mine.size(), rbd ? "ceph" : "iSCSI", state, locationInfo(p),
                Map.of());
    }

    /** As Cinder's drivers write it: LVM's {@code LVMVolumeDriver:host:vg:lvm_type:mirrors}, others alike. */
    private String locationInfo(Pool p) {
        return switch (p.kind()) {
            case LVM -> "LVMVolumeDriver:" + host + ":" + p.location() + ":thin:0";
            case FILE -> "file:" + host + ":" + p.location();
            case RBD -> "rbd:" + p.location();
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
