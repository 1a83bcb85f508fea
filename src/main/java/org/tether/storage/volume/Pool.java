package org.tether.storage.volume;

import org.tether.config.StorageConfig.BackendKind;

/**
 * One pool of volumes: the backend that holds them and the rules a new volume must pass there.
 *
 * @param volumeBackendName what volume types match with {@code volume_backend_name}
 * @param target            the export driver's name ({@code lio}, {@code tgt}, {@code rbd})
 * @param location          where it keeps volumes: a directory, a VG, a Ceph pool
 */
public record Pool(String name, BackendKind kind, VolumeBackend backend, CapacityGuard capacity,
                   String volumeBackendName, int reservedPercentage, String target, String location) {

    /** LVM can make a volume thick (allocated up front); files and RBD images are always sparse. */
    public boolean thickSupport() {
        return kind == BackendKind.LVM;
    }
}
