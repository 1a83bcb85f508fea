package org.tether.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/** Everything an operator can set, under {@code tether.*}. */
@ConfigMapping(prefix = "tether")
public interface TetherConfig {

    /** Which halves of the agent run on this host. */
    @WithDefault("compute")
    Mode mode();

    /** Directory holding the attachment journal; must survive reboots. */
    @WithDefault("/var/lib/tether")
    Path stateDir();

    Libvirt libvirt();

    Attach attach();

    /** The agent's own metrics. */
    Metrics metrics();

    interface Metrics {
        /** How often the per-disk I/O counters are read from libvirt: one call for every running domain. */
        @WithDefault("15s")
        Duration diskIoInterval();
    }

    Iscsi iscsi();

    Nvme nvme();

    Connector connector();

    Storage storage();

    Instances instances();

    Reconcile reconcile();

    Api api();

    Callbacks callbacks();

    Cinder cinder();

    Operations operations();

    Ceph ceph();

    Glance glance();

    KeyManager keymanager();

    Backup backup();

    Migration migration();

    /**
     * Live migration to other hosts ({@code tether.migration.*}): the Tether agents this one may send a domain to,
     * by name, and how its libvirtd reaches theirs. A destination that is not named here is refused.
     */
    interface Migration {
        Map<String, Peer> peers();

        /**
         * A destination drops what it prepared for a domain that never arrived once this long has passed since the
         * prepare (the source died before it began): never while libvirt is bringing the domain in.
         */
        @WithDefault("2m")
        java.time.Duration prepareGrace();

        /** The longest a migration may run before it is aborted (the guest stays on the source). */
        @WithDefault("30m")
        java.time.Duration timeout();

        /** The longest one call to a peer agent may take (a prepare connects every volume there). */
        @WithDefault("5m")
        java.time.Duration peerTimeout();

        interface Peer {
            /** The peer agent's API, e.g. {@code https://compute-2:8443}. */
            java.net.URI url();

            /** File holding the bearer token of the peer's API ({@code tether.api.token-file} there). */
            Optional<Path> tokenFile();

            /** CA certificate (PEM) the peer's TLS certificate is verified against; unset: the JVM's trust store. */
            Optional<Path> caFile();

            /** How this host's libvirtd reaches the peer's, e.g. {@code qemu+tls://compute-2/system}. */
            String libvirtUri();

            /** Where QEMU sends memory, {@code tcp://address[:port]}; unset: libvirt's choice from the peer's name. */
            Optional<String> migrateUri();

            /** The address the peer's QEMU listens on for the incoming migration; unset: libvirt's default. */
            Optional<String> listenAddress();
        }
    }

    /** Backups of volumes (storage mode): the stores they go to, {@code tether.backup.stores.<name>.*}. */
    interface Backup {
        /** The stores by name; none configured: backups are refused with {@code backup_store_not_found}. */
        Map<String, StoreConfig> stores();

        /** The store a backup goes to when the request names none; unset: the only store, if there is one. */
        Optional<String> defaultStore();

        /** Bytes per chunk (the unit hashed, compressed, deduplicated and skipped when unwritten). */
        @WithDefault("4194304")
        int chunkBytes();

        /** Chunks one backup hashes, compresses and stores (or one restore fetches) at once. */
        @WithDefault("4")
        int parallel();

        interface StoreConfig {
            /**
             * {@code directory} (a local or NFS-mounted directory), {@code s3} (any S3 API) or {@code rados} (a
             * Ceph pool, reached through librados with the store's own ceph.conf, user and keyring).
             */
            @WithDefault("directory")
            StoreType type();

            /** The directory of a {@code directory} store. */
            Optional<Path> path();

            /** An {@code s3} store's endpoint, e.g. {@code https://rgw.example:443}. */
            Optional<java.net.URI> endpoint();

            /** An {@code s3} store's bucket; made at the first use when it does not exist. */
            Optional<String> bucket();

