package org.tether.api;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.tether.compute.attach.LiveQos;
import org.tether.compute.attach.LiveResize;
import org.tether.error.TetherException;

import java.util.OptionalLong;
import java.util.UUID;

/**
 * Changes to an attached disk that leave it attached: throttling and size. Rooted at {@code /v1} like the
 * other resources: a longer class path would shadow their methods under the same prefix.
 */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class DiskChangeResource {
    private final LiveQos qos;
    private final LiveResize resize;
    private final ModeGuard mode;

    public DiskChangeResource(LiveQos qos, LiveResize resize, ModeGuard mode) {
        this.qos = qos;
        this.resize = resize;
        this.mode = mode;
    }

    @PUT
    @Path("/instances/{domain}/volumes/{volume_id}/qos")
    @Operation(summary = "Replace the throttling of an attached disk, live and persistent, without detaching")
    @APIResponse(responseCode = "200", description = "Applied; the values libvirt reports back",
            content = @Content(schema = @Schema(implementation = DiskChangeViews.Qos.class)))
    @APIResponse(responseCode = "400", description = "Invalid qos_specs; nothing was changed",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "404", description = "No such attachment",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public DiskChangeViews.Qos changeQos(@PathParam("domain") String domain, @PathParam("volume_id") String volumeId,
                                         DiskChangeRequests.Qos body) {
        mode.requireCompute();
        UUID volume = AttachmentResource.volumeId(volumeId);
        AttachmentResource.checkDomain(domain);
        if (body == null || body.qosSpecs() == null) {
            throw TetherException.missing("qos_specs");
        }
        return DiskChangeViews.Qos.of(qos.change(volume, domain, body.qosSpecs()));
    }

    @POST
    @Path("/instances/{domain}/volumes/{volume_id}/extend")
    @Operation(summary = "Make a grown volume's new size visible to the host and the guest")
    @APIResponse(responseCode = "200", description = "The disk's capacity now",
            content = @Content(schema = @Schema(implementation = DiskChangeViews.Extend.class)))
    @APIResponse(responseCode = "400", description = "Invalid size; nothing was changed",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "Smaller than the disk, or the attachment is in flight",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public DiskChangeViews.Extend extend(@PathParam("domain") String domain, @PathParam("volume_id") String volumeId,
                                         DiskChangeRequests.Extend body) {
        mode.requireCompute();
        UUID volume = AttachmentResource.volumeId(volumeId);
        AttachmentResource.checkDomain(domain);
        OptionalLong size = OptionalLong.empty();
        if (body != null && body.newSize() != null) {
            if (body.newSize() <= 0 || body.newSize() % 512 != 0) {
                throw TetherException.invalid("new_size", "new_size must be a positive multiple of 512 bytes");
            }
            size = OptionalLong.of(body.newSize());
        }
        return DiskChangeViews.Extend.of(resize.extend(volume, domain, size));
    }
}
