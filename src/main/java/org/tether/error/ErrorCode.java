package org.tether.error;

/**
 * Stable machine-readable error codes. A controller branches on {@link #code()}; the names never change
 * once released, only new ones are added.
 */
public enum ErrorCode {
    MALFORMED_REQUEST(400, "Malformed request"),
    INVALID_FIELD(400, "Invalid field"),
    MISSING_FIELD(400, "Missing field"),
    UNKNOWN_FIELD(400, "Unknown field"),
    UNSUPPORTED_DRIVER_VOLUME_TYPE(400, "Unsupported driver_volume_type"),
    UNSUPPORTED_ENCRYPTION(400, "Encryption not supported"),
    /** 422: the key manager has no key of that id (or hides it from this agent's user). */
    ENCRYPTION_KEY_NOT_FOUND(422, "Encryption key not found"),
    /** 422: the key is not what the volume's encryption needs (its length, or it does not open the volume). */
    ENCRYPTION_KEY_INVALID(422, "Encryption key unusable"),
    KEY_MANAGER_NOT_FOUND(502, "No key manager endpoint"),
    INVALID_QOS(400, "Invalid QoS specification"),
    VOLUME_ID_MISMATCH(400, "Volume id mismatch"),
    MODE_DISABLED(404, "Not served in this agent's mode"),
    DOMAIN_NOT_FOUND(404, "Domain not found"),
    VOLUME_NOT_FOUND(404, "Volume not found"),
    SNAPSHOT_NOT_FOUND(404, "Snapshot not found"),
    ATTACHMENT_NOT_FOUND(404, "Attachment not found"),
    INSTANCE_NOT_FOUND(404, "Instance not found"),
    OPERATION_NOT_FOUND(404, "Operation not found"),
    IMAGE_NOT_FOUND(404, "Image not found"),
    BACKUP_NOT_FOUND(404, "Backup not found"),
    /** 400: no backup store of that name is configured. */
    BACKUP_STORE_NOT_FOUND(400, "Backup store not found"),
    /** 400: an incremental backup asked for with no backup of the volume in that store to build on. */
    BACKUP_PARENT_NOT_FOUND(400, "No backup to build an incremental on"),
    /** 409: a later incremental depends on the backup, or it is being made, restored or deleted. */
    BACKUP_BUSY(409, "Backup is in use"),
    /** 409: the volume's backend cannot be backed up by this agent yet. */
    BACKUP_UNSUPPORTED(409, "Backup not supported for this volume"),
    /** 422: a manifest that fails its hash, or a chunk missing or not what its name says. */
    BACKUP_CORRUPT(422, "Backup is corrupt"),
    BACKUP_STORE_UNAVAILABLE(503, "Backup store not reachable; retry later"),
    /** 400: the destination names no peer in {@code tether.migration.peers}. */
    MIGRATION_PEER_NOT_FOUND(400, "Migration peer not configured"),
    /** 409: the domain is migrating already, or a disk of it is in flight, or it exists on the destination. */
    MIGRATION_BUSY(409, "Migration in progress or in the way"),
    /** 409: what the domain holds cannot be migrated by this agent (a disk it did not attach, not running). */
    MIGRATION_UNSUPPORTED(409, "Migration not possible for this domain"),
    /** 502: libvirt or the destination refused or failed the migration; the guest runs on the source. */
    MIGRATION_FAILED(502, "Migration failed"),
    /** 503: the destination agent does not answer; nothing was changed on either host. */
    /** 409: this attachment cannot be moved while attached (shared, encrypted, held by a Cinder attachment, not running). */
    MOVE_UNSUPPORTED(409, "Move not possible for this attachment"),
    /** 502: libvirt or QEMU failed the copy; the guest stays on the volume it had. */
    MOVE_FAILED(502, "Volume move failed"),
    MIGRATION_PEER_UNAVAILABLE(503, "Migration peer not reachable; retry later"),
    IMAGE_NOT_ACTIVE(409, "Image is not active"),
    /** 422: the image's bytes are not the format it was declared as. */
    IMAGE_FORMAT_MISMATCH(422, "Image format does not match its declared disk_format"),
    /** 422: the image would make qemu-img read or write beyond itself, or is damaged; the reason says which. */
    IMAGE_UNSAFE(422, "Image refused as unsafe"),
    IMAGE_TOO_LARGE(422, "Image larger than allowed"),
    IMAGE_CHECKSUM_MISMATCH(422, "Image data does not match its checksum"),
    IMAGE_DOWNLOAD_FAILED(502, "Image download failed"),
    IMAGE_UPLOAD_FAILED(502, "Image upload to Glance failed"),
    IMAGE_EXISTS(409, "An image with this id exists"),
    VOLUME_ENCRYPTED(409, "The volume is encrypted"),
    IMAGE_SERVICE_NOT_FOUND(502, "No Glance endpoint"),
    INSUFFICIENT_SCRATCH_SPACE(507, "Insufficient scratch space for the image"),
    /** 400: no pool satisfies the volume type's extra specs (the detail names each pool and why). */
    NO_VALID_POOL(400, "No pool matches the volume type"),
    /** 400: back-end QoS on a pool that cannot enforce it. */
    QOS_NOT_SUPPORTED(400, "QoS consumer not supported by the pool"),
    VOLUME_CONFLICT(409, "Volume exists with other properties"),
    VOLUME_BUSY(409, "Volume is in use"),
    INSUFFICIENT_CAPACITY(507, "Insufficient capacity"),
    STORAGE_BACKEND_FAILED(502, "Storage backend failed"),
    /** 503: the storage cluster (Ceph's monitors) cannot be reached now; nothing was changed. */
    STORAGE_UNAVAILABLE(503, "Storage backend not reachable; retry later"),
    TARGET_FAILED(502, "iSCSI target failed"),
    /**
     * 503: the target daemon (tgtd) or a volume's portal cannot be reached right now, as during a target
     * restart; nothing was changed and the same call succeeds once it is back.
     */
    TARGET_UNAVAILABLE(503, "iSCSI target not reachable; retry later"),
    ATTACHMENT_CONFLICT(409, "Attachment conflict"),
    NO_FREE_DEVICE(409, "No free guest device name"),
    INSTANCE_CONFLICT(409, "Instance conflict"),
    ISCSI_AUTH_FAILED(502, "iSCSI authentication failed"),
    ISCSI_LOGIN_FAILED(502, "iSCSI login failed"),
    /** 503: iscsid does not answer iscsiadm (restarting, stopped); nothing was changed. */
    ISCSID_UNAVAILABLE(503, "iscsid not reachable; retry later"),
    ISCSI_DEVICE_NOT_FOUND(504, "iSCSI device did not appear"),
    NVME_CONNECT_FAILED(502, "NVMe over TCP connect failed"),
    NVME_DEVICE_NOT_FOUND(504, "NVMe namespace did not appear"),
    /** The node database's host-wide lock file (shared with os-brick) stayed held by another process. */
    ISCSI_NODE_DB_BUSY(503, "open-iscsi's node database is held by another process; retry later"),
    /** 409: the RBD volume's cephx key is in no libvirt secret here and the request carried no keyring. */
    CEPH_SECRET_MISSING(409, "cephx secret missing on this host"),
    CEPH_SECRET_CONFLICT(409, "another libvirt secret holds this host's ceph usage"),
    HYPERVISOR_ERROR(502, "Hypervisor refused the operation"),
    HYPERVISOR_UNAVAILABLE(503, "Hypervisor not reachable; retry later"),
    DETACH_TIMEOUT(504, "Guest did not release the disk in time"),
    COMMAND_FAILED(502, "Host command failed"),
    CINDER_NOT_CONFIGURED(404, "Cinder integration is not configured"),
    CINDER_ATTACHMENT_NOT_FOUND(404, "Cinder attachment not found"),
    CINDER_CONFLICT(409, "Cinder refused: conflicting state"),
    CINDER_REJECTED(502, "Cinder refused the request"),
    CINDER_ENDPOINT_NOT_FOUND(502, "No Cinder endpoint"),
    KEYSTONE_AUTH_FAILED(502, "Keystone authentication failed"),
    OPENSTACK_BAD_REPLY(502, "Unreadable answer from OpenStack"),
    OPENSTACK_UNAVAILABLE(503, "OpenStack service unavailable"),
    /** Sent by the authentication layer itself (not through an exception) when Keystone cannot validate a token. */
    KEYSTONE_UNAVAILABLE(503, "Keystone unavailable"),
    OPENSTACK_TIMEOUT(504, "OpenStack service did not answer in time"),
    /** 503: a full or failing state disk is an outage the operator fixes; the same call then succeeds. */
    STATE_IO(503, "Agent state could not be written"),
    NOT_READY(503, "Not ready yet"),
    INTERNAL(500, "Internal error");

    private final int status;
    private final String title;

    ErrorCode(int status, String title) {
        this.status = status;
        this.title = title;
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    /** The wire form: lower snake case of the constant name. */
    public String code() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
