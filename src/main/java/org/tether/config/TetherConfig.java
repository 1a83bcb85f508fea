package org.tether.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;

/** Everything an operator can set, under {@code tether.*}. */
@ConfigMapping(prefix = "tether")
public interface TetherConfig {

    /** Which halves of the agent run on this host. */
    @WithDefault("compute")
    Mode mode();

    /** Directory holding the attachment journal; must survive reboots. */
    @WithDefault("/var/lib/tether")
    Path stateDir();

    LibvirtConfig libvirt();

    AttachConfig attach();

    /** The agent's own metrics. */
    MetricsConfig metrics();

    IscsiConfig iscsi();

    NvmeConfig nvme();

    ConnectorConfig connector();

    StorageConfig storage();

    InstancesConfig instances();

    ReconcileConfig reconcile();

    ApiConfig api();

    CallbacksConfig callbacks();

    CinderConfig cinder();

    OperationsConfig operations();

    CephConfig ceph();

    GlanceConfig glance();

    KeyManagerConfig keymanager();

    EncryptionConfig encryption();

    BackupConfig backup();

    MigrationConfig migration();

    enum Mode { COMPUTE, STORAGE, BOTH }

}