            /**
             * Prefix of every object name in the bucket or pool (several agents or clusters may share one bucket
             * or pool).
             */
            Optional<String> prefix();

            /** The region signed for; RADOS Gateway accepts any. */
            @WithDefault("us-east-1")
            String region();

            /** An {@code s3} store's access key id. */
            Optional<String> accessKey();

            /** A file holding the secret access key (mode 0600; never in the configuration itself). */
            Optional<Path> secretKeyFile();

            /** PEM file of the CA certificates to trust for an {@code https} endpoint; unset = the JVM's trust store. */
            Optional<Path> caFile();

            /** Bucket in the path ({@code https://host/bucket/key}), as RADOS Gateway and MinIO serve it. */
            @WithDefault("true")
            boolean pathStyle();

            /**
             * Longest an S3 call may take, its retries included, or a {@code rados} store's monitor or OSD
             * operation; then the store is unavailable (503).
             */
            @WithDefault("60s")
            java.time.Duration timeout();

            /**
             * The key manager's id of a symmetric key (Barbican's secret UUID, at least 128 bits) that encrypts
             * and authenticates the store's chunks and manifests and hides what its chunk names stand for; set
             * before the store's first backup and not changed after. Needs {@code tether.cinder.auth-url}.
             */
            Optional<String> encryptionKeyId();

            /** A {@code rados} store's pool (Cinder's {@code backup_ceph_pool}). */
            @WithDefault("backups")
            String pool();

            /** A {@code rados} store's cephx user, without {@code client.} (Cinder's {@code backup_ceph_user}). */
            @WithDefault("cinder-backup")
            String user();

            /** A {@code rados} store's keyring; unset = {@code /etc/ceph/<cluster-name>.client.<user>.keyring}. */
            Optional<Path> keyring();

            /** A {@code rados} store's cluster configuration (Cinder's {@code backup_ceph_conf}). */
            @WithDefault("/etc/ceph/ceph.conf")
            Path conf();

            /** A {@code rados} store's cluster name. */
            @WithDefault("ceph")
            String clusterName();
        }

        enum StoreType { DIRECTORY, S3, RADOS }
    }

    /**
     * The key manager of encrypted volumes: Barbican, reached with the Keystone credentials of
     * {@code tether.cinder.*}, as castellan reaches it for Nova and Cinder.
     */
    interface KeyManager {
        /** Barbican's root, e.g. {@code https://barbican.example:9311}; unset = the catalog's {@code key-manager}. */
        Optional<java.net.URI> endpoint();
    }

    /** Glance v2, reached with the Keystone credentials of {@code tether.cinder.*}. */
    interface Glance {
        /** Glance's root, e.g. {@code https://glance.example:9292}; unset = the catalog's {@code image} entry. */
        Optional<java.net.URI> endpoint();
    }

    /**
     * This host's cephx identity for RBD volumes (compute mode), as operators configure Nova's
     * {@code rbd_secret_uuid}: the agent keeps a private libvirt secret of type ceph with this UUID holding
     * the key read from {@code key-file} (0600 or 0400, root's). Without it, RBD connection_info must name a
     * secret the host already has, or carry a {@code keyring}.
     */
    interface Ceph {
        /**
         * UUID of the libvirt secret holding this host's cephx key (Nova's {@code rbd_secret_uuid}); with
         * {@code key-file} the agent defines it, otherwise the host must have it.
         */
        Optional<java.util.UUID> secretUuid();

        /** A file holding the base64 key (as {@code ceph auth get-key} prints it) or a whole keyring. */
        Optional<Path> keyFile();

        /** The cephx user the key belongs to (without {@code client.}). */
        @WithDefault("cinder")
        String user();

        /**
         * How long QEMU's librbd waits for the monitors when a volume is plugged: librbd's own default is 300 s,
         * and a wrong key makes it wait all of it, holding the domain. Written as {@code client_mount_timeout}
         * into {@code client-conf}, which the disk names when the connection_info lists its monitors.
         */
        @WithDefault("20s")
        Duration connectTimeout();

