package org.tether.storage.volume;

import java.util.UUID;

/**
 * Where volume bytes live. Every call is idempotent: "already exists" with the same size is success, "not
 * found" on delete is success, so a retry after a crash converges.
 */
public interface VolumeBackend {

    /** The block device (or file) a target driver exports. */
    String devicePath(UUID volumeId);

    void create(UUID id, long bytes, boolean thin);

    /** A new volume holding the snapshot's data, grown to {@code bytes}. */
    void createFromSnapshot(UUID id, long bytes, boolean thin, UUID sourceVolume, UUID snapshot);

    /** A new volume holding the source volume's data, grown to {@code bytes}. */
    void cloneVolume(UUID id, long bytes, boolean thin, UUID source);

    void extend(UUID id, long bytes);

    void delete(UUID id, boolean thin);

    void createSnapshot(UUID volume, UUID snapshot, boolean thin);

    void deleteSnapshot(UUID volume, UUID snapshot);

    /** Puts the snapshot's data back into the volume; the snapshot is kept. */
    void revert(UUID volume, UUID snapshot, boolean thin);

    PoolStats stats();

    /**
     * Copies the volume's snapshot into the image store this backend shares with Glance (Glance's RBD store in
     * the same Ceph) and answers the location Glance is to record; empty when there is none and the image must
     * be streamed through Glance. What is copied is named after the image, so {@link #removeFromImageStore}
     * finds it after a crash.
     */
    default java.util.Optional<String> copyToImageStore(UUID volume, UUID snapshot, UUID imageId) {
        return java.util.Optional.empty();
    }

    /** Removes what {@link #copyToImageStore} made for the image, if anything (nothing left is no error). */
    default void removeFromImageStore(UUID imageId) {
    }

    /**
     * The statistics a create, extend or move is admitted by. A backend whose reading is slow may serve a
     * recent one ({@link SampledStats}); what is provisioned is counted from the agent's records either way.
     */
    default PoolStats admissionStats() {
        return stats();
    }

    /**
     * Cinder's {@code clone_image}: a new volume {@code id} of {@code bytes} made in place from a raw image the
     * backend's own store already holds at one of {@code locations} (Glance's {@code direct_url} and
     * {@code locations}), with no download. False, with nothing made, when no location is one this backend can
     * clone from; the caller then downloads.
     *
     * @param imageBytes the raw image's size as Glance records it, or null when it does not say
     */
    default boolean cloneImage(UUID id, long bytes, Long imageBytes, java.util.List<String> locations) {
        return false;
    }

    /**
     * Whether a backup can read this volume's snapshots: directly ({@link #snapshotReader}) or through a
     * temporary volume made from the snapshot, read by its path.
     */
    default boolean backupReadable(UUID volume) {
        return devicePath(volume).startsWith("/");
    }

    /**
     * A reader of the volume's snapshot, when the backend reads snapshots in place (RBD, through librbd at the
     * snapshot); empty: a backup reads a temporary volume made from the snapshot, by its path.
     */
    default java.util.Optional<BlockReader> snapshotReader(UUID volume, UUID snapshot) {
        return java.util.Optional.empty();
    }

    /** Whether this backend keeps snapshots as bases of incremental backups ({@link DiffBases}); most do not. */
    default java.util.Optional<DiffBases> diffBases() {
        return java.util.Optional.empty();
    }

    /**
     * Whether a volume's bytes can be read and written here in place ({@link #reader}, {@link #writer}): a file
     * or device always; RBD only through the agent's librados session.
     */
    default boolean blockAccess() {
        return true;
    }

    /** A reader of volume {@code id} as it is now (a move of a volume that is not in use). */
    default BlockReader reader(UUID id) {
        String path = devicePath(id);
        if (!path.startsWith("/")) {
            throw new org.tether.error.TetherException(org.tether.error.ErrorCode.STORAGE_BACKEND_FAILED,
                    "volume " + id + " (" + path + ") cannot be read as a file or device");
        }
        return FileBlocks.reader(java.nio.file.Path.of(path));
    }

    /** A writer into volume {@code id}, just created (a restore): its file or device, or librbd for RBD. */
    default BlockWriter writer(UUID id, boolean thin) {
        String path = imageTarget(id, thin).path();
        if (!path.startsWith("/")) {
            throw new org.tether.error.TetherException(org.tether.error.ErrorCode.STORAGE_BACKEND_FAILED,
                    "volume " + id + " (" + path + ") cannot be written as a file or device");
        }
        return FileBlocks.writer(java.nio.file.Path.of(path));
    }

    /** Where qemu-img writes an image into volume {@code id}, which was just created (and holds nothing). */
    ImageTarget imageTarget(UUID id, boolean thin);

    /**
     * A path (file or block device) or a qemu-img target such as {@code rbd:pool/image:...}.
     *
     * @param blockDevice written with {@code -t none} (O_DIRECT), as Cinder writes block devices
     * @param readsZero   the fresh volume reads as zeroes, so zero areas are not written (it stays sparse)
     */
    record ImageTarget(String path, boolean blockDevice, boolean readsZero) {
    }

    /**
     * Capacity as the backend sees it.
     *
     * @param dataPercent     thin pool (or filesystem) data use, or null
     * @param metadataPercent thin pool metadata use, or null
     */
    record PoolStats(String backend, long totalBytes, long freeBytes, Double dataPercent, Double metadataPercent) {
    }
}
