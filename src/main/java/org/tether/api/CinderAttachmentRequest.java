package org.tether.api;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Body of {@code POST /v1/cinder-attachments}: an attachment the controller created in Cinder. */
@Schema(name = "CinderAttachmentRequest")
public record CinderAttachmentRequest(
        @Schema(required = true, description = "Cinder attachment id (POST /v3/{project_id}/attachments)")
        String attachmentId,
        @Schema(required = true) String volumeId,
        @Schema(required = true, description = "libvirt domain name") String instance,
        @Schema(required = true, description = "Project the attachment belongs to (in Cinder's URL)")
        String projectId,
        @Schema(description = "Requested guest device; also sent to Cinder as the mountpoint", example = "vdb")
        String device,
        @Schema(enumeration = {"virtio", "scsi"}, defaultValue = "virtio") String bus,
        @Schema(enumeration = {"kernel", "qemu"}) String attachPath,
        Boolean multiattach) {
}
