package org.tether.error;

/**
 * Stable machine-readable error codes. A controller branches on {@link #code()}; the names never change
 * once released, only new ones are added.
 */
public enum ErrorCode {
    /**
     * 400: The body is not JSON, or not the shape the endpoint takes; the detail says where. Nothing was changed:
     * fix the request.
     */
    MALFORMED_REQUEST(400, "Malformed request"),
    /**
     * 400: A field has a value the agent does not accept (the problem's {@code field} names it, the detail says
     * why). Nothing was changed.
     */
    INVALID_FIELD(400, "Invalid field"),
    /** 400: A required field is absent ({@code field} names it). Nothing was changed. */
    MISSING_FIELD(400, "Missing field"),
    /**
     * 400: The body carries a field the endpoint does not know, often a misspelling; refused rather than ignored.
     * Nothing was changed.
     */
    UNKNOWN_FIELD(400, "Unknown field"),
    /**
     * 400: connection_info's {@code driver_volume_type} is not one Tether connects ({@code iscsi}, {@code rbd},
     * {@code nvmeof}). Nothing was changed.
     */
    UNSUPPORTED_DRIVER_VOLUME_TYPE(400, "Unsupported driver_volume_type"),
    /**
     * 400: The volume's encryption cannot be handled as asked: a provider or cipher other than LUKS with QEMU's
     * ciphers, or a volume this host cannot read to format; the detail says which. Nothing was changed.
     */
    UNSUPPORTED_ENCRYPTION(400, "Encryption not supported"),
    /** 422: the key manager has no key of that id (or hides it from this agent's user). */
    ENCRYPTION_KEY_NOT_FOUND(422, "Encryption key not found"),
    /** 422: the key is not what the volume's encryption needs (its length, or it does not open the volume). */
    ENCRYPTION_KEY_INVALID(422, "Encryption key unusable"),
    /**
     * 502: No Barbican endpoint: neither {@code tether.keymanager.endpoint} nor Keystone's catalog names one. Set
     * it, or register Barbican in the catalog.
     */
    KEY_MANAGER_NOT_FOUND(502, "No key manager endpoint"),
    /**
     * 400: A QoS spec is unknown, not a number, negative, or contradicts another (a total with its read or write
     * part); {@code field} names it. Nothing was changed.
     */
    INVALID_QOS(400, "Invalid QoS specification"),
    /**
     * 400: connection_info names another volume than the request's path. Nothing was changed: send the volume's
     * own connection_info.
     */
    VOLUME_ID_MISMATCH(400, "Volume id mismatch"),
    /**
     * 404: The endpoint belongs to the other half of the agent: storage calls need {@code tether.mode=storage} or
     * {@code both}, compute calls {@code compute} or {@code both}.
     */
    MODE_DISABLED(404, "Not served in this agent's mode"),
    /**
     * 404: libvirt has no domain of that name on this host. Check the name (and that the caller talks to the right
     * host).
     */
    DOMAIN_NOT_FOUND(404, "Domain not found"),
    /** 404: This agent has no volume of that id (storage mode), or the domain has no disk of it (compute mode). */
    VOLUME_NOT_FOUND(404, "Volume not found"),
    /** 404: This agent has no snapshot of that id. */
    SNAPSHOT_NOT_FOUND(404, "Snapshot not found"),
    /** 404: No attachment of that volume to that domain is recorded here; a detach of it is already done. */
    ATTACHMENT_NOT_FOUND(404, "Attachment not found"),
    /** 404: No instance (a domain this agent defined) of that name is recorded here. */
    INSTANCE_NOT_FOUND(404, "Instance not found"),
    /**
     * 404: No asynchronous operation of that id: never made, or older than its retention
     * ({@code tether.operations.*}).
     */
    OPERATION_NOT_FOUND(404, "Operation not found"),
    /** 404: Glance has no image of that id visible to the agent's Keystone user. */
    IMAGE_NOT_FOUND(404, "Image not found"),
    /**
     * 404: No backup of that id in any configured store (the stores are the truth: a store away answers 503, never
     * this).
     */
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
    /** 503: the store (S3 endpoint, directory, the key manager of a sealed store) cannot be reached now. Retry. */
    BACKUP_STORE_UNAVAILABLE(503, "Backup store not reachable; retry later"),
    /** 400: the destination names no peer in {@code tether.migration.peers}. */
    MIGRATION_PEER_NOT_FOUND(400, "Migration peer not configured"),
    /** 409: the domain is migrating already, or a disk of it is in flight, or it exists on the destination. */
    MIGRATION_BUSY(409, "Migration in progress or in the way"),
    /** 409: what the domain holds cannot be migrated by this agent (a disk it did not attach, not running). */
    MIGRATION_UNSUPPORTED(409, "Migration not possible for this domain"),
    /** 502: libvirt or the destination refused or failed the migration; the guest runs on the source. */
    MIGRATION_FAILED(502, "Migration failed"),
    /**
     * 409: this attachment cannot be moved while attached (shared, encrypted, held by a Cinder attachment, or
     * the domain not running).
     */
    MOVE_UNSUPPORTED(409, "Move not possible for this attachment"),
    /** 502: libvirt or QEMU failed the copy; the guest stays on the volume it had. */
    MOVE_FAILED(502, "Volume move failed"),
    /** 503: the destination agent does not answer; nothing was changed on either host. Retry once it is up. */
    MIGRATION_PEER_UNAVAILABLE(503, "Migration peer not reachable; retry later"),
    /**
     * 503: the compute agent of the host an exported volume is moved for does not answer; a move that had not
     * begun changed nothing, one that had is settled once it answers. Retry once it is up.
     */
    COMPUTE_AGENT_UNAVAILABLE(503, "Compute agent not reachable; retry later"),
    /**
     * 409: The Glance image is not {@code active} (queued, saving, deactivated, killed). Retry once Glance has it
     * whole.
     */
    IMAGE_NOT_ACTIVE(409, "Image is not active"),
    /** 422: the image's bytes are not the format it was declared as. */
    IMAGE_FORMAT_MISMATCH(422, "Image format does not match its declared disk_format"),
    /** 422: the image would make qemu-img read or write beyond itself, or is damaged; the reason says which. */
    IMAGE_UNSAFE(422, "Image refused as unsafe"),
    /**
     * 422: The image (its download or the disk it describes) is larger than {@code tether.storage.images.max-*} or
     * the volume. Use a larger volume, or raise the bound.
     */
    IMAGE_TOO_LARGE(422, "Image larger than allowed"),
    /**
     * 422: The downloaded bytes do not match Glance's checksum or hash: damaged in the store or on the way. The
     * volume was not made; retry, and check the image in Glance.
     */
    IMAGE_CHECKSUM_MISMATCH(422, "Image data does not match its checksum"),
    /**
     * 502: The image could not be fetched (Glance or the URL's server failed, or stalled past
     * {@code stall-timeout}). Nothing is left behind; retry.
     */
    IMAGE_DOWNLOAD_FAILED(502, "Image download failed"),
    /**
     * 502: Glance refused or failed the upload of a volume's bytes; the image is removed again. Retry, and check
     * Glance's store.
     */
    IMAGE_UPLOAD_FAILED(502, "Image upload to Glance failed"),
    /** 409: An image of the requested id exists in Glance already. Choose another id, or none. */
    IMAGE_EXISTS(409, "An image with this id exists"),
    /**
     * 409: The volume is encrypted and cannot be uploaded as an image: Cinder refuses it likewise (the key could
     * not go with the image).
     */
    VOLUME_ENCRYPTED(409, "The volume is encrypted"),
    /** 502: No Glance endpoint: neither {@code tether.glance.endpoint} nor Keystone's catalog names one. */
    IMAGE_SERVICE_NOT_FOUND(502, "No Glance endpoint"),
    /**
     * 507: The scratch directory cannot hold the download and still leave {@code scratch-reserve-mb} free. Free
     * space there, or move {@code tether.storage.images.scratch-dir}.
     */
    INSUFFICIENT_SCRATCH_SPACE(507, "Insufficient scratch space for the image"),
    /** 400: no pool satisfies the volume type's extra specs (the detail names each pool and why). */
    NO_VALID_POOL(400, "No pool matches the volume type"),
    /** 400: back-end QoS on a pool that cannot enforce it. */
    QOS_NOT_SUPPORTED(400, "QoS consumer not supported by the pool"),
    /**
     * 409: A volume of that id exists with other properties (size, source, type), or an LV of its name exists that
     * this agent did not make. Use another id, or delete the other first.
     */
    VOLUME_CONFLICT(409, "Volume exists with other properties"),
    /**
     * 409: The volume is exported, attached, being backed up, moved or restored, and the call needs it idle (or
     * {@code force}); the detail says what holds it.
     */
    VOLUME_BUSY(409, "Volume is in use"),
    /**
     * 507: The pool cannot take the volume: its free space, the thin pool's fill ({@code pool-threshold-percent})
     * or the over-subscription ratio. Free space, grow the pool, or choose another.
     */
    INSUFFICIENT_CAPACITY(507, "Insufficient capacity"),
    /**
     * 502: LVM, the file system or Ceph refused the change; the detail carries the backend's own message. What was
     * begun was undone.
     */
    STORAGE_BACKEND_FAILED(502, "Storage backend failed"),
    /** 503: the storage cluster (Ceph's monitors) cannot be reached now; nothing was changed. */
    STORAGE_UNAVAILABLE(503, "Storage backend not reachable; retry later"),
    /**
     * 502: The target (LIO's configfs, tgtadm, nvmet) refused an export change; the detail carries its message.
     * What was begun was undone.
     */
    TARGET_FAILED(502, "iSCSI target failed"),
    /**
     * 503: the target daemon (tgtd) or a volume's portal cannot be reached right now, as during a target
     * restart; nothing was changed and the same call succeeds once it is back.
     */
    TARGET_UNAVAILABLE(503, "iSCSI target not reachable; retry later"),
    /**
     * 409: The volume is attached differently already (another domain, device or path), or the attachment is in a
     * migration or move, or past a move's switch-over; the detail says which.
     */
    ATTACHMENT_CONFLICT(409, "Attachment conflict"),
    /** 409: Every guest device name of that bus is taken in the domain. Detach a disk, or use another bus. */
    NO_FREE_DEVICE(409, "No free guest device name"),
    /**
     * 409: A domain of that name exists already (made by someone else), or the instance is defined with other
     * volumes. Use another name.
     */
    INSTANCE_CONFLICT(409, "Instance conflict"),
    /**
     * 502: The target refused the CHAP credentials in connection_info. The session was logged out and the node
     * record removed; check the export's CHAP user and secret.
     */
    ISCSI_AUTH_FAILED(502, "iSCSI authentication failed"),
    /**
     * 502: No portal of the target could be logged in to (refused, unreachable, no such target). Nothing is left
     * behind; check the portals and the export's ACL for this host's initiator.
     */
    ISCSI_LOGIN_FAILED(502, "iSCSI login failed"),
    /** 503: iscsid does not answer iscsiadm (restarting, stopped); nothing was changed. */
    ISCSID_UNAVAILABLE(503, "iscsid not reachable; retry later"),
    /**
     * 504: The session is up but the LUN's block device did not appear within {@code tether.iscsi.device-timeout}:
     * the export maps no LUN to this initiator, or udev is slow. The session was logged out again.
     */
    ISCSI_DEVICE_NOT_FOUND(504, "iSCSI device did not appear"),
    /**
     * 502: nvme connect failed on every portal (refused, unreachable, this host's NQN not allowed). Nothing is
     * left behind; check the export's allowed host.
     */
    NVME_CONNECT_FAILED(502, "NVMe over TCP connect failed"),
    /**
     * 504: Connected, but the namespace did not appear within {@code tether.nvme.device-timeout}. The controllers
     * were disconnected again.
     */
    NVME_DEVICE_NOT_FOUND(504, "NVMe namespace did not appear"),
    /** The node database's host-wide lock file (shared with os-brick) stayed held by another process. */
    ISCSI_NODE_DB_BUSY(503, "open-iscsi's node database is held by another process; retry later"),
    /** 409: the RBD volume's cephx key is in no libvirt secret here and the request carried no keyring. */
    CEPH_SECRET_MISSING(409, "cephx secret missing on this host"),
    /**
     * 409: libvirt already holds another secret for this Ceph user's usage (libvirt allows one per usage). Set
     * {@code tether.ceph.secret-uuid} to that secret's UUID, or undefine it.
     */
    CEPH_SECRET_CONFLICT(409, "another libvirt secret holds this host's ceph usage"),
    /**
     * 502: libvirt or QEMU refused the call (a device, a definition, a block job); the detail carries libvirt's
     * message. What was begun was undone.
     */
    HYPERVISOR_ERROR(502, "Hypervisor refused the operation"),
    /**
     * 503: libvirtd does not answer (restarting, stopped). Nothing was changed; the answer carries
     * {@code Retry-After}, and the agent reconnects by itself.
     */
    HYPERVISOR_UNAVAILABLE(503, "Hypervisor not reachable; retry later"),
    /**
     * 504: the guest did not release the disk within {@code tether.attach.detach-timeout} (no ACPI hot-unplug
     * in the guest, or busy). The attachment stays attached, with the error recorded, and nothing on the host
     * is taken down: ask the guest to let go (or stop it), then detach again.
     */
    DETACH_TIMEOUT(504, "Guest did not release the disk in time"),
    /**
     * 502: A host program the agent runs failed in a way no more specific code covers; the detail carries its exit
     * status and message (never a secret).
     */
    COMMAND_FAILED(502, "Host command failed"),
    /**
     * 404: Cinder attachments need {@code tether.cinder.auth-url} and credentials, which are not set; use the
     * plain attach endpoints, or configure Keystone.
     */
    CINDER_NOT_CONFIGURED(404, "Cinder integration is not configured"),
    /** 404: No Cinder attachment of that id is recorded by this agent. */
    CINDER_ATTACHMENT_NOT_FOUND(404, "Cinder attachment not found"),
    /**
     * 409: Cinder answered 409: the volume or attachment is not in the state the call needs (reserved, in-use).
     * Check the volume's status in Cinder.
     */
    CINDER_CONFLICT(409, "Cinder refused: conflicting state"),
    /**
     * 502: Cinder refused the request (4xx other than 409) or failed it (5xx); the detail carries Cinder's
     * message. The host side was undone.
     */
    CINDER_REJECTED(502, "Cinder refused the request"),
    /**
     * 502: No Cinder endpoint: neither {@code tether.cinder.endpoint} nor Keystone's catalog names one for the
     * interface and region.
     */
    CINDER_ENDPOINT_NOT_FOUND(502, "No Cinder endpoint"),
    /**
     * 502: Keystone refused the agent's credentials ({@code tether.cinder.*}: user, password file, project, or
     * application credential). Fix them; nothing else was done.
     */
    KEYSTONE_AUTH_FAILED(502, "Keystone authentication failed"),
    /**
     * 502: An OpenStack service answered something the agent cannot read (not JSON, fields missing). Usually a
     * proxy or a wrong endpoint in the catalog.
     */
    OPENSTACK_BAD_REPLY(502, "Unreadable answer from OpenStack"),
    /**
     * 503: Keystone, Cinder, Glance or Barbican cannot be reached, or answered 5xx (or 401 to a delete without a
     * service token: the detail names {@code tether.cinder.service-user}). Retry; recorded work is finished by the
     * agent.
     */
    OPENSTACK_UNAVAILABLE(503, "OpenStack service unavailable"),
    /** Sent by the authentication layer itself (not through an exception) when Keystone cannot validate a token. */
    KEYSTONE_UNAVAILABLE(503, "Keystone unavailable"),
    /**
     * 504: An OpenStack service did not answer within its timeout after the retries. Retry; recorded work is
     * finished by the agent.
     */
    OPENSTACK_TIMEOUT(504, "OpenStack service did not answer in time"),
    /** 503: a full or failing state disk is an outage the operator fixes; the same call then succeeds. */
    STATE_IO(503, "Agent state could not be written"),
    /**
     * 503: The agent cannot serve the call yet: the startup recovery is running, or a host identity (initiator
     * name, host NQN) is unreadable; the detail says which.
     */
    NOT_READY(503, "Not ready yet"),
    /**
     * 500: A fault of the agent itself; the log has the stack trace under the problem's {@code instance}. Please
     * report it.
     */
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