        /** The ceph.conf of client settings QEMU reads; must be readable by QEMU's user. */
        @WithDefault("${tether.state-dir:/var/lib/tether}/ceph/librbd.conf")
        Path clientConf();
    }

    /** Records of asynchronous operations under {@code <state-dir>/operations}. */
    interface Operations {
        /**
         * A finished operation whose callback (if any) was delivered or given up on is deleted this long after
         * it finished; its Idempotency-Key goes with it. Its result may hold an export's CHAP secret.
         */
        @WithDefault("7d")
        Duration retention();

        /**
         * Longest an operation may run (a volume from a large image); past it the operation ends failed with
         * 504, and what it was doing is finished or undone by the agent's own recovery.
         */
        @WithDefault("12h")
        Duration timeout();
    }

    enum Mode { COMPUTE, STORAGE, BOTH }

    interface Libvirt {
        /** The libvirtd the agent drives. */
        @WithDefault("qemu:///system")
        String uri();

        /**
         * While libvirtd cannot be reached the agent answers 503 and reconnects on every call and readiness
         * probe; after this long liveness goes DOWN and the systemd watchdog stops, so systemd restarts it.
         */
        @WithDefault("5m")
        Duration giveUpAfter();
    }

    /**
     * The Cinder v3 attachments client ({@code /v1/cinder-attachments}). Off unless {@code auth-url} is set.
     * Secrets come from 0600 files, never from this configuration.
     */
    /**
     * Who Tether is to Keystone: a user's password with a project scope, or an application credential (which
     * carries its own scope).
     */
    interface KeystoneUser {
        /** {@code password} (a user and a project) or {@code application-credential}. */
        @WithDefault("password")
        Cinder.AuthType authType();

        /** The Keystone user (password auth). */
        Optional<String> username();

        /** The user's domain (password auth). */
        @WithDefault("Default")
        String userDomainName();

        /** A file holding the user's password (mode 0600; never in the configuration itself). */
        Optional<Path> passwordFile();

        /** The project the token is scoped to (password auth); by id, or by name in its domain. */
        Optional<String> projectId();

        /** The project by name, in {@code project-domain-name} (when no {@code project-id} is set). */
        Optional<String> projectName();

        /** The domain of {@code project-name}. */
        @WithDefault("Default")
        String projectDomainName();

        /** The application credential's id (application credential auth). */
        Optional<String> applicationCredentialId();

        /** A file holding the application credential's secret (mode 0600). */
        Optional<Path> applicationCredentialSecretFile();
    }

    /**
     * Nova's {@code [service_user]}: an {@code X-Service-Token} sent beside the user's token on every Cinder
     * call. Cinder has needed it since OSSA-2023-003 to delete an attachment that has connection_info; without
     * it Cinder asks Nova whether the server still uses the volume. Unset credentials mean the agent's own
     * user serves, when its token has {@link #role()}.
     */
    interface ServiceUser extends KeystoneUser {
        /** Nova's {@code send_service_user_token}. */
        @WithDefault("true")
        boolean sendToken();

        /** The role Cinder demands of a service token (its {@code [keystone_authtoken] service_token_roles}). */
        @WithDefault("service")
        String role();
    }

    interface Cinder extends KeystoneUser {
        /** Keystone v3, e.g. {@code https://keystone.example:5000/v3}. */
        Optional<java.net.URI> authUrl();

        ServiceUser serviceUser();

        /** Cinder's versioned root, e.g. {@code https://cinder.example:8776/v3}; unset = from the Keystone catalog. */
        Optional<java.net.URI> endpoint();

        /** Catalog interface: public, internal or admin. */
        @WithDefault("public")
        String endpointInterface();

        /** The region whose endpoints are taken from Keystone's catalog; unset: the first of each service. */
        Optional<String> region();

        /** PEM file of the CA certificates to trust for Keystone and Cinder; unset = the JVM's trust store. */
        Optional<Path> caFile();

