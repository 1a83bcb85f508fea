package org.tether.api;

import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import jakarta.enterprise.context.ApplicationScoped;
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
import org.tether.error.TetherException;
import org.tether.operations.AlwaysAsync;
import org.tether.storage.backup.BackupService;
import org.tether.storage.backup.BackupView;
import org.tether.storage.volume.VolumeRecord;

import java.net.URI;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Backups of volumes into the agent's backup stores: made from a snapshot (storage mode) or from a running domain's
 * disk (compute mode); listed, verified and deleted in either mode, restored into volumes in storage mode.
 */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class BackupResource {
    private final BackupService backups;
    private final ModeGuard mode;
    private final org.tether.storage.volume.VolumeService volumes;
    private final org.tether.storage.pool.StoragePools pools;
    private final org.tether.compute.backup.DiskBackups disks;

    public BackupResource(BackupService backups, ModeGuard mode, org.tether.storage.volume.VolumeService volumes,
                          org.tether.storage.pool.StoragePools pools, org.tether.compute.backup.DiskBackups disks) {
        this.backups = backups;
        this.disks = disks;
        this.mode = mode;
        this.volumes = volumes;
        this.pools = pools;
    }

    @Schema(name = "BackupRequest", description = "Always an asynchronous operation (202)")
    public record Create(
            @Schema(description = "UUID for the backup; generated when absent") String id,
            @Schema(description = "The store's name (tether.backup.stores.<name>); default: the default store") String store,
            @Schema(description = "Build on the volume's latest backup in that store: only new chunks are stored")
            Boolean incremental,
            @Schema(description = "Back up an exported volume from a snapshot taken now (Cinder's force)") Boolean force) {
    }

    @Schema(name = "BackupRestoreRequest", description = "Always an asynchronous operation (202)")
    public record Restore(
            @Schema(description = "UUID for the new volume; generated when absent") @JsonProperty("volume_id") String volumeId,
            @Schema(description = "Size of the new volume; default: the backup's") @JsonProperty("size_gb") Integer sizeGb) {
    }

    @POST
    @Path("/volumes/{id}/backups")
    @Operation(summary = "Back up a volume (full, or incremental on its latest backup in the store), from a "
            + "snapshot taken now; always an asynchronous operation")
    @APIResponse(responseCode = "202",
            description = "Accepted: always an asynchronous operation, named by Location (GET /v1/operations/{id}); it "
            + "ends with 201 and the backup")
    @APIResponse(responseCode = "400", description = "No such store, or no parent for an incremental")
    @APIResponse(responseCode = "409", description = "The volume is exported or in use and force is not set")
    public Response create(@PathParam("id") String id, Create body) {
        mode.requireStorage();
        Create b = body == null ? new Create(null, null, null, null) : body;
        UUID volume = AttachmentResource.uuid(id, "id");
        UUID backup = b.id() == null ? null : AttachmentResource.uuid(b.id(), "id");
        BackupView made = backups.create(volume, new BackupService.Request(backup, b.store(),
                Boolean.TRUE.equals(b.incremental()), Boolean.TRUE.equals(b.force())));
        return Response.created(URI.create("/v1/backups/" + made.id())).entity(made).build();
    }

    @Schema(name = "DiskBackupRequest", description = "Always an asynchronous operation (202)")
    public record FromDisk(
            @Schema(description = "UUID for the backup; generated when absent") String id,
            @Schema(description = "The store's name (tether.backup.stores.<name>); default: the default store") String store,
            @Schema(description = "Build on the volume's latest backup in that store: only new chunks are stored")
            Boolean incremental,
            @Schema(description = "Freeze the guest's file systems for the backup's instant through its guest agent "
                    + "(default true); without an agent answering, the backup is crash-consistent and says so")
            Boolean quiesce) {
    }

    @POST
    @Path("/instances/{domain}/volumes/{volume_id}/backups")
    @Operation(summary = "Back up an attached volume from the running domain's disk, at one instant while the "
            + "guest goes on (libvirt's backup API); always an asynchronous operation")
    @APIResponse(responseCode = "202",
            description = "Accepted: always an asynchronous operation, named by Location (GET /v1/operations/{id}); it "
            + "ends with 201 and the backup")
    @APIResponse(responseCode = "404", description = "The volume is not attached to the domain")
    @APIResponse(responseCode = "409", description = "Not running, a backup job already runs, or a LUKS volume")
    @APIResponse(responseCode = "400", description = "Invalid body, or no such store; nothing was changed")
    public Response createFromDisk(@PathParam("domain") String domain, @PathParam("volume_id") String volumeId,
                                   FromDisk body) {
        mode.requireCompute();
        AttachmentResource.checkDomain(domain);
        FromDisk b = body == null ? new FromDisk(null, null, null, null) : body;
        UUID volume = AttachmentResource.volumeId(volumeId);
        UUID backup = b.id() == null ? null : AttachmentResource.uuid(b.id(), "id");
        BackupView made = disks.backup(domain, volume, new BackupService.Request(backup, b.store(),
                Boolean.TRUE.equals(b.incremental()), false), !Boolean.FALSE.equals(b.quiesce()));
        return Response.created(URI.create("/v1/backups/" + made.id())).entity(made).build();
    }

    @GET
    @Path("/backups")
    @Operation(summary = "Every backup in every store (or in one: store), and those being made, restored or that "
            + "failed; volume_id keeps one volume's. A store that cannot be reached is a 503: name the others with "
            + "store to list theirs meanwhile")
    @APIResponse(responseCode = "200", description = "Every whole backup the stores hold (the stores are the truth)")
    @APIResponse(responseCode = "503", description = "A store cannot be reached: the listing would be incomplete")
    public List<BackupView> list(@jakarta.ws.rs.QueryParam("store") String store,
                                 @jakarta.ws.rs.QueryParam("volume_id") String volumeId) {
        return backups.list(store, volumeId == null ? null : AttachmentResource.uuid(volumeId, "volume_id"));
    }

    @GET
    @Path("/backups/{id}")
    @Operation(summary = "One backup: volume, size, store, parent, state, bytes read and stored, content SHA-256")
    @APIResponse(responseCode = "200", description = "The backup")
    @APIResponse(responseCode = "404", description = "No such backup in any store")
    public BackupView get(@PathParam("id") String id) {
        return backups.get(AttachmentResource.uuid(id, "id"));
    }

    @DELETE
    @Path("/backups/{id}")
    @Operation(summary = "Delete a backup and the chunks nothing else names; 409 while an incremental depends on it")
    @APIResponse(responseCode = "204", description = "Deleted, and the chunks no other backup names collected")
    @APIResponse(responseCode = "409", description = "A later incremental depends on it, or it is in use")
    public Response delete(@PathParam("id") String id) {
        backups.delete(AttachmentResource.uuid(id, "id"));
        return Response.noContent().build();
    }

    @POST
    @Path("/backups/{id}/restore")
    @Operation(summary = "Restore a backup into a new volume, checked against the backup's SHA-256; always an "
            + "asynchronous operation")
    @APIResponse(responseCode = "202",
            description = "Accepted: always an asynchronous operation, named by Location (GET /v1/operations/{id}); it "
            + "ends with 201 and the restored volume")
    @APIResponse(responseCode = "409",
            description = "The target volume is exported or in use, or keyed otherwise")
    @APIResponse(responseCode = "400", description = "Invalid body (volume_id, size_gb); nothing was changed")
    public Response restore(@PathParam("id") String id, Restore body) {
        mode.requireStorage();
        Restore b = body == null ? new Restore(null, null) : body;
        UUID volume = b.volumeId() == null ? null : AttachmentResource.uuid(b.volumeId(), "volume_id");
        if (b.sizeGb() != null && b.sizeGb() < 1) {
            throw TetherException.invalid("size_gb", "size_gb is at least 1");
        }
        VolumeRecord made = backups.restore(AttachmentResource.uuid(id, "id"), volume, b.sizeGb());
        return Response.created(URI.create("/v1/volumes/" + made.id())).entity(VolumeView.of(made, volumes, pools)).build();
    }

    @POST
    @Path("/backups/{id}/verify")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Read every chunk of a backup back and check its hash; always an asynchronous operation")
    @APIResponse(responseCode = "202",
            description = "Accepted: always an asynchronous operation, named by Location (GET /v1/operations/{id}); it "
            + "ends with 200 and what was checked, or 422 backup_corrupt naming the chunk")
    public BackupService.Verified verify(@PathParam("id") String id) {
        return backups.verify(AttachmentResource.uuid(id, "id"));
    }

    @POST
    @Path("/backup-stores/{name}/reseal")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Finish a sealed store's key rotation: every backup a previous key sealed is sealed again "
            + "with the current key, chunks first, then its manifest; always an asynchronous operation")
    @APIResponse(responseCode = "202",
            description = "Accepted: always an asynchronous operation, named by Location (GET /v1/operations/{id}); it "
            + "ends with 200 and how many manifests and chunks were sealed again")
    @APIResponse(responseCode = "400", description = "No such store, or it has no previous key")
    public BackupService.Resealed reseal(@PathParam("name") String name) {
        return backups.reseal(name);
    }

    /** Backups, restores, verifications and re-seals read or write whole volumes or stores: minutes. */
    @ApplicationScoped
    public static class IsAsync implements AlwaysAsync {
        private static final Pattern LONG = Pattern.compile(
                "/v1/(volumes/[^/]+/backups|instances/[^/]+/volumes/[^/]+/backups|backups/[^/]+/(restore|verify)"
                + "|backup-stores/[^/]+/reseal)");

        @Override
        public boolean appliesTo(String method, String path, JsonNode body) {
            return "POST".equals(method) && LONG.matcher(path).matches();
        }
    }
}
