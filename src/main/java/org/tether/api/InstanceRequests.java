package org.tether.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/** Body of {@code POST /v1/instances}. */
@Schema(name = "CreateInstanceRequest")
public record InstanceRequests(
        @Schema(required = true, description = "Domain name", example = "instance-0000002a") String name,
        @Schema(required = true, minimum = "1", maximum = "64") Integer vcpus,
        @Schema(required = true, minimum = "16", maximum = "1048576") Integer memoryMb,
        @Schema(description = "QEMU machine type; libvirt's default when absent", example = "pc-q35-7.2")
        String machine,
        @Schema(description = "A libvirt network to put one virtio NIC on; no NIC when absent") String network,
        @Schema(required = true, description = "The volume the domain boots from (boot order 1)")
        Volume bootVolume,
        @Schema(description = "More volumes, attached in this order") List<Volume> volumes) {

    @Schema(name = "InstanceVolume")
    public record Volume(
            @Schema(required = true) String volumeId,
            @Schema(required = true, type = SchemaType.OBJECT, implementation = java.util.Map.class,
                    description = "Cinder connection_info, nested or flat")
            JsonNode connectionInfo,
            @Schema(type = SchemaType.OBJECT, implementation = java.util.Map.class,
                    description = "Front-end qos_specs; replace those inside connection_info when given")
            JsonNode qosSpecs,
            String device,
            @Schema(enumeration = {"virtio", "scsi"}, defaultValue = "virtio") String bus,
            @Schema(enumeration = {"kernel", "qemu"}) String attachPath,
            @Schema(type = SchemaType.OBJECT, implementation = java.util.Map.class, description = "Boot volume only: "
                    + "its volume_image_metadata as the storage side shows it; hw_disk_bus, hw_scsi_model, "
                    + "hw_firmware_type (bios, uefi), hw_machine_type and hw_rng_model are honoured as Nova does")
            JsonNode volumeImageMetadata,
            @Schema(type = SchemaType.OBJECT, implementation = java.util.Map.class, description = "When "
                    + "connection_info says encrypted: the volume's encryption metadata, as Cinder's GET "
                    + "/v3/{project}/volumes/{id}/encryption answers it (provider luks, cipher, key_size, "
                    + "control_location, encryption_key_id)")
            JsonNode encryption) {
    }
}