        /** Longest a TCP and TLS connect to an OpenStack service may take. */
        @WithDefault("10s")
        Duration connectTimeout();

        /** For one HTTP request, waiting for its answer. */
        @WithDefault("30s")
        Duration timeout();

        /** Repeats after a 5xx, a connection error or a timeout; other answers are never repeated. */
        @WithDefault("3")
        int retries();

        /** The first pause before a retried OpenStack call; doubled (with jitter) up to {@code max-retry-delay}. */
        @WithDefault("500ms")
        Duration retryDelay();

        /** The longest pause between two tries of an OpenStack call. */
        @WithDefault("10s")
        Duration maxRetryDelay();

        /** A cached token is replaced this long before Keystone says it expires. */
        @WithDefault("120s")
        Duration tokenRefreshMargin();

        enum AuthType { PASSWORD, APPLICATION_CREDENTIAL }
    }

    /** Results of asynchronous operations POSTed to a controller's callback_url. */
    interface Callbacks {
        /** 0600 file holding the HMAC-SHA256 key the callbacks are signed with; callbacks need it. */
        Optional<Path> secretFile();

        /**
         * Hosts a {@code callback_url} may name (exact names or addresses, case-insensitive); a URL to any
         * other host is refused, so an authenticated caller cannot make the agent call arbitrary addresses.
         * Unset: no callbacks.
         */
        Optional<java.util.List<String>> allowedHosts();

        /** After this long without a 2xx from the receiver, delivery stops and the reason is recorded. */
        @WithDefault("1h")
        Duration giveUpAfter();

        /** Pause before the second try of a callback that failed; doubled each time up to {@code max-retry}. */
        @WithDefault("1s")
        Duration firstRetry();

        /** The longest pause between two tries of a callback. */
        @WithDefault("60s")
        Duration maxRetry();

        /** Longest one callback request may take. */
        @WithDefault("10s")
        Duration timeout();

        /** How often deliveries due for another attempt (or left pending by a stop) are looked for. */
        @WithDefault("1s")
        Duration sweepInterval();
    }

    /** Who may call the API, and the record of what they did. */
    interface Api {
        /**
         * File holding the bearer token every {@code /v1} call must present ({@code Authorization: Bearer}).
         * Must be mode 0600 or stricter; unset means no token is asked for.
         */
        Optional<Path> tokenFile();

        /** Demand a client certificate verified against the TLS trust store (mutual TLS) on {@code /v1}. */
        @WithDefault("false")
        boolean requireClientCert();

        /**
         * Without a token file or client certificates the agent refuses to start, unless this is set: for a
         * lab on loopback, never for a host on a network.
         */
        @WithDefault("false")
        boolean allowUnauthenticated();

        /**
         * Plain HTTP is served only on a loopback address unless this is set (a lab on a private network):
         * elsewhere the agent refuses to start and asks for TLS.
         */
        @WithDefault("false")
        boolean allowPlainHttp();

        /** Whether {@code /q/metrics} needs the same credentials as {@code /v1}; health stays open always. */
        @WithDefault("false")
        boolean protectMetrics();

        Keystone keystone();

        /**
         * Keystone tokens ({@code X-Auth-Token}) as a way in beside the token file: validated against Keystone
         * with the agent's own service credentials ({@code tether.cinder.*}), as keystonemiddleware does.
         */
        interface Keystone {
            /**
             * Admit Keystone tokens ({@code X-Auth-Token}) on {@code /v1}, validated by Keystone with the agent's own
             * service credentials.
             */
            @WithDefault("false")
            boolean enabled();

            /** A token is admitted only when it carries one of these roles. */
            @WithDefault("admin,service")
            java.util.List<String> roles();

            /**
             * How long a validated token is trusted without asking Keystone again (never past its expiry): a
             * revocation takes effect within this time, as with keystonemiddleware's token_cache_time.
             */
            @WithDefault("5m")
            Duration cacheTime();
        }

