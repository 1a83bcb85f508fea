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
import org.tether.compute.libvirt.GuestDeviceNames;
import org.tether.compute.libvirt.Hypervisor;
import org.tether.compute.migration.IncomingMigrations;
import org.tether.compute.migration.OutgoingMigrations;
import org.tether.disk.AttachPath;
import org.tether.disk.GuestDevice;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.operations.AlwaysAsync;
import org.tether.state.AttachmentRecord;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Live migration of an instance with its volumes. The source's agent is asked ({@code POST
 * /v1/instances/{domain}/migrations}); it asks the destination's agent over the same API to prepare ({@code
 * /v1/migrations/incoming}), has libvirt move the guest, and then tells it the guest arrived or did not.
 */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class MigrationResource {
    private final OutgoingMigrations outgoing;
    private final IncomingMigrations incoming;
    private final Hypervisor hypervisor;
    private final ModeGuard mode;

    public MigrationResource(OutgoingMigrations outgoing, IncomingMigrations incoming, Hypervisor hypervisor,
                             ModeGuard mode) {
        this.outgoing = outgoing;
        this.incoming = incoming;
        this.hypervisor = hypervisor;
        this.mode = mode;
    }

    @Schema(name = "MigrationTarget", description = "One volume as the destination reaches it")
    public record Target(
            @Schema(description = "Cinder-format connection_info made for the destination's connector")
            @JsonProperty("connection_info") JsonNode connectionInfo,
            @Schema(description = "The volume's encryption metadata when it is encrypted") JsonNode encryption) {
    }

    @Schema(name = "MigrationRequest", description = "Always an asynchronous operation (202)")
    public record Create(
            @Schema(description = "A peer named in tether.migration.peers") String destination,
            @Schema(description = "Per attached volume id, its connection_info on the destination") Map<String, Target> volumes,
            @Schema(description = "Longest pause at the switch-over, ms") @JsonProperty("max_downtime_ms") Long maxDowntimeMs,
            @Schema(description = "Transfer cap, MiB/s") @JsonProperty("bandwidth_mib_s") Long bandwidthMibS) {
    }

    @POST
    @Path("/instances/{domain}/migrations")
    @Operation(summary = "Live-migrate a running domain with its volumes to a peer host; always an asynchronous "
            + "operation. Any failure before the guest runs there leaves it running here with its disks")
    @APIResponse(responseCode = "202",
            description = "Accepted: always an asynchronous operation, named by Location (GET /v1/operations/{id}); it "
            + "ends with 200 once the guest runs on the destination, or the problem that left it on the source")
    @APIResponse(responseCode = "400", description = "No such peer")
    @APIResponse(responseCode = "409", description = "Migrating already, or a disk this agent cannot migrate")
    public OutgoingMigrations.Result migrate(@PathParam("domain") String domain, Create body) {
        mode.requireCompute();
        AttachmentResource.checkDomain(domain);
        if (body == null || body.destination() == null) {
            throw TetherException.missing("destination");
        }
        if (body.maxDowntimeMs() != null && body.maxDowntimeMs() < 1) {
            throw TetherException.invalid("max_downtime_ms", "max_downtime_ms is at least 1");
        }
        if (body.bandwidthMibS() != null && body.bandwidthMibS() < 1) {
            throw TetherException.invalid("bandwidth_mib_s", "bandwidth_mib_s is at least 1");
        }
        Map<UUID, OutgoingMigrations.Target> volumes = new LinkedHashMap<>();
        if (body.volumes() != null) {
            body.volumes().forEach((id, t) -> volumes.put(AttachmentResource.uuid(id, "volumes"),
                    t == null ? new OutgoingMigrations.Target(null, null)
                            : new OutgoingMigrations.Target(t.connectionInfo(), t.encryption())));
        }
        return outgoing.migrate(domain, new OutgoingMigrations.Request(body.destination(), volumes,
                body.maxDowntimeMs(), body.bandwidthMibS()));
    }

    /** A migration in progress: its phase and libvirt's job statistics. */
    public record Progress(String domain, String destination, String phase,
                           @JsonProperty("memory_total") Long memoryTotal,
                           @JsonProperty("memory_remaining") Long memoryRemaining,
                           @JsonProperty("memory_processed") Long memoryProcessed) {
    }

    @GET
    @Path("/instances/{domain}/migrations")
    @Operation(summary = "The domain's migration in progress; 404 when there is none")
    @APIResponse(responseCode = "200", description = "The migration's phase and progress")
    @APIResponse(responseCode = "404", description = "No migration of that domain")
    public Progress progress(@PathParam("domain") String domain) {
        mode.requireCompute();
        AttachmentResource.checkDomain(domain);
        OutgoingMigrations.Progress p = outgoing.progress(domain).orElseThrow(() -> new TetherException(
                ErrorCode.OPERATION_NOT_FOUND, "domain", "domain " + domain + " is not migrating from this host"));
        Map<String, Object> job = p.job();
        return new Progress(domain, p.destination(), p.phase(), number(job, "memory_total"),
                number(job, "memory_remaining"), number(job, "memory_processed"));
    }

    private static Long number(Map<String, Object> job, String key) {
        return job.get(key) instanceof Long l ? l : null;
    }

    @DELETE
    @Path("/instances/{domain}/migrations")
    @Operation(summary = "Cancel the domain's migration in progress: the guest stays here with its disks")
    @APIResponse(responseCode = "202", description = "Cancel asked; the guest stays on the source")
    @APIResponse(responseCode = "404", description = "No migration of that domain")
    public Response cancel(@PathParam("domain") String domain) {
        mode.requireCompute();
        AttachmentResource.checkDomain(domain);
        if (!outgoing.cancel(domain)) {
            throw new TetherException(ErrorCode.OPERATION_NOT_FOUND, "domain", "domain " + domain
                    + " is not migrating from this host");
        }
        return Response.accepted().build();
    }

    @Schema(name = "IncomingVolume")
    public record IncomingVolume(
            @JsonProperty("volume_id") String volumeId,
            @JsonProperty("connection_info") JsonNode connectionInfo,
            JsonNode encryption,
            @Schema(description = "The guest's device name, as on the source") String device,
            @Schema(description = "virtio or scsi") String bus,
            @Schema(description = "kernel or qemu; default: chosen by transport") String path,
            Boolean multiattach) {
    }

    @Schema(name = "IncomingInstance", description = "The source's record of an instance Tether defined")
    public record IncomingInstance(@JsonProperty("volume_ids") List<String> volumeIds, String fingerprint,
                                   @JsonProperty("console_log") String consoleLog,
                                   @JsonProperty("created_at") String createdAt) {
    }

    @Schema(name = "IncomingMigration", description = "What a source agent asks its destination to prepare")
    public record Incoming(String domain, List<IncomingVolume> volumes, IncomingInstance instance) {
    }

    @POST
    @Path("/migrations/incoming")
    @Operation(summary = "Destination side: connect every volume of a domain about to arrive; answers each disk's "
            + "libvirt element as this host needs it. All or nothing")
    @APIResponse(responseCode = "200",
            description = "Prepared: every volume connected here, the secrets made, all journalled")
    @APIResponse(responseCode = "409", description = "The domain exists here, or is being prepared")
    @APIResponse(responseCode = "400", description = "Invalid request; nothing was prepared")
    public IncomingMigrations.Prepared prepare(Incoming body) {
        mode.requireCompute();
        if (body == null || body.domain() == null) {
            throw TetherException.missing("domain");
        }
        AttachmentResource.checkDomain(body.domain());
        List<IncomingMigrations.Volume> volumes = new ArrayList<>();
        List<IncomingVolume> given = body.volumes() == null ? List.of() : body.volumes();
        for (int i = 0; i < given.size(); i++) {
            IncomingVolume v = given.get(i);
            String field = "volumes[" + i + "]";
            if (v == null || v.volumeId() == null) {
                throw TetherException.missing(field + ".volume_id");
            }
            if (v.connectionInfo() == null) {
                throw TetherException.missing(field + ".connection_info");
            }
            GuestDevice.Bus bus = AttachmentResource.choice(v.bus(), field + ".bus", GuestDevice.Bus.class,
                    GuestDevice.Bus.VIRTIO);
            if (v.device() == null) {
                throw TetherException.missing(field + ".device");
            }
            GuestDeviceNames.validate(v.device(), bus);
            volumes.add(new IncomingMigrations.Volume(AttachmentResource.uuid(v.volumeId(), field + ".volume_id"),
                    v.connectionInfo(), v.encryption(), new GuestDevice(v.device(), bus),
                    Boolean.TRUE.equals(v.multiattach()),
                    AttachmentResource.choice(v.path(), field + ".path", AttachPath.class, null)));
        }
        return incoming.prepare(body.domain(), volumes, instance(body.domain(), body.instance()));
    }

    private static org.tether.compute.instance.InstanceRecord instance(String domain, IncomingInstance i) {
        if (i == null) {
            return null;
        }
        if (i.volumeIds() == null || i.volumeIds().isEmpty() || i.fingerprint() == null) {
            throw TetherException.missing("instance.volume_ids");
        }
        List<UUID> ids = i.volumeIds().stream().map(v -> AttachmentResource.uuid(v, "instance.volume_ids")).toList();
        java.time.Instant created;
        try {
            created = i.createdAt() == null ? java.time.Instant.now() : java.time.Instant.parse(i.createdAt());
        } catch (java.time.format.DateTimeParseException e) {
            throw TetherException.invalid("instance.created_at", "instance.created_at must be an ISO-8601 instant");
        }
        return new org.tether.compute.instance.InstanceRecord(domain,
                org.tether.compute.instance.InstanceRecord.Phase.INCOMING, ids, i.fingerprint(),
                i.consoleLog() == null || i.consoleLog().isEmpty() ? null : i.consoleLog(), created, created);
    }

    /** The domain arrived: its volumes are attached here, and how long the guest was paused. */
    public record Completed(String domain, List<UUID> volumes, @JsonProperty("downtime_ms") Long downtimeMs) {
    }

    @POST
    @Path("/migrations/incoming/{domain}/complete")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Destination side: the domain runs here; its prepared volumes become attachments")
    @APIResponse(responseCode = "200", description = "The domain runs here; its attachments are this host's")
    public Completed complete(@PathParam("domain") String domain) {
        mode.requireCompute();
        AttachmentResource.checkDomain(domain);
        List<AttachmentRecord> done = incoming.complete(domain);
        Object downtime = hypervisor.jobStats(domain, true).get("downtime");
        return new Completed(domain, done.stream().map(AttachmentRecord::volumeId).toList(),
                downtime instanceof Long l ? l : null);
    }

    @DELETE
    @Path("/migrations/incoming/{domain}")
    @Operation(summary = "Destination side: the domain will not arrive; what was prepared for it is undone. "
            + "Refused while it runs here")
    @APIResponse(responseCode = "204", description = "What was prepared is undone, or nothing was")
    public Response abort(@PathParam("domain") String domain) {
        mode.requireCompute();
        AttachmentResource.checkDomain(domain);
        incoming.abort(domain);
        return Response.noContent().build();
    }

    /** A live migration copies the guest's memory: seconds to minutes. */
    @ApplicationScoped
    public static class IsAsync implements AlwaysAsync {
        private static final Pattern MIGRATE = Pattern.compile("/v1/instances/[^/]+/migrations");

        @Override
        public boolean appliesTo(String method, String path, JsonNode body) {
            return "POST".equals(method) && MIGRATE.matcher(path).matches();
        }
    }
}
