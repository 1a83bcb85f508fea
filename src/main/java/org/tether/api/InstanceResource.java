package org.tether.api;

import org.eclipse.microprofile.openapi.annotations.responses.APIResponseSchema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.tether.compute.attach.AttachCommand;
import org.tether.disk.AttachPath;
import org.tether.compute.instance.CreateInstance;
import org.tether.compute.instance.GuestHardware;
import org.tether.compute.instance.InstanceService;
import org.tether.disk.GuestDevice;
import org.tether.compute.libvirt.GuestDeviceNames;
import org.tether.config.TetherConfig;
import org.tether.error.TetherException;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Domains that boot from a volume: create, show, delete. */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
public class InstanceResource {
    private static final Pattern MACHINE = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final Pattern NETWORK = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final int MAX_VOLUMES = 16;

    private final InstanceService instances;
    private final ModeGuard mode;

    public InstanceResource(InstanceService instances, TetherConfig config, ModeGuard mode) {
        this.instances = instances;
        this.mode = mode;
    }

    @POST
    @Path("/instances")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Create and start a domain that boots from a volume (idempotent by name)")
    @APIResponse(responseCode = "201", description = "Running",
            content = @Content(schema = @Schema(implementation = InstanceView.class)))
    @APIResponse(responseCode = "200", description = "The same request again: the instance as it is")
    @APIResponse(responseCode = "400", description = "Invalid request; nothing was changed",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "A domain of that name exists, or a volume is attached elsewhere",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response create(InstanceRequests body) {
        mode.requireCompute();
        CreateInstance req = validate(body);
        boolean existed = instances.find(req.name()).isPresent();
        InstanceView view = InstanceView.of(instances.create(req));
        return (existed ? Response.ok(view) : Response.created(URI.create("/v1/instances/" + req.name())).entity(view))
                .build();
    }

    @GET
    @Path("/instances")
    @Operation(summary = "Every instance Tether created on this host")
    @APIResponse(responseCode = "200", description = "Every instance this agent defined")
    public List<InstanceView> list() {
        mode.requireCompute();
        return instances.all().stream().map(InstanceView::of).toList();
    }

    @GET
    @Path("/instances/{domain}")
    @Operation(summary = "An instance Tether created, with its volumes")
    @APIResponseSchema(value = InstanceView.class, responseCode = "200", responseDescription = "The instance")
    @APIResponse(responseCode = "404", description = "No such instance",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public InstanceView get(@PathParam("domain") String domain) {
        mode.requireCompute();
        AttachmentResource.checkDomain(domain);
        return InstanceView.of(instances.get(domain));
    }

    @DELETE
    @Path("/instances/{domain}")
    @Operation(summary = "Stop and undefine an instance and disconnect its volumes (the volumes are kept)")
    @APIResponse(responseCode = "204", description = "Deleted, or there was nothing to delete")
    @APIResponse(responseCode = "409", description = "The domain was not created by Tether",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response delete(@PathParam("domain") String domain) {
        mode.requireCompute();
        AttachmentResource.checkDomain(domain);
        instances.delete(domain);
        return Response.noContent().build();
    }

    private CreateInstance validate(InstanceRequests body) {
        if (body == null) {
            throw TetherException.missing("name");
        }
        if (body.name() == null) {
            throw TetherException.missing("name");
        }
        AttachmentResource.checkDomain(body.name(), "name");
        int vcpus = range(body.vcpus(), "vcpus", 1, 64);
        int memory = range(body.memoryMb(), "memory_mb", 16, 1_048_576);
        if (body.machine() != null && !MACHINE.matcher(body.machine()).matches()) {
            throw TetherException.invalid("machine", "machine must be a QEMU machine type like pc or pc-q35-7.2");
        }
        if (body.network() != null && !NETWORK.matcher(body.network()).matches()) {
            throw TetherException.invalid("network", "network must be 1-64 characters of [A-Za-z0-9_.-]");
        }
        if (body.bootVolume() == null) {
            throw TetherException.missing("boot_volume");
        }
        List<InstanceRequests.Volume> extra = body.volumes() == null ? List.of() : body.volumes();
        if (extra.size() >= MAX_VOLUMES) {
            throw TetherException.invalid("volumes", "at most " + (MAX_VOLUMES - 1) + " extra volumes");
        }
        GuestHardware hardware = GuestHardware.from(imageMetadata(body.bootVolume().volumeImageMetadata()));
        List<AttachCommand> volumes = new ArrayList<>();
        volumes.add(volume(body.name(), body.bootVolume(), "boot_volume",
                hardware.diskBus() == null ? GuestDevice.Bus.VIRTIO : hardware.diskBus()));
        for (int i = 0; i < extra.size(); i++) {
            if (extra.get(i).volumeImageMetadata() != null) {
                throw TetherException.invalid("volumes[" + i + "].volume_image_metadata",
                        "only the boot volume's image shapes the guest");
            }
            volumes.add(volume(body.name(), extra.get(i), "volumes[" + i + "]", GuestDevice.Bus.VIRTIO));
        }
        return new CreateInstance(body.name(), vcpus, memory, body.machine(), body.network(), volumes, hardware);
    }

    /** An object of strings (Cinder keeps volume_image_metadata as strings); anything else is refused. */
    private static java.util.Map<String, String> imageMetadata(JsonNode meta) {
        if (meta == null || meta.isNull()) {
            return java.util.Map.of();
        }
        String field = "boot_volume.volume_image_metadata";
        if (!meta.isObject()) {
            throw TetherException.invalid(field, field + " must be an object of strings");
        }
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        meta.fields().forEachRemaining(e -> {
            if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                throw TetherException.invalid(field + "." + e.getKey(), "values must be strings");
            }
            out.put(e.getKey(), e.getValue().asText());
        });
        return out;
    }

    private AttachCommand volume(String domain, InstanceRequests.Volume v, String field, GuestDevice.Bus defaultBus) {
        if (v == null) {
            throw TetherException.missing(field);
        }
        java.util.UUID id = AttachmentResource.uuid(v.volumeId(), field + ".volume_id");
        if (v.connectionInfo() == null || !v.connectionInfo().isObject()) {
            throw TetherException.missing(field + ".connection_info");
        }
        GuestDevice.Bus bus = AttachmentResource.choice(v.bus(), field + ".bus", GuestDevice.Bus.class, defaultBus);
        AttachPath path = AttachmentResource.choice(v.attachPath(), field + ".attach_path", AttachPath.class,
                null); // null: chosen by transport
        GuestDeviceNames.validate(v.device(), bus);
        return new AttachCommand(id, domain, withQos(v.connectionInfo(), v.qosSpecs()), v.device(), bus, path,
                false, v.encryption());
    }

    /** Puts explicit qos_specs where Cinder would have put them: inside data (nested) or at the top (flat). */
    private static JsonNode withQos(JsonNode connectionInfo, JsonNode qos) {
        if (qos == null) {
            return connectionInfo;
        }
        ObjectNode copy = connectionInfo.deepCopy();
        JsonNode data = copy.get("data");
        ((data != null && data.isObject()) ? (ObjectNode) data : copy).set("qos_specs", qos);
        return copy;
    }

    private static int range(Integer value, String field, int min, int max) {
        if (value == null) {
            throw TetherException.missing(field);
        }
        if (value < min || value > max) {
            throw TetherException.invalid(field, field + " must be between " + min + " and " + max);
        }
        return value;
    }
}