        /** JSON-lines audit log of every mutating call and every refused one; never a body or a secret. */
        @WithDefault("/var/log/tether/audit.jsonl")
        Path auditFile();

        /** Size at which the logging stack rotates the audit log (read by its handler in application.properties). */
        @WithDefault("50M")
        String auditMaxFileSize();

        /** Rotated audit files kept. */
        @WithDefault("10")
        int auditKeep();
    }

    interface Reconcile {
        /** Time between reconciliation passes after the one at start; 0 turns the periodic passes off. */
        @WithDefault("60s")
        Duration interval();
    }

    /** Domains Tether defines itself (boot from volume). */
    interface Instances {
        /** libvirt domain type: {@code kvm} on real hosts, {@code qemu} (TCG) where KVM is missing. */
        @WithDefault("kvm")
        String virtType();

        /** The guest architecture of the domains the agent defines (boot from volume or image). */
        @WithDefault("x86_64")
        String arch();
    }

    interface Attach {
        /** Path used for iSCSI when a request does not name one; RBD goes through QEMU unless a request names a path. */
        @WithDefault("kernel")
        org.tether.disk.AttachPath defaultPath();

        /** How long a detach waits for the guest to release the disk. */
        @WithDefault("30s")
        Duration detachTimeout();

        /** How often a rollback that failed (libvirtd or the target away) is tried again. */
        @WithDefault("15s")
        Duration settleInterval();

        /** How often a pending live detach is asked again while waiting. */
        @WithDefault("5s")
        Duration detachRetryInterval();

        /**
         * How long a move of an attached volume may copy before it is abandoned (the guest stays on the old
         * volume): a guest writing faster than the copy never lets it get in sync.
         */
        @WithDefault("2h")
        Duration moveTimeout();
    }

    /** The NVMe over Fabrics host side (nvme-cli, the kernel's nvme-tcp). */
    interface Nvme {
        /** This host's NQN; made once (from a random host id) when missing, then kept, as nvme-cli's own. */
        @WithDefault("/etc/nvme/hostnqn")
        Path hostnqnFile();

        /** File holding this host's NVMe host id, made with the host NQN when missing. */
        @WithDefault("/etc/nvme/hostid")
        Path hostidFile();

        /** The {@code nvme} program (nvme-cli). */
        @WithDefault("nvme")
        String nvme();

        /** Time one nvme-cli call may take before it is killed. */
        @WithDefault("30s")
        Duration commandTimeout();

        /** How long a connected namespace may take to appear as a block device. */
        @WithDefault("20s")
        Duration deviceTimeout();

        /** How long a new namespace head may wait for udev's by-id link before its kernel name is used. */
        @WithDefault("3s")
        Duration udevLinkTimeout();
    }

    interface Iscsi {
        /** Root of sysfs; tests point it at a recorded tree. */
        @WithDefault("/sys")
        Path sysfsRoot();

        /** Where the host's device nodes are ({@code /dev}; a test tree elsewhere). */
        @WithDefault("/dev")
        Path devRoot();

        /** The {@code iscsiadm} program (open-iscsi). */
        @WithDefault("iscsiadm")
        String iscsiadm();

        /**
         * The lock file taken (fcntl, exclusive, as oslo.concurrency's external locks) around every write to
         * open-iscsi's node database. Where os-brick runs on the same host (a Nova being replaced, a Cinder
         * backup service), point it at os-brick's {@code <lock_path>/os-brick-connect_volume}: os-brick holds
         * that lock through each connect and disconnect, so neither changes node records under the other.
         */
        @WithDefault("/run/lock/tether-iscsi-node-db")
        Path nodeDbLock();

        /** Time one iscsiadm call may take before it is killed. */
        @WithDefault("30s")
        Duration commandTimeout();

        /** Deadline for the SCSI disk of a freshly scanned LUN to appear. */
        @WithDefault("20s")
        Duration deviceTimeout();

