package org.tether.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Body of {@code PUT /v1/instances/{domain}/volumes/{volume_id}}. */
@Schema(name = "AttachRequest")
public record AttachRequest(
        @Schema(required = true, type = SchemaType.OBJECT, implementation = java.util.Map.class,
                description = "Cinder connection_info, nested ({driver_volume_type, data}) or flat (v3 attachments)")
        JsonNode connectionInfo,
        @Schema(description = "Requested guest device (vdb, sdc); the first free one is used when taken",
                example = "vdb")
        String device,
        @Schema(enumeration = {"virtio", "scsi"}, defaultValue = "virtio") String bus,
        @Schema(enumeration = {"kernel", "qemu"},
                description = "kernel: open-iscsi session and a block disk; qemu: QEMU's own iSCSI client")
        String attachPath,
        @Schema(description = "The volume may be attached to several domains (<shareable/>)")
        Boolean multiattach,
        @Schema(type = SchemaType.OBJECT, implementation = java.util.Map.class,
                description = "When connection_info says encrypted: the volume's encryption metadata as Cinder "
                        + "answers GET /v3/{project}/volumes/{id}/encryption (provider luks, cipher, key_size, "
                        + "control_location, encryption_key_id); the key comes from the key manager")
        JsonNode encryption) {
}
