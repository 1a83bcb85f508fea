package org.tether.api;

import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.tether.error.TetherException;
import org.tether.storage.image.ImageFormat;
import org.tether.storage.image.VolumeUploads;

import java.net.URI;
import java.util.List;
import java.util.UUID;

/** A volume into a new Glance image (Cinder's {@code copy_volume_to_image}), and the uploads under way. */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class VolumeUploadResource {
    private final VolumeUploads uploads;
    private final ModeGuard mode;

    public VolumeUploadResource(VolumeUploads uploads, ModeGuard mode) {
        this.uploads = uploads;
        this.mode = mode;
    }

    @POST
    @Path("/volumes/{id}/image")
    @Operation(summary = "Upload a volume into a new Glance image (raw or qcow2), from a snapshot taken now; "
            + "always an asynchronous operation")
    @APIResponse(responseCode = "202",
            description = "Accepted: always an asynchronous operation, named by Location (GET /v1/operations/{id}); it "
            + "ends with 201 and the image")
    @APIResponse(responseCode = "409", description = "The volume is exported (force not set) or encrypted")
    @APIResponse(responseCode = "400", description = "Invalid image properties or disk_format; nothing was changed")
    public Response upload(@PathParam("id") String id, StorageRequests.UploadImage body) {
        mode.requireStorage();
        if (body == null) {
            throw TetherException.missing("name");
        }
        boolean existing = Boolean.TRUE.equals(body.existingImage());
        if (existing) {
            if (body.imageId() == null) {
                throw TetherException.missing("image_id");
            }
            if (body.name() != null || body.visibility() != null) {
                throw TetherException.invalid(body.name() != null ? "name" : "visibility", "an existing image keeps "
                        + "its own name and visibility");
            }
        } else if (body.name() == null || body.name().isBlank()) {
            throw TetherException.missing("name");
        }
        if (body.name() != null && body.name().length() > 255) {
            throw TetherException.invalid("name", "name is at most 255 characters");
        }
        if (body.containerFormat() != null && !body.containerFormat().equals("bare")) {
            throw TetherException.invalid("container_format", "container_format is bare");
        }
        ImageFormat format = body.diskFormat() == null ? (existing ? null : ImageFormat.RAW)
                : ImageFormat.ofGlanceName(body.diskFormat()).filter(f -> f == ImageFormat.RAW || f == ImageFormat.QCOW2)
                .orElseThrow(() -> TetherException.invalid("disk_format", "disk_format is raw or qcow2"));
        UUID volume = AttachmentResource.uuid(id, "id");
        UUID image = body.imageId() == null ? UUID.randomUUID() : AttachmentResource.uuid(body.imageId(), "image_id");
        VolumeUploads.Uploaded done = uploads.upload(volume, new VolumeUploads.Request(image, body.name(), format,
                body.visibility(), Boolean.TRUE.equals(body.force()), existing));
        return Response.created(URI.create("/v2/images/" + done.imageId())).entity(done).build();
    }

    @GET
    @Path("/image-uploads")
    @Operation(summary = "Uploads of volumes to Glance under way, with their phase")
    @APIResponse(responseCode = "200", description = "Uploads under way")
    public List<VolumeUploads.Running> running() {
        mode.requireStorage();
        return uploads.running();
    }
}