        /**
         * Log in to every portal of a volume and attach its multipath device (Nova's
         * {@code volume_use_multipath}); also reported in the connector.
         */
        @WithDefault("false")
        boolean multipath();

        /**
         * Reported in the connector as {@code enforce_multipath} (Nova's {@code volume_enforce_multipath}) for the
         * controller to act on.
         */
        @WithDefault("true")
        boolean enforceMultipath();

        /** open-iscsi's initiator name file: this host's IQN, sent in the connector. */
        @WithDefault("/etc/iscsi/initiatorname.iscsi")
        Path initiatorNameFile();
    }

    interface Connector {
        /** Address the storage side should reach this host on; first non-loopback address when unset. */
        Optional<String> ip();

        /** Host name reported to the controller; the OS host name when unset. */
        Optional<String> host();
    }

    interface Storage {
        /** Where volumes live: {@code lvm} in production, {@code file} for demos and hosts without device-mapper. */
        @WithDefault("lvm")
        BackendKind backend();

        File file();

        Lvm lvm();

        Rbd rbd();

        Target target();

        Images images();

        /** Refuse a create that would push provisioned/total past this ratio. */
        @WithDefault("20.0")
        double maxOverSubscriptionRatio();

        /**
         * Bytes per second a volume moving between pools is read at, at most, so a move does not starve the
         * exported volumes sharing the disks (Cinder's {@code volume_copy_bps_limit}); 0 for no limit.
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
            Optional<Target.TargetDriver> targetDriver();

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

    /**
     * Volumes made from images (Glance, or a URL for operators without OpenStack): where downloads wait, what
     * is accepted, how long it may take, and the image-volume cache.
     */
    interface Images {
        /** Downloads wait here (a private 0700 directory), and are removed on every outcome. */
        @WithDefault("/var/lib/tether/image-scratch")
        Path scratchDir();

        /** Free space a download must leave on the scratch filesystem (the agent's state may share it). */
        @WithDefault("1024")
        long scratchReserveMb();

        /** No image may describe a disk larger than this, whatever the volume's size. */
        @WithDefault("1024")
        int maxVirtualGb();

        /** A download with no declared size (a URL) stops at this many GiB. */
        @WithDefault("64")
        int maxDownloadGb();

        /** Hosts an http(s) image URL may name (exact, case-insensitive); unset = URLs are refused. */
        Optional<java.util.List<String>> urlHosts();

        /** {@code file://} URLs must name a file under this directory; unset = file URLs are refused. */
        Optional<Path> fileDir();

        /** PEM CA certificates for https image URLs; unset = the JVM's trust store. */
        Optional<Path> caFile();

        /** A download that moves no byte for this long is abandoned. */
        @WithDefault("60s")
        Duration stallTimeout();

        /** Longest a download of an image from Glance may take. */
        @WithDefault("6h")
        Duration downloadTimeout();

        /** Longest a {@code qemu-img convert} of an image into a volume may take. */
        @WithDefault("6h")
        Duration convertTimeout();

        /** CPU seconds and address space {@code qemu-img info} runs under (prlimit), as Cinder bounds it. */
        @WithDefault("60")
        int infoCpuSeconds();

        /** Address space (MiB) {@code qemu-img info} runs under (prlimit), with {@code info-cpu-seconds}. */
        @WithDefault("1024")
        int infoAddressSpaceMb();

        Cache cache();

        /**
         * Cinder's image-volume cache: one converted copy per image and pool, later volumes in that pool cloned
         * from it. The bounds apply to each pool, as Cinder's apply to each backend.
         */
        interface Cache {
            /**
             * Keep a volume made from an image as a cached copy, and make the next volume of that image from it
             * (Cinder's image-volume cache).
             */
            @WithDefault("true")
            boolean enabled();

            /** The cache's largest size in GiB; the least recently used entries go first. */
            @WithDefault("200")
            int maxSizeGb();

            /** The most images the cache holds. */
            @WithDefault("50")
            int maxCount();
        }
    }

