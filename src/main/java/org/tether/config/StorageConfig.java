package org.tether.config;

import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/** {@code tether.storage.*}: the storage mode: its backend, pools, exports, images and copies. */
public interface StorageConfig {
    /** Where volumes live: {@code lvm} in production, {@code file} for demos and hosts without device-mapper. */
    @WithDefault("lvm")
    BackendKind backend();

    FileConfig file();

    LvmConfig lvm();

    RbdConfig rbd();

    TargetConfig target();

    ImagesConfig images();

    /** Refuse a create that would push provisioned/total past this ratio. */
    @WithDefault("20.0")
    double maxOverSubscriptionRatio();

    /**
     * Bytes per second a volume moving between pools is read at, at most, so a move does not starve the
     * exported volumes sharing the disks (Cinder's {@code volume_copy_bps_limit}); 0 for no limit. A volume in
     * use that moves is copied by its guest's QEMU, capped at this rate in whole MiB/s (at least 1).
     */
    @WithDefault("0")
    long copyBpsLimit();

    /**
     * A volume moving between pools is read back from its new pool and compared, chunk by chunk, with what
     * was read from the old one before the old copy is removed. That is a third pass over the data (about
     * 0.6x of a plain copy's throughput on one disk); off, a move trusts the writes that succeeded.
     */
    @WithDefault("true")
    boolean copyReadBack();

    /**
     * The pool's {@code volume_backend_name}, which volume types match (Cinder's option of that name);
     * unset = the backend's kind ({@code lvm}, {@code file}, {@code rbd}).
     */
    Optional<String> volumeBackendName();

    /** Share of the pool's total kept out of every capacity decision (Cinder's {@code reserved_percentage}). */
    @WithDefault("0")
    int reservedPercentage();

    /** Refuse a create while the thin pool's data or metadata use is above this percentage. */
    @WithDefault("90")
    int poolThresholdPercent();

    /**
     * Several pools in one agent, each {@code tether.storage.pools.<name>.*} (Cinder's multi-backend). Unset:
     * one pool named {@code default} from the single-backend settings above, as before pools existed.
     */
    Map<String, PoolConfig> pools();

    /**
     * The pool {@code GET /v1/pool} reports and that holds volumes recorded without one (made before
     * pools); unset = {@code default} when declared, else the first name in alphabetical order.
     */
    Optional<String> defaultPool();

    /**
     * The compute agents whose guests use this agent's exports ({@code tether.storage.compute-agents.<name>.*}):
     * a move of an exported volume to another pool has the agent of the host it is exported to move the guest onto
     * the copy. A volume exported to an initiator no agent here names is not moved while exported.
     */
    Map<String, ComputeAgent> computeAgents();

    /** One compute agent: its API and the initiator names (IQNs, host NQNs) of its host. */
    interface ComputeAgent {
        /** The compute agent's API, e.g. {@code https://compute-1:8443}. */
        java.net.URI url();

        /** File holding the bearer token of its API ({@code tether.api.token-file} there). */
        Optional<java.nio.file.Path> tokenFile();

        /** CA certificate (PEM) its TLS certificate is verified against; unset: the JVM's trust store. */
        Optional<java.nio.file.Path> caFile();

        /** Its host's initiator names, as its connector reports them ({@code initiator}, {@code nqn}). */
        java.util.List<String> initiators();

        /** The longest one call to it may take. */
        @WithDefault("1m")
        java.time.Duration timeout();
    }

    enum BackendKind { LVM, FILE, RBD }

    /**
     * One pool: its backend and where it keeps volumes, its target driver, and its own capacity rules.
     * What is not set here comes from the single-backend settings ({@code tether.storage.lvm.wipe},
     * {@code tether.storage.rbd.user}, {@code tether.storage.target.portals}...), which are the host's.
     */
    interface PoolConfig {
        /** The pool's backend: {@code lvm}, {@code file} or {@code rbd} (required). */
        BackendKind backend();

        /** {@code file}: the directory of this pool's volume files (required). */
        Optional<Path> dir();

        /** {@code lvm}: this pool's volume group (required). */
        Optional<String> vg();

        /** {@code lvm}: its thin pool's size on first need; unset = {@code tether.storage.lvm.thin-pool-size}. */
        Optional<String> thinPoolSize();

        /** {@code rbd}: the Ceph pool; unset = {@code tether.storage.rbd.pool}. */
        Optional<String> rbdPool();

        /** How its volumes are exported; unset = {@code tether.storage.target.driver} (RBD needs none). */
        Optional<TargetConfig.TargetDriver> targetDriver();

        /** Unset = {@code tether.storage.max-over-subscription-ratio}. */
        OptionalDouble maxOverSubscriptionRatio();

        /** Unset = {@code tether.storage.reserved-percentage}. */
        OptionalInt reservedPercentage();

        /** Unset = {@code tether.storage.pool-threshold-percent}. */
        OptionalInt poolThresholdPercent();

        /** What volume types match with {@code volume_backend_name}; unset = the backend's kind. */
        Optional<String> volumeBackendName();
    }
}
