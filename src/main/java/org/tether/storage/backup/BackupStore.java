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
public interface BackupStore extends AutoCloseable {
    /** What a chunk's name is: the hex SHA-256 of its content. */
    java.util.regex.Pattern CHUNK_NAME = java.util.regex.Pattern.compile("[0-9a-f]{64}");

    String name();

    /** The chunk name, checked, before it is made part of a path or a key. */
    static String chunkName(String sha256) {
        if (!CHUNK_NAME.matcher(sha256).matches()) {
            throw new IllegalArgumentException("not a chunk name: " + sha256);
        }
        return sha256;
    }

    /** A manifest's name as a backup id; nothing for any other name found in the store. */
    static java.util.stream.Stream<UUID> backupId(String name) {
        try {
            return java.util.stream.Stream.of(UUID.fromString(name));
        } catch (IllegalArgumentException e) {
            return java.util.stream.Stream.empty();
        }
    }

    /** Releases what the store holds open (an HTTP client); the agent's stop. */
    @Override
    default void close() {
    }

    boolean hasChunk(String sha256);

    /** Stores the frame under its content's hash; a chunk already there is left as it is. */
    void putChunk(String sha256, byte[] frame);

    /** The frame, or empty when the store does not have it. */
    Optional<byte[]> chunk(String sha256);

    void deleteChunk(String sha256);

    /** Every chunk's name (for collecting those no manifest names). */
    Set<String> chunks();

    /**
     * Deletes every chunk whose name is not in {@code named}.
     *
     * @return how many were deleted
     */
    default int collect(Set<String> named) {
        int n = 0;
        for (String sha : chunks()) {
            if (!named.contains(sha)) {
                deleteChunk(sha);
                n++;
            }
        }
        return n;
    }

    void putManifest(UUID backup, byte[] json);

    Optional<byte[]> manifest(UUID backup);

    List<UUID> manifests();

    void deleteManifest(UUID backup);
}
