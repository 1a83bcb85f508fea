package org.tether.api;

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
import org.tether.compute.cinder.CinderAttachmentService;
import org.tether.compute.cinder.CinderAttachmentStore;
import org.tether.disk.AttachPath;
import org.tether.disk.GuestDevice;
import org.tether.compute.libvirt.GuestDeviceNames;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.state.AttachmentJournal;

import java.net.URI;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

/** Cinder v3 attachments driven from this host: connector to Cinder, attach, complete; detach, delete. */
@Path("/v1/cinder-attachments")
@Produces(MediaType.APPLICATION_JSON)
public class CinderAttachmentResource {
    /** Keystone project ids are 32 hex digits; other identity backends use other safe strings. */
    private static final Pattern PROJECT = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private final CinderAttachmentService service;
    private final CinderAttachmentStore store;
    private final AttachmentJournal journal;
    private final ModeGuard mode;

    public CinderAttachmentResource(CinderAttachmentService service, CinderAttachmentStore store,
                                    AttachmentJournal journal, ModeGuard mode, TetherConfig config) {
        this.service = service;
        this.store = store;
        this.journal = journal;
        this.mode = mode;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Attach a Cinder attachment: send the connector, attach, os-complete (idempotent)")
    @APIResponse(responseCode = "201", description = "Attached and completed in Cinder",
            content = @Content(schema = @Schema(implementation = CinderAttachmentView.class)))
    @APIResponse(responseCode = "200", description = "A repeat: already attached and completed")
    @APIResponse(responseCode = "404", description = "No such domain, or Cinder has no such attachment",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "Cinder refused (volume state), or the id is used differently",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "502", description = "Keystone or Cinder refused; the host is as before",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = "Keystone or Cinder unreachable after the repeats",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "400", description = "Invalid request; nothing was changed")
    public Response attach(CinderAttachmentRequest body) {
        mode.requireCompute();
        if (body == null) {
            throw TetherException.missing("attachment_id");
        }
        UUID attachment = AttachmentResource.uuid(body.attachmentId(), "attachment_id");
        UUID volume = AttachmentResource.uuid(body.volumeId(), "volume_id");
        AttachmentResource.checkDomain(body.instance(), "instance");
        if (body.projectId() == null || !PROJECT.matcher(body.projectId()).matches()) {
            throw TetherException.invalid("project_id", "project_id must be 1-64 characters of [A-Za-z0-9_-]");
        }
        GuestDevice.Bus bus = AttachmentResource.choice(body.bus(), "bus", GuestDevice.Bus.class,
                GuestDevice.Bus.VIRTIO);
        AttachPath path = AttachmentResource.choice(body.attachPath(), "attach_path", AttachPath.class, null); // null: chosen by transport
        GuestDeviceNames.validate(body.device(), bus);
        var result = service.attach(new CinderAttachmentService.Request(attachment, volume, body.instance(),
                body.projectId(), body.device(), bus, path, Boolean.TRUE.equals(body.multiattach())));
        CinderAttachmentView view = CinderAttachmentView.of(result.record(), result.host());
        return (result.created() ? Response.created(URI.create("/v1/cinder-attachments/" + attachment))
                : Response.ok()).entity(view).build();
    }

    @GET
    @Operation(summary = "Every Cinder attachment this host holds")
    @APIResponse(responseCode = "200", description = "Every Cinder attachment this host holds")
    public List<CinderAttachmentView> list() {
        mode.requireCompute();
        return store.all().stream()
                .map(r -> CinderAttachmentView.of(r, journal.find(r.volumeId(), r.instance()))).toList();
    }

    @GET
    @Path("/{attachment_id}")
    @Operation(summary = "One Cinder attachment this host holds")
    @APIResponse(responseCode = "200", description = "The attachment")
    @APIResponse(responseCode = "404", description = "This host holds no such attachment")
    public CinderAttachmentView get(@PathParam("attachment_id") String id) {
        mode.requireCompute();
        UUID attachment = AttachmentResource.uuid(id, "attachment_id");
        return store.find(attachment).map(r -> CinderAttachmentView.of(r, journal.find(r.volumeId(), r.instance())))
                .orElseThrow(() -> notFound(attachment));
    }

    @DELETE
    @Path("/{attachment_id}")
    @Operation(summary = "Detach and disconnect, then delete the attachment in Cinder")
    @APIResponse(responseCode = "204", description = "Detached and deleted in Cinder")
    @APIResponse(responseCode = "404", description = "This host holds no such attachment",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = "Detached, but Cinder was unreachable; repeat the DELETE",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response detach(@PathParam("attachment_id") String id) {
        mode.requireCompute();
        UUID attachment = AttachmentResource.uuid(id, "attachment_id");
        if (!service.detach(attachment)) {
            throw notFound(attachment);
        }
        return Response.noContent().build();
    }

    private static TetherException notFound(UUID attachment) {
        return new TetherException(ErrorCode.ATTACHMENT_NOT_FOUND, "attachment_id",
                "this host holds no Cinder attachment " + attachment);
    }
}
