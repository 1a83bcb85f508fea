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

    @Schema(name = "VolumeSource", description = "Exactly one of the three")
    public record Source(String snapshotId, String volumeId, ImageSource image) {
    }

    @Schema(name = "ImageSource", description = "An image in Glance, or at a URL the operator allowed; exactly one "
            + "of glance_id and url. A create from an image always runs as an asynchronous operation (202).")
    public record ImageSource(
            @Schema(description = "Glance v2 image id") String glanceId,
            @Schema(description = "http(s) on tether.storage.images.url-hosts, or file under its file-dir") String url,
            @Schema(description = "raw, qcow2, vmdk, vhd, vhdx, vdi or iso; the bytes must be it") String diskFormat,
            @Schema(description = "hex SHA-256 the data must have") String sha256) {
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
