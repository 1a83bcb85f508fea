package org.tether.storage.backup;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.Collection;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What each store's manifests say about their backups (volume, parent, when, sizes, key), read once per backup.
 * A manifest never changes once written, so listing the backups, finding a volume's latest and a backup's
 * incrementals cost one listing of the store and a read of the manifests not seen before, where they cost a
 * read of every manifest (a GET each, on S3). A summary is kept, never the chunk list: the manifest of a 4 TiB
 * volume names a million chunks. Unreadable manifests are not kept, so they are read (and refused) each time.
 */
final class ManifestIndex {
    private final ObjectMapper json;
    private final Map<String, Map<UUID, BackupView>> views = new ConcurrentHashMap<>();

    ManifestIndex(ObjectMapper json) {
        this.json = json;
    }

    private Map<UUID, BackupView> of(BackupStore store) {
        return views.computeIfAbsent(store.name(), k -> new ConcurrentHashMap<>());
    }

    /** The backup as its manifest says, read only the first time. */
    BackupView view(BackupStore store, UUID id) {
        BackupView v = of(store).get(id);
        return v != null ? v : BackupView.of(manifest(store, id), store.name(), "available");
    }

    /** The whole manifest, read from the store and checked; its summary is kept. */
    BackupManifest manifest(BackupStore store, UUID id) {
        BackupManifest m = BackupManifest.read(json, store.manifest(id).orElseThrow(() -> new TetherException(
                ErrorCode.BACKUP_NOT_FOUND, "id", "no backup " + id)), id);
        of(store).put(id, BackupView.of(m, store.name(), "available"));
        return m;
    }

    /** Keeps only the backups the store has just listed (others were deleted, perhaps by another agent). */
    void retain(BackupStore store, Collection<UUID> listed) {
        of(store).keySet().retainAll(listed instanceof java.util.Set<?> ? listed : new java.util.HashSet<>(listed));
    }

    void forget(BackupStore store, UUID id) {
        of(store).remove(id);
    }
}
