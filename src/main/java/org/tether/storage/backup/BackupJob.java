package org.tether.storage.backup;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

/**
 * A backup being made, recorded before its temporary snapshot is taken: the next start removes the snapshot
 * and the volume read from it, named after the backup, whatever a crash left, and the key copied for the backup
 * of an encrypted volume ({@code keyId}, recorded once made). The backup itself exists only once its manifest is
 * in the store.
 */
public record BackupJob(UUID backupId, UUID volumeId, String store, Instant startedAt,
                        @com.fasterxml.jackson.annotation.JsonProperty("key_id") String keyId) {
    BackupJob(UUID backupId, UUID volumeId, String store, Instant startedAt) {
        this(backupId, volumeId, store, startedAt, null);
    }

    BackupJob withKey(String keyId) {
        return new BackupJob(backupId, volumeId, store, startedAt, keyId);
    }

    UUID snapshotId() {
        return UUID.nameUUIDFromBytes(("tether-backup-snapshot:" + backupId).getBytes(StandardCharsets.UTF_8));
    }

    UUID temporaryVolumeId() {
        return UUID.nameUUIDFromBytes(("tether-backup-volume:" + backupId).getBytes(StandardCharsets.UTF_8));
    }
}
