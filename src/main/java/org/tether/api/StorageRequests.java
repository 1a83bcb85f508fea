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
            JsonNode qosSpecs,
            @Schema(description = "The volume type, in the shape Cinder keeps it: its extra specs choose the pool, "
                    + "its QoS specs (with their consumer) go to the host or the storage") VolumeTypeSpec volumeType,
            @Schema(description = "A pool by name, instead of letting the type choose (GET /v1/pools)") String pool,
            @Schema(type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.OBJECT,
                    implementation = java.util.Map.class, description = "Encrypt with LUKS1 (Cinder's encryption "
                    + "shape: provider luks, cipher, key_size, encryption_key_id); without a key id a new key is "
                    + "stored in the key manager") JsonNode encryption) {
    }

    @Schema(name = "VolumeType")
    public record VolumeTypeSpec(
            @Schema(required = true) String name,
            @Schema(type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.OBJECT,
                    implementation = java.util.Map.class) JsonNode extraSpecs,
            TypeQos qosSpecs) {
    }

    @Schema(name = "VolumeTypeQos")
    public record TypeQos(
            @Schema(required = true, enumeration = {"front-end", "back-end", "both"}) String consumer,
            @Schema(type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.OBJECT,
                    implementation = java.util.Map.class) JsonNode specs) {
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

    @Schema(name = "VolumeMigrate")
    public record Migrate(
            @Schema(required = true, description = "The target pool (GET /v1/pools)") String pool,
            @Schema(description = "Provisioning in the target pool; default: the volume's own where the pool "
                    + "offers it") Boolean thin) {
    }

    @Schema(name = "VolumeRetype")
    public record Retype(
            @Schema(required = true) VolumeTypeSpec volumeType,
            @Schema(enumeration = {"never", "on-demand"}, description = "Whether the volume may move to another "
                    + "pool when its own cannot serve the new type (Cinder's); default never") String migrationPolicy) {
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

    @Schema(name = "VolumeUploadRequest", description = "Cinder's os-volume_upload_image; always an asynchronous "
            + "operation (202)")
    public record UploadImage(
            @Schema(required = true, description = "The new image's name") String name,
            @Schema(enumeration = {"raw", "qcow2"}, description = "default raw") String diskFormat,
            @Schema(enumeration = {"bare"}, description = "default bare") String containerFormat,
            @Schema(enumeration = {"private", "shared", "community", "public"}, description = "default private")
            String visibility,
            @Schema(description = "Upload an exported volume from a snapshot taken now (Cinder's force)") Boolean force,
            @Schema(description = "UUID for the new image; generated when absent") String imageId,
            @Schema(description = "image_id names an image the caller already registered in Glance (queued), as "
                    + "Cinder's API does before copy_volume_to_image: the agent only gives it its data, in its "
                    + "disk_format, and never removes it; name and visibility are the image's own")
            Boolean existingImage) {
    }
}
