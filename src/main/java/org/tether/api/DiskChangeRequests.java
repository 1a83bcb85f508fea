package org.tether.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Bodies of the calls that change an attached disk in place. */
public final class DiskChangeRequests {
    private DiskChangeRequests() {
    }

    @Schema(name = "QosChangeRequest")
    public record Qos(
            @Schema(required = true, type = SchemaType.OBJECT, implementation = java.util.Map.class,
                    description = "Cinder front-end qos_specs; they replace the disk's current limits entirely")
            JsonNode qosSpecs) {
    }

    @Schema(name = "ExtendRequest")
    public record Extend(
            @Schema(description = "The volume's new size in bytes (Nova's requested_size). Required on the qemu "
                    + "path; on the kernel path the host device is rescanned until it has at least this size")
            Long newSize) {
    }
}
