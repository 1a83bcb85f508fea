package org.tether.api;

import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.tether.error.TetherException;
import org.tether.storage.pool.StoragePools;
import org.tether.storage.volume.CreateVolume;
import org.tether.livemove.InUseVolumeMoves;
import org.tether.storage.volume.VolumeRecord;
import org.tether.storage.volume.VolumeService;
import org.tether.storage.volume.VolumeType;

import java.util.UUID;

/**
 * Moving a volume between pools (Cinder's migrate) and changing its type (Cinder's retype, moving it when its
 * pool cannot serve the new type and the caller allows it). Both are asynchronous operations: a move copies
 * the whole volume.
 */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class VolumeMoveResource {
    private final VolumeService volumes;
    private final InUseVolumeMoves mover;
    private final StoragePools pools;
    private final ModeGuard mode;

    public VolumeMoveResource(VolumeService volumes, InUseVolumeMoves mover, StoragePools pools, ModeGuard mode) {
        this.volumes = volumes;
        this.mover = mover;
        this.pools = pools;
        this.mode = mode;
    }

    @POST
    @Path("/volumes/{id}/migrate")
    @Operation(summary = "Move a volume without snapshots to another pool: copied, verified, swapped; an exported one "
            + "while its guest on this host runs (mode both)")
    @APIResponse(responseCode = "202",
            description = "Accepted: always an asynchronous operation, named by Location (GET /v1/operations/{id}); it "
            + "ends with 200 and the volume in its new pool")
    @APIResponse(responseCode = "409", description = "Busy, or exported other than to a guest of this host")
    @APIResponse(responseCode = "400", description = "No such pool, or the volume's own; nothing was changed")
    public VolumeView migrate(@PathParam("id") String id, StorageRequests.Migrate body) {
        mode.requireStorage();
        if (body == null || body.pool() == null) {
            throw TetherException.missing("pool");
        }
        UUID volumeId = AttachmentResource.uuid(id, "id");
        return VolumeView.of(mover.migrate(volumeId, body.pool(), body.thin(), null), volumes, pools);
    }

    @POST
    @Path("/volumes/{id}/retype")
    @Operation(summary = "Give a volume another volume type; moved to a pool that serves it when allowed")
    @APIResponse(responseCode = "202",
            description = "Accepted: always an asynchronous operation, named by Location (GET /v1/operations/{id}); it "
            + "ends with 200 and the volume with its new type (moved when its pool cannot serve it)")
    @APIResponse(responseCode = "409", description = "Busy, or exported other than to a guest of this host")
    @APIResponse(responseCode = "400", description = "Invalid volume type; nothing was changed")
    public VolumeView retype(@PathParam("id") String id, StorageRequests.Retype body) {
        mode.requireStorage();
        if (body == null || body.volumeType() == null) {
            throw TetherException.missing("volume_type");
        }
        String policy = body.migrationPolicy() == null ? "never" : body.migrationPolicy();
        if (!policy.equals("never") && !policy.equals("on-demand")) {
            throw TetherException.invalid("migration_policy", "migration_policy is never or on-demand");
        }
        UUID volumeId = AttachmentResource.uuid(id, "id");
        VolumeRecord r = volumes.get(volumeId);
        VolumeType type = VolumeTypes.parse(body.volumeType(), r.sizeGb());
        CreateVolume target = pools.retypeTarget(r, type);
        String own = volumes.pools().nameOf(r);
        if (target.placement().pool().equals(own)) {
            return VolumeView.of(volumes.changeType(volumeId, type), volumes, pools);
        }
        if (policy.equals("never")) {
            throw TetherException.invalid("migration_policy", "pool " + own + " cannot serve volume type "
                    + type.name() + "; pool " + target.placement().pool() + " can: retype with migration_policy "
                    + "on-demand to move the volume there");
        }
        return VolumeView.of(mover.migrate(volumeId, target.placement().pool(), target.thin(), type), volumes, pools);
    }
}
