package org.tether.api;

import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.tether.qos.QosSpecParser;
import org.tether.error.TetherException;
import org.tether.storage.image.ImageFormat;
import org.tether.storage.image.ImageRequest;
import org.tether.storage.image.ImageVolumes;
import org.tether.storage.pool.StoragePools;
import org.tether.storage.volume.Pool;
import org.tether.storage.volume.EncryptedVolumes;
import org.tether.encryption.EncryptionSpec;
import org.tether.encryption.EncryptionSpecParser;
import org.tether.error.ErrorCode;
import org.tether.storage.volume.VolumeType;
import org.tether.storage.target.ExportService;
import org.tether.storage.volume.CreateVolume;
import org.tether.storage.volume.VolumeRecord;
import org.tether.storage.volume.VolumeService;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Storage mode: volumes, snapshots, exports, capacity. Thin: validates plain fields and delegates. */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class VolumeResource {
    static final int MAX_SIZE_GB = 16384;

    private final VolumeService volumes;
    private final ExportService exports;
    private final ModeGuard mode;
    private final ImageVolumes images;
    private final StoragePools pools;
    private final EncryptedVolumes encrypted;

    public VolumeResource(VolumeService volumes, ExportService exports, ModeGuard mode, ImageVolumes images,
                          StoragePools pools, EncryptedVolumes encrypted) {
        this.encrypted = encrypted;
        this.images = images;
        this.pools = pools;
        this.volumes = volumes;
        this.exports = exports;
        this.mode = mode;
    }

    @POST
    @Path("/volumes")
    @Operation(summary = "Create a volume: empty, or from a snapshot, a volume or an image (idempotent by id); "
            + "from an image it always runs as an asynchronous operation")
    @APIResponse(responseCode = "201",
            description = "Made (Location names it); a repeat of the same request returns it again")
    @APIResponse(responseCode = "202",
            description = "Accepted: always an asynchronous operation, named by Location (GET /v1/operations/{id}); it "
            + "ends with 201 and the volume, when made from an image")
    @APIResponse(responseCode = "400",
            description = "Invalid request, or no pool matches the type; nothing was changed")
    @APIResponse(responseCode = "409", description = "A volume of that id exists otherwise")
    @APIResponse(responseCode = "507", description = "No pool has room")
    public Response create(StorageRequests.CreateVolume body) {
        mode.requireStorage();
        if (body == null) {
            throw TetherException.missing("id");
        }
        UUID id = AttachmentResource.uuid(body.id(), "id");
        int size = size(body.sizeGb(), "size_gb");
        UUID fromVolume = null;
        UUID fromSnapshot = null;
        ImageRequest image = null;
        if (body.source() != null) {
            StorageRequests.Source src = body.source();
            int given = (src.volumeId() == null ? 0 : 1) + (src.snapshotId() == null ? 0 : 1) + (src.image() == null ? 0 : 1);
            if (given != 1) {
                throw TetherException.invalid("source", "source needs exactly one of snapshot_id, volume_id and image");
            }
            image = src.image() == null ? null : image(src.image());
            fromVolume = body.source().volumeId() == null ? null
                    : AttachmentResource.uuid(body.source().volumeId(), "source.volume_id");
            fromSnapshot = body.source().snapshotId() == null ? null
                    : AttachmentResource.uuid(body.source().snapshotId(), "source.snapshot_id");
        }
        VolumeType type = VolumeTypes.parse(body.volumeType(), size);
        Map<String, String> plainQos = VolumeTypes.plainQos(qos(body.qosSpecs()));
        if (type != null && type.qos() != null && !plainQos.isEmpty()) {
            throw TetherException.invalid("qos_specs", "give QoS either in qos_specs or in volume_type.qos_specs");
        }
        if (body.pool() != null && !POOL.matcher(body.pool()).matches()) {
            throw TetherException.invalid("pool", "pool must be 1-64 characters of [A-Za-z0-9_.-]");
        }
        EncryptionSpec encryption = encryption(body.encryption(), fromVolume != null || fromSnapshot != null);
        CreateVolume req = pools.place(new CreateVolume(id, size, true, fromVolume, fromSnapshot, plainQos), type,
                body.pool(), body.thin());
        VolumeRecord r;
        if (encryption != null && image != null) {
            ImageVolumes.Encrypted made = images.encrypted(req, image);
            r = encrypted.create(made.request(), encryption, made.content());
        } else {
            r = encryption != null ? encrypted.create(req, encryption)
                    : image == null ? volumes.create(req) : images.create(req, image);
        }
        return Response.created(URI.create("/v1/volumes/" + r.id())).entity(view(r)).build();
    }

    @GET
    @Path("/volumes")
    @Operation(summary = "Every volume this agent manages")
    @APIResponse(responseCode = "200", description = "Every volume of this storage host")
    public List<VolumeView> list() {
        mode.requireStorage();
        return volumes.list().stream().map(this::view).toList();
    }

    @GET
    @Path("/volumes/{id}")
    @Operation(summary = "One volume: its state, pool, type, snapshots and exports")
    @APIResponse(responseCode = "200", description = "The volume")
    @APIResponse(responseCode = "404", description = "No such volume")
    public VolumeView get(@PathParam("id") String id) {
        mode.requireStorage();
        return view(volumes.get(AttachmentResource.uuid(id, "id")));
    }

    @DELETE
    @Path("/volumes/{id}")
    @Operation(summary = "Delete a volume; 409 while exported or with snapshots; unknown is 204")
    @APIResponse(responseCode = "204", description = "Deleted (wiped first when thick), or there was nothing to delete")
    @APIResponse(responseCode = "409", description = "Exported, with snapshots, or restoring or moving")
    public Response delete(@PathParam("id") String id) {
        mode.requireStorage();
        encrypted.delete(AttachmentResource.uuid(id, "id"));
        return Response.noContent().build();
    }

    @POST
    @Path("/volumes/{id}/extend")
    @Operation(summary = "Grow a volume")
    @APIResponse(responseCode = "200", description = "The volume at its new size")
    @APIResponse(responseCode = "400", description = "Smaller than it is")
    public VolumeView extend(@PathParam("id") String id, StorageRequests.Extend body) {
        mode.requireStorage();
        int size = size(body == null ? null : body.newSizeGb(), "new_size_gb");
        UUID volumeId = AttachmentResource.uuid(id, "id");
        VolumeRecord grown = volumes.extend(volumeId, size);
        exports.followResize(volumeId); // also on a repeat, so a failed follow-up is retried by the caller
        return view(grown);
    }

    @POST
    @Path("/volumes/{id}/snapshots")
    @Operation(summary = "Snapshot a volume (idempotent by snapshot id)")
    @APIResponse(responseCode = "201", description = "The snapshot")
    @APIResponse(responseCode = "400", description = "Invalid snapshot id; nothing was changed")
    public Response snapshot(@PathParam("id") String id, StorageRequests.Snapshot body) {
        mode.requireStorage();
        UUID snapshotId = body == null || body.id() == null ? UUID.randomUUID()
                : AttachmentResource.uuid(body.id(), "id");
        var snap = volumes.snapshot(AttachmentResource.uuid(id, "id"), snapshotId);
        return Response.status(201).entity(snap).build();
    }

    @DELETE
    @Path("/snapshots/{id}")
    @Operation(summary = "Delete a snapshot; unknown is 204")
    @APIResponse(responseCode = "204", description = "Deleted, or there was nothing to delete")
    public Response deleteSnapshot(@PathParam("id") String id) {
        mode.requireStorage();
        volumes.deleteSnapshot(AttachmentResource.uuid(id, "id"));
        return Response.noContent().build();
    }

    @POST
    @Path("/volumes/{id}/revert")
    @Operation(summary = "Put a snapshot's data back into its volume; the volume must not be exported")
    @APIResponse(responseCode = "200", description = "The volume, holding the snapshot's data")
    @APIResponse(responseCode = "409", description = "Exported, or extended after the snapshot")
    @APIResponse(responseCode = "400", description = "No such snapshot of this volume; nothing was changed")
    public VolumeView revert(@PathParam("id") String id, StorageRequests.Revert body) {
        mode.requireStorage();
        if (body == null || body.snapshotId() == null) {
            throw TetherException.missing("snapshot_id");
        }
        return view(volumes.revert(AttachmentResource.uuid(id, "id"),
                AttachmentResource.uuid(body.snapshotId(), "snapshot_id")));
    }

    @PUT
    @Path("/volumes/{id}/exports/{initiator}")
    @Operation(summary = "Export to an initiator; the body is the os-brick connector; answers connection_info")
    @APIResponse(responseCode = "200",
            description = "Cinder's connection_info for that initiator; a repeat returns the same")
    @APIResponse(responseCode = "400", description = "Invalid connector or initiator; nothing was changed")
    public Map<String, Object> export(@PathParam("id") String id, @PathParam("initiator") String initiator,
                                      JsonNode connector) {
        mode.requireStorage();
        return exports.export(AttachmentResource.uuid(id, "id"), initiator, connector);
    }

    @DELETE
    @Path("/volumes/{id}/exports/{initiator}")
    @Operation(summary = "Remove an initiator's access; the target goes with its last initiator")
    @APIResponse(responseCode = "204", description = "Unexported for that initiator, or it was not")
    public Response unexport(@PathParam("id") String id, @PathParam("initiator") String initiator) {
        mode.requireStorage();
        exports.unexport(AttachmentResource.uuid(id, "id"), initiator);
        return Response.noContent().build();
    }

    @GET
    @Path("/pool")
    @Operation(summary = "Capacity of the default pool: total, free, provisioned, pool fill, over-subscription")
    @APIResponse(responseCode = "200",
            description = "The default pool's capabilities, as Cinder's scheduler reads them")
    public Map<String, Object> pool() {
        mode.requireStorage();
        Pool pool = volumes.pools().defaultPool();
        var stats = pool.backend().stats();
        long provisioned = volumes.provisioned(pool);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("backend", stats.backend());
        out.put("total_bytes", stats.totalBytes());
        out.put("free_bytes", stats.freeBytes());
        out.put("provisioned_bytes", provisioned);
        out.put("data_percent", stats.dataPercent());
        out.put("metadata_percent", stats.metadataPercent());
        out.put("over_subscription_ratio", stats.totalBytes() == 0 ? null
                : Math.round(1000.0 * provisioned / stats.totalBytes()) / 1000.0);
        out.put("max_over_subscription_ratio", pool.capacity().maxRatio());
        out.put("threshold_percent", pool.capacity().thresholdPercent());
        return out;
    }

    /** A new volume's encryption: LUKS1 only, made here; a copy takes its source's. */
    private static EncryptionSpec encryption(JsonNode node, boolean fromSource) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (fromSource) {
            throw TetherException.invalid("encryption", "a volume made from a snapshot or a volume takes its "
                    + "source's encryption");
        }
        EncryptionSpec spec = EncryptionSpecParser.parse(node, "encryption", false);
        if (spec == null) {
            throw new TetherException(ErrorCode.UNSUPPORTED_ENCRYPTION, "encryption.control_location", "back-end "
                    + "encryption is the storage's own, and no pool here has any: use front-end");
        }
        return spec;
    }

    private static int size(Integer gb, String field) {
        if (gb == null) {
            throw TetherException.missing(field);
        }
        if (gb < 1 || gb > MAX_SIZE_GB) {
            throw TetherException.invalid(field, field + " must be between 1 and " + MAX_SIZE_GB);
        }
        return gb;
    }

    private static final java.util.regex.Pattern POOL = java.util.regex.Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private VolumeView view(VolumeRecord r) {
        return VolumeView.of(r, volumes, pools);
    }

    @GET
    @Path("/pools")
    @Operation(summary = "Every pool with the capabilities Cinder's get_pools (detail) reports")
    @APIResponse(responseCode = "200", description = "Every pool with its capabilities")
    public List<Map<String, Object>> pools() {
        mode.requireStorage();
        return pools.pools().stream().map(p -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", pools.hostOf(p.poolName()));
            m.put("capabilities", p.report());
            return m;
        }).toList();
    }

    private static final java.util.regex.Pattern SHA256 = java.util.regex.Pattern.compile("[0-9a-fA-F]{64}");

    static ImageRequest image(StorageRequests.ImageSource img) {
        if ((img.glanceId() == null) == (img.url() == null)) {
            throw TetherException.invalid("source.image", "source.image needs exactly one of glance_id and url");
        }
        if (img.glanceId() != null) {
            if (img.diskFormat() != null || img.sha256() != null) {
                throw TetherException.invalid("source.image", "a Glance image's format and hash come from Glance");
            }
            return new ImageRequest.Glance(AttachmentResource.uuid(img.glanceId(), "source.image.glance_id"));
        }
        URI url;
        try {
            url = new URI(img.url());
        } catch (java.net.URISyntaxException e) {
            throw TetherException.invalid("source.image.url", "source.image.url is not a URL");
        }
        if (!url.isAbsolute() || url.getUserInfo() != null) {
            throw TetherException.invalid("source.image.url", "source.image.url must be absolute, without user info");
        }
        ImageFormat format = img.diskFormat() == null ? null : ImageFormat.ofGlanceName(img.diskFormat())
                .orElseThrow(() -> TetherException.invalid("source.image.disk_format",
                        "disk_format is one of raw, qcow2, vmdk, vhd, vhdx, vdi, iso"));
        if (img.sha256() != null && !SHA256.matcher(img.sha256()).matches()) {
            throw TetherException.invalid("source.image.sha256", "sha256 is 64 hex digits");
        }
        return new ImageRequest.Url(url, format, img.sha256() == null ? null : img.sha256().toLowerCase(java.util.Locale.ROOT));
    }

    private static Map<String, String> qos(JsonNode specs) {
        QosSpecParser.parse(specs, "qos_specs"); // same rules as at attach time, refused here already
        Map<String, String> out = new LinkedHashMap<>();
        if (specs != null && specs.isObject()) {
            specs.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        }
        return out;
    }
}