    interface File {
        /** The directory of the {@code file} backend's volume files. */
        @WithDefault("/var/lib/tether/files")
        Path dir();
    }

    /**
     * Ceph RBD (backend {@code rbd}), as Cinder's RBD driver is configured: images {@code volume-<id>} in one
     * pool, reached as one cephx user through the {@code rbd} and {@code ceph} programs.
     */
    interface Rbd {
        /** The Ceph pool volumes are made in. */
        @WithDefault("volumes")
        String pool();

        /** The cephx user, without {@code client.} (Cinder's {@code rbd_user}). */
        @WithDefault("cinder")
        String user();

        /** The keyring of the cephx user ({@code user}). */
        @WithDefault("/etc/ceph/ceph.client.cinder.keyring")
        Path keyring();

        /** The cluster's {@code ceph.conf}. */
        @WithDefault("/etc/ceph/ceph.conf")
        Path conf();

        /** Written into connection_info as {@code cluster_name}. */
        @WithDefault("ceph")
        String clusterName();

        /** The libvirt secret compute hosts hold this user's key under (Cinder's {@code rbd_secret_uuid}). */
        Optional<java.util.UUID> secretUuid();

        /**
         * Sends the keyring in connection_info (Cinder's {@code rbd_keyring_conf}), for compute hosts without
         * the secret. The key then travels to every controller that exports; off by default.
         */
        @WithDefault("false")
        boolean sendKeyring();

        /** A clone whose chain of parents would be deeper than this is flattened (Cinder's {@code rbd_max_clone_depth}). */
        @WithDefault("5")
        int maxCloneDepth();

        /**
         * The pool of Glance's RBD store when it is this cluster (Glance and Cinder on one Ceph). Set, a raw
         * upload of a volume ({@code POST /v1/volumes/{id}/image}) is copied inside Ceph into this pool (a clone
         * of a snapshot, flattened) and given to Glance as a location, instead of streamed through Glance. The
         * agent's user then needs {@code profile rbd pool=<this>}, and Glance {@code show_multiple_locations}.
         */
        Optional<String> glancePool();

        /**
         * How old a reading of the pool's statistics ({@code ceph df}) a create, extend or move may be admitted
         * by; health and the pool listing always read afresh. {@code 0s} reads on every create.
         */
        @WithDefault("15s")
        Duration statsMaxAge();

        /** Longest an rbd or ceph call may take (flatten and copies included). */
        @WithDefault("300s")
        Duration timeout();

        /** How long a call waits for the monitors before it answers 503. */
        @WithDefault("10s")
        Duration connectTimeout();

        /**
         * Creates and removes images through one librados session the agent keeps (librbd through JNA), ~5 ms,
         * instead of an {@code rbd} process per call, ~100 ms. false: the rbd program for everything.
         */
        @WithDefault("true")
        boolean librbd();
    }

    interface Lvm {
        /** The volume group volumes are made in. */
        @WithDefault("cinder-volumes")
        String vg();

        /** Physical volumes the device filter admits; empty admits every device. */
        Optional<java.util.List<String>> pvs();

        /** Thin pool size as lvcreate takes it ({@code 90%VG}, {@code 100g}). */
        @WithDefault("90%VG")
        String thinPoolSize();

        /** What a thick volume's blocks get before the LV is removed: none, zero or discard. */
        @WithDefault("zero")
        Wipe wipe();

        /** Longest one lvm command may take before it is killed. */
        @WithDefault("120s")
        Duration timeout();

        /** The most lvm processes at once, across every LVM pool. */
        @WithDefault("4")
        int maxConcurrent();

        /**
         * How long an LVM report ({@code vgs}, {@code lvs}) serves again while the agent itself changed nothing
         * (its own changes are seen at once): what others change on the host is seen after at most this long.
         */
        @WithDefault("2s")
        Duration reportMaxAge();

        enum Wipe { NONE, ZERO, DISCARD }
    }

    interface Target {
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
}
