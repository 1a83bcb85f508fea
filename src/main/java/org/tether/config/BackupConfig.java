package org.tether.config;

import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Backups of volumes (storage mode): the stores they go to, {@code tether.backup.stores.<name>.*}. */
public interface BackupConfig {
    /** The stores by name; none configured: backups are refused with {@code backup_store_not_found}. */
    Map<String, StoreConfig> stores();

    /** The store a backup goes to when the request names none; unset: the only store, if there is one. */
    Optional<String> defaultStore();

    /**
     * Bytes per chunk (the unit hashed, compressed, deduplicated and skipped when unwritten). A backup holds about
     * {@code 3 * parallel + 1} chunks in memory: more than three quarters of the heap is refused at start.
     */
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
         * before the store's first backup, and changed only with the key it replaces listed in
         * {@code encryption-previous-key-ids}. Needs {@code tether.cinder.auth-url}.
         */
        Optional<String> encryptionKeyId();

        /**
         * The keys the store had before its {@code encryption-key-id}, newest first (a rotation: the new key as
         * {@code encryption-key-id}, the one it replaces added here). What they sealed is still read, and a chunk
         * is never collected while a manifest names it under any of them; everything written is sealed with the
         * current key. A key listed here is needed for as long as a backup made before the rotation is kept.
         */
        Optional<java.util.List<String>> encryptionPreviousKeyIds();

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
