package org.tether.storage.backup;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Where backups live: chunks named by the SHA-256 of their content (zstd frames), and one manifest per backup.
 * A chunk is written whole before any manifest names it, and a manifest whole or not at all, so a backup a
 * store lists is whole. The store is the truth: a fresh agent pointed at it lists and restores its backups.
 */
public interface BackupStore {
    String name();

    boolean hasChunk(String sha256);

    /** Stores the frame under its content's hash; a chunk already there is left as it is. */
    void putChunk(String sha256, byte[] frame);

    /** The frame, or empty when the store does not have it. */
    Optional<byte[]> chunk(String sha256);

    void deleteChunk(String sha256);

    /** Every chunk's name (for collecting those no manifest names). */
    Set<String> chunks();

    void putManifest(UUID backup, byte[] json);

    Optional<byte[]> manifest(UUID backup);

    List<UUID> manifests();

    void deleteManifest(UUID backup);
}
