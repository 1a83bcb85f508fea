package org.tether.api;

import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
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
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.tether.compute.move.AttachedVolumeMoves;
import org.tether.disk.AttachPath;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.UUID;

/**
 * Moving an attached volume onto another while the guest runs (Nova's swap_volume): {@code POST} runs as an
 * asynchronous operation (the copy takes as long as the volume is large), {@code GET} shows its progress, {@code
 * DELETE} cancels it before the switch-over.
 */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class AttachedMoveResource {
    private final AttachedVolumeMoves moves;
    private final ModeGuard mode;

    public AttachedMoveResource(AttachedVolumeMoves moves, ModeGuard mode) {
        this.moves = moves;
        this.mode = mode;
    }

    @Schema(name = "AttachedMoveRequest", description = "Always an asynchronous operation (202)")
    public record Move(
            @Schema(description = "Cinder-format connection_info of the volume to move onto")
            @JsonProperty("connection_info") JsonNode connectionInfo,
            @Schema(description = "kernel or qemu for the new connection; default: chosen by its transport")
            @JsonProperty("attach_path") String attachPath,
            @Schema(description = "Cap on the copy, MiB/s") @JsonProperty("bandwidth_mib_s") Long bandwidthMibS) {
    }

    @POST
    @Path("/instances/{domain}/volumes/{volume_id}/move")
    @Operation(summary = "Move an attached volume onto another while the guest runs: connect it, copy, switch the "
            + "guest over, disconnect the old one. Device name, serial and QoS stay. Always asynchronous")
    @APIResponse(responseCode = "202",
            description = "Accepted: always an asynchronous operation, named by Location (GET /v1/operations/{id}); it "
            + "ends with 200 and the attachment on its new volume, or the problem that left it on the old")
    @APIResponse(responseCode = "409", description = "move_unsupported: shared, encrypted, Cinder-held or not running")
    @APIResponse(responseCode = "400", description = "Invalid connection_info or attach_path; nothing was changed")
    public AttachmentView move(@PathParam("domain") String domain, @PathParam("volume_id") String volumeId, Move body) {
        mode.requireCompute();
        UUID volume = AttachmentResource.volumeId(volumeId);
        AttachmentResource.checkDomain(domain);
        if (body == null || body.connectionInfo() == null) {
            throw TetherException.missing("connection_info");
        }
        AttachPath path = AttachmentResource.choice(body.attachPath(), "attach_path", AttachPath.class, null);
        return AttachmentView.of(moves.move(domain, volume, new AttachedVolumeMoves.Request(body.connectionInfo(),
                path, body.bandwidthMibS())));
    }

    /** A move in progress. */
    public record Progress(String domain, @JsonProperty("volume_id") String volumeId, String phase,
                           @JsonProperty("copied_bytes") long copiedBytes,
                           @JsonProperty("total_bytes") long totalBytes) {
    }

    @GET
    @Path("/instances/{domain}/volumes/{volume_id}/move")
    @Operation(summary = "The attached volume's move in progress; 404 when there is none")
    @APIResponse(responseCode = "200", description = "The move's phase and copied bytes")
    @APIResponse(responseCode = "404", description = "No move of that volume")
    public Progress progress(@PathParam("domain") String domain, @PathParam("volume_id") String volumeId) {
        mode.requireCompute();
        UUID volume = AttachmentResource.volumeId(volumeId);
        AttachmentResource.checkDomain(domain);
        AttachedVolumeMoves.Progress p = moves.progress(domain, volume).orElseThrow(() -> notMoving(domain, volume));
        return new Progress(domain, volume.toString(), p.phase(), p.copiedBytes(), p.totalBytes());
    }

    @DELETE
    @Path("/instances/{domain}/volumes/{volume_id}/move")
    @Operation(summary = "Cancel the move before its switch-over: the guest stays on the volume it had")
    @APIResponse(responseCode = "202", description = "Cancel asked; the guest stays on the volume it had")
    @APIResponse(responseCode = "409", description = "Past the switch-over")
    public Response cancel(@PathParam("domain") String domain, @PathParam("volume_id") String volumeId) {
        mode.requireCompute();
        UUID volume = AttachmentResource.volumeId(volumeId);
        AttachmentResource.checkDomain(domain);
        if (!moves.cancel(domain, volume)) {
            throw notMoving(domain, volume);
        }
        return Response.accepted().build();
    }

    private static TetherException notMoving(String domain, UUID volume) {
        return new TetherException(ErrorCode.OPERATION_NOT_FOUND, "volume_id", "volume " + volume + " on " + domain
                + " is not moving");
    }
}
