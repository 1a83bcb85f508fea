package org.tether.config;

import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** {@code tether.storage.target.*}: how volumes are exported (tgt, LIO, nvmet): names, portals, the repair pass. */
public interface TargetConfig {
    /** The export driver: {@code lio} (configfs), {@code tgt} (tgtd) or {@code nvmet} (NVMe/TCP). */
    @WithDefault("lio")
    TargetDriver driver();

    /** Prefix of every target's IQN (Cinder's {@code target_prefix}); the volume's id follows it. */
    @WithDefault("iqn.2010-10.org.openstack:")
    String iqnPrefix();

    /** Portals advertised in connection_info ({@code host:port}); the first is target_portal. */
    @WithDefault("127.0.0.1:3260")
    java.util.List<String> portals();

    /** Where LIO's configfs tree is mounted. */
    @WithDefault("/sys/kernel/config/target")
    Path configfsRoot();

    /**
     * No longer used: Tether does not write {@code saveconfig.json} (targetcli's and target.service's file);
     * accepted so configurations that set it keep starting, with a warning.
     */
    java.util.Optional<Path> saveconfig();

    /** Longest one target command (tgtadm, nvme) may take. */
    @WithDefault("30s")
    Duration commandTimeout();

    /**
     * tgt: where per-target files go that tgt's own service loads at boot ({@code targets.conf} includes
     * {@code conf.d/*.conf}), so exports survive a reboot without the agent; empty to write none.
     */
    @WithDefault("/etc/tgt/conf.d")
    Optional<Path> tgtConfDir();

    /** How often recorded exports are checked against the live target and what it lost put back. */
    @WithDefault("30s")
    Duration repairInterval();

    /**
     * How often the live targets are counted against the exported volumes: fewer (tgtd restarted,
     * configfs cleared) starts a repair pass at once rather than at the next {@code repair-interval}.
     * One listing of the target per look.
     */
    @WithDefault("2s")
    Duration watchInterval();

    /** nvmet: subsystems are named {@code <nqn-prefix>volume-<id>}. */
    @WithDefault("nqn.2010-10.org.openstack:")
    String nqnPrefix();

    /** nvmet: the NVMe/TCP portals ({@code host:port}) a port is made or found for, and connection_info lists. */
    @WithDefault("127.0.0.1:4420")
    java.util.List<String> nvmePortals();

    /** Where the kernel NVMe target's configfs tree is. */
    @WithDefault("/sys/kernel/config/nvmet")
    Path nvmetRoot();

    /** nvmet: the namespace id of every volume in its subsystem (Cinder's {@code nvmet_ns_id}). */
    @WithDefault("10")
    int nvmetNsId();

    enum TargetDriver { LIO, TGT, NVMET }
}
