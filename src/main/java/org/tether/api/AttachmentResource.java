package org.tether.api;

import org.eclipse.microprofile.openapi.annotations.responses.APIResponseSchema;

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
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.tether.compute.attach.AttachCommand;
import org.tether.disk.AttachPath;
import org.tether.compute.attach.AttachService;
import org.tether.compute.attach.DetachService;
import org.tether.disk.Drift;
import org.tether.compute.instance.InstanceService;
import org.tether.compute.reconcile.ReconcileReport;
import org.tether.compute.reconcile.Reconciler;
import org.tether.disk.GuestDevice;
import org.tether.compute.libvirt.GuestDeviceNames;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.state.AttachmentJournal;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/** Attach and detach of volumes to libvirt domains. Thin: checks the plain fields and delegates. */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
public class AttachmentResource {
    /** Nova's instance-0000002a, and the names operators give; nothing that needs escaping anywhere. */
    private static final Pattern DOMAIN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}");
    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private final AttachService attach;
    private final DetachService detach;
    private final AttachmentJournal journal;
    private final ModeGuard mode;
    private final InstanceService instances;
    private final Reconciler reconciler;

    public AttachmentResource(AttachService attach, DetachService detach, AttachmentJournal journal,
                              TetherConfig config, ModeGuard mode, InstanceService instances, Reconciler reconciler) {
        this.mode = mode;
        this.reconciler = reconciler;
        this.instances = instances;
        this.attach = attach;
        this.detach = detach;
        this.journal = journal;
    }

    @PUT
    @Path("/instances/{domain}/volumes/{volume_id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Attach a volume to a domain (idempotent)")
    @APIResponse(responseCode = "200", description = "Attached; a repeat of the same request returns the same",
            content = @Content(schema = @Schema(implementation = AttachmentView.class)))
    @APIResponse(responseCode = "400", description = "Invalid request; nothing was changed",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "404", description = "No such domain",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "Attached differently, or elsewhere",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public AttachmentView attach(@PathParam("domain") String domain, @PathParam("volume_id") String volumeId,
                                 AttachRequest body) {
        mode.requireCompute();
        UUID volume = volumeId(volumeId);
        checkDomain(domain);
        if (body == null) {
            throw TetherException.missing("connection_info");
        }
        GuestDevice.Bus bus = choice(body.bus(), "bus", GuestDevice.Bus.class, GuestDevice.Bus.VIRTIO);
        AttachPath path = choice(body.attachPath(), "attach_path", AttachPath.class, null); // null: chosen by transport
        GuestDeviceNames.validate(body.device(), bus);
        return AttachmentView.of(attach.attach(new AttachCommand(volume, domain, body.connectionInfo(),
                body.device(), bus, path, Boolean.TRUE.equals(body.multiattach()), body.encryption())));
    }

    @DELETE
    @Path("/instances/{domain}/volumes/{volume_id}")
    @Operation(summary = "Detach a volume and disconnect it from the host; unknown attachments are a no-op")
    @APIResponse(responseCode = "204", description = "Detached, or there was nothing to detach")
    @APIResponse(responseCode = "409", description = "The volume is an instance's boot disk",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "504", description = "The guest did not release the disk; it stays attached",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response detach(@PathParam("domain") String domain, @PathParam("volume_id") String volumeId) {
        mode.requireCompute();
        UUID volume = volumeId(volumeId);
        checkDomain(domain);
        instances.requireNotBootVolume(domain, volume);
        detach.detach(volume, domain);
        return Response.noContent().build();
    }

    @GET
    @Path("/attachments")
    @Operation(summary = "Every attachment this host holds")
    @APIResponse(responseCode = "200", description = "Every attachment of this host, with its state and drift")
    public List<AttachmentView> list() {
        mode.requireCompute();
        Map<String, List<Drift>> drift = reconciler.last().map(ReconcileReport::drift).orElse(Map.of());
        return journal.all().stream().map(r -> AttachmentView.of(r, drift.get(r.key()))).toList();
    }

    @GET
    @Path("/reconciliation")
    @Operation(summary = "The last comparison of the journal with the host: drift, repairs, unowned sessions and disks")
    @APIResponse(responseCode = "200", description = "The last pass's report (compute mode)",
            content = @Content(schema = @Schema(implementation = ReconcileReport.class)))
    public Response reconciliation() {
        mode.requireCompute();
        return Response.ok(reconciler.last().orElseThrow(() -> new TetherException(ErrorCode.NOT_READY,
                "the first reconciliation has not finished"))).build();
    }

    @POST
    @Path("/reconciliation")
    @Operation(summary = "Reconcile now and return the result")
    @APIResponseSchema(value = ReconcileReport.class, responseCode = "200",
            responseDescription = "The pass's report: what differed, what was repaired")
    public ReconcileReport reconcileNow() {
        mode.requireCompute();
        return reconciler.run();
    }

    static UUID volumeId(String text) {
        return uuid(text, "volume_id");
    }

    static UUID uuid(String text, String field) {
        if (text == null || !UUID_TEXT.matcher(text).matches()) {
            throw TetherException.invalid(field, field + " must be a UUID");
        }
        return UUID.fromString(text);
    }

    static void checkDomain(String domain) {
        checkDomain(domain, "domain");
    }

    static void checkDomain(String domain, String field) {
        if (domain == null || !DOMAIN.matcher(domain).matches()) {
            throw TetherException.invalid(field, field + " must be 1-128 characters of [A-Za-z0-9_.+-]");
        }
    }

    static <E extends Enum<E>> E choice(String value, String field, Class<E> type, E fallback) {
        if (value == null) {
            return fallback;
        }
        for (E e : type.getEnumConstants()) {
            if (e.name().toLowerCase(Locale.ROOT).equals(value)) {
                return e;
            }
        }
        throw TetherException.invalid(field, field + " must be one of "
                + String.join(", ", java.util.Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().toLowerCase(Locale.ROOT)).toList()));
    }
}
