package org.tether.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Request bodies of the storage API. */
public final class StorageRequests {
    private StorageRequests() {
    }

    @Schema(name = "CreateVolumeRequest")
    public record CreateVolume(
            @Schema(required = true, description = "UUID the controller chose") String id,
            @Schema(required = true, minimum = "1", maximum = "16384") Integer sizeGb,
            @Schema(defaultValue = "true") Boolean thin,
            Source source,
            @Schema(description = "Front-end QoS handed to the compute side in connection_info")
            JsonNode qosSpecs) {
    }

    @Schema(name = "VolumeSource", description = "Exactly one of the two")
    public record Source(String snapshotId, String volumeId) {
    }

    @Schema(name = "ExtendRequest")
    public record Extend(@Schema(required = true) Integer newSizeGb) {
    }

    @Schema(name = "SnapshotRequest")
    public record Snapshot(@Schema(description = "UUID; generated when absent") String id) {
    }

    @Schema(name = "RevertRequest")
    public record Revert(@Schema(required = true) String snapshotId) {
    }
}
