package org.tether.compute.cinder;

import org.tether.openstack.CinderClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;
import org.tether.compute.cinder.CinderAttachmentRecord.Phase;
import org.tether.compute.attach.AttachCommand;
import org.tether.disk.AttachPath;
import org.tether.compute.attach.AttachService;
import org.tether.compute.attach.DetachService;
import org.tether.compute.connector.HostConnector;
import org.tether.disk.GuestDevice;
import org.tether.compute.libvirt.Hypervisor;
import org.tether.concurrent.KeyedLocks;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.state.AttachmentJournal;
import org.tether.state.AttachmentRecord;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The host's half of Cinder's v3 attachment flow. Attach: send the connector, attach what Cinder answers,
 * complete. Detach: detach and disconnect, then delete the attachment. Nothing is completed unless the disk is
 * in the domain; a failure on the way leaves the host as it was (the attachment itself stays with the
 * controller that created it). Every step is recorded first, so a crash is finished or undone at the next start.
 */
@ApplicationScoped
public class CinderAttachmentService {
    private static final Logger LOG = Logger.getLogger(CinderAttachmentService.class);

    /** A request whose plain fields were checked. */
    public record Request(UUID attachmentId, UUID volumeId, String instance, String projectId, String device,
                          GuestDevice.Bus bus, AttachPath path, boolean multiattach) {
    }

    /** The Cinder attachment and, once the disk is in the domain, the host attachment. */
    public record Result(CinderAttachmentRecord record, Optional<AttachmentRecord> host, boolean created) {
    }

    private final CinderClient cinder;
    private final CinderAttachmentStore store;
    private final AttachService attach;
    private final DetachService detach;
    private final AttachmentJournal journal;
    private final HostConnector connector;
    private final Hypervisor hypervisor;
    private final ObjectMapper json;
    private final Clock clock;
    private final KeyedLocks locks = new KeyedLocks();

    public CinderAttachmentService(CinderClient cinder, CinderAttachmentStore store, AttachService attach,
                                   DetachService detach, AttachmentJournal journal, HostConnector connector,
                                   Hypervisor hypervisor, ObjectMapper json, Clock clock) {
        this.cinder = cinder;
        this.store = store;
        this.attach = attach;
        this.detach = detach;
        this.journal = journal;
        this.connector = connector;
        this.hypervisor = hypervisor;
        this.json = json;
        this.clock = clock;
    }

    public Result attach(Request req) {
        requireConfigured();
        try (var held = locks.lock(req.attachmentId().toString())) {
            Optional<CinderAttachmentRecord> existing = store.find(req.attachmentId());
            if (existing.isPresent()) {
                CinderAttachmentRecord r = existing.get();
                if (!r.sameTarget(req.volumeId(), req.instance(), req.projectId())) {
                    throw new TetherException(ErrorCode.ATTACHMENT_CONFLICT, "attachment_id", "attachment "
                            + r.attachmentId() + " is volume " + r.volumeId() + " on " + r.instance() + " here");
                }
                if (r.phase() == Phase.COMPLETED) {
                    return result(r, false);
                }
                if (r.phase() == Phase.DETACHING) {
                    throw new TetherException(ErrorCode.ATTACHMENT_CONFLICT, "attachment_id", "attachment "
                            + r.attachmentId() + " is being detached; delete it again to finish");
                }
                return result(run(r, req, connector(req)), false);     // a repeat finishes what a crash interrupted
            }
            hypervisor.domainState(req.instance());   // an unknown domain is a 404 before Cinder exports anything
            Map<String, Object> hostConnector = connector(req);
            CinderAttachmentRecord r = new CinderAttachmentRecord(req.attachmentId(), req.volumeId(),
                    req.projectId(), req.instance(), req.device(), req.bus().wire(), req.path() == null ? null : req.path().wire(),
                    req.multiattach(), journal.find(req.volumeId(), req.instance()).isPresent(), Phase.UPDATING,
                    clock.instant(), clock.instant(), null);
            store.put(r);
            return result(run(r, req, hostConnector), true);
        }
    }

    /** connection_info nested ({data: {encrypted}}) or flat, as Cinder's attachments answer it. */
    private static boolean encrypted(JsonNode info) {
        JsonNode data = info.has("data") ? info.path("data") : info;
        return data.path("encrypted").asBoolean(false);
    }

    private CinderAttachmentRecord run(CinderAttachmentRecord r, Request req, Map<String, Object> hostConnector) {
        if (r.phase() == Phase.UPDATING) {
            JsonNode info;
            try {
                info = cinder.updateAttachment(r.projectId(), r.attachmentId(), hostConnector);
                AttachCommand cmd = new AttachCommand(r.volumeId(), r.instance(), info, req.device(), req.bus(),
                        req.path(), req.multiattach());
                if (encrypted(info)) {
                    // as Nova does before it attaches an encrypted volume: the metadata from Cinder, the key by it
                    cmd = cmd.withEncryption(cinder.volumeEncryption(r.projectId(), r.volumeId()));
                }
                AttachmentRecord host = attach.attach(cmd);
                r = r.withDevice(host.device() == null ? null : host.device().dev())
                        .in(Phase.ATTACHED, clock.instant(), null);
                store.put(r);
            } catch (RuntimeException e) {
                // the attach service already left the host as it was
                store.remove(r.attachmentId());
                throw e;
            }
        }
        try {
            cinder.complete(r.projectId(), r.attachmentId());
        } catch (RuntimeException e) {
            LOG.warnf("Cinder did not complete attachment %s (%s); detaching volume %s from %s again",
                    r.attachmentId(), e.getMessage(), r.volumeId(), r.instance());
            undoHost(r);
            store.remove(r.attachmentId());
            throw e;
        }
        r = r.in(Phase.COMPLETED, clock.instant(), null);
        store.put(r);
        LOG.infof("Cinder attachment %s: volume %s in %s as %s", r.attachmentId(), r.volumeId(), r.instance(),
                r.device());
        return r;
    }

    /** @return false when this agent holds no such attachment */
    public boolean detach(UUID attachmentId) {
        requireConfigured();
        try (var held = locks.lock(attachmentId.toString())) {
            Optional<CinderAttachmentRecord> found = store.find(attachmentId);
            if (found.isEmpty()) {
                return false;
            }
            CinderAttachmentRecord r = found.get();
            if (r.phase() != Phase.DETACHING) {
                r = r.in(Phase.DETACHING, clock.instant(), null);
                store.put(r);
            }
            finishDetach(r);
            return true;
        }
    }

    private void finishDetach(CinderAttachmentRecord r) {
        try {
            if (!r.hostAttachmentPreexisted()) {
                detach.detach(r.volumeId(), r.instance());
            }
            cinder.deleteAttachment(r.projectId(), r.attachmentId());
        } catch (RuntimeException e) {
            store.put(r.in(Phase.DETACHING, clock.instant(), e.getMessage()));
            throw e;
        }
        store.remove(r.attachmentId());
        LOG.infof("Cinder attachment %s deleted; volume %s left %s", r.attachmentId(), r.volumeId(), r.instance());
    }

    /** At start: a record left mid-way is finished (completion, detach) or undone (an attach not yet in place). */
    void recover(CinderAttachmentRecord r) {
        try (var held = locks.lock(r.attachmentId().toString())) {
            switch (r.phase()) {
                case UPDATING -> {
                    undoHost(r);
                    store.remove(r.attachmentId());
                    LOG.infof("undid Cinder attachment %s interrupted before the disk was in place", r.attachmentId());
                }
                case ATTACHED -> {
                    cinder.complete(r.projectId(), r.attachmentId());
                    store.put(r.in(Phase.COMPLETED, clock.instant(), null));
                    LOG.infof("completed Cinder attachment %s interrupted by a restart", r.attachmentId());
                }
                case DETACHING -> finishDetach(r);
                case COMPLETED -> { }
            }
        }
    }

    private void undoHost(CinderAttachmentRecord r) {
        if (r.hostAttachmentPreexisted()) {
            return;
        }
        try {
            detach.detach(r.volumeId(), r.instance());
        } catch (RuntimeException e) {
            // the attachment journal keeps the detach pending; reconciliation and the next start retry it
            LOG.errorf("could not detach volume %s from %s after a failed Cinder attach: %s", r.volumeId(),
                    r.instance(), e.getMessage());
        }
    }

    private Map<String, Object> connector(Request req) {
        @SuppressWarnings("unchecked")
        Map<String, Object> c = new LinkedHashMap<>(json.convertValue(connector.properties(), Map.class));
        if (c.get("initiator") == null) {
            throw new TetherException(ErrorCode.NOT_READY, "this host has no iSCSI initiator name "
                    + "(InitiatorName= in open-iscsi's initiatorname.iscsi); Cinder cannot export to it");
        }
        if (req.device() != null) {
            c.put("mountpoint", "/dev/" + req.device());
        }
        c.put("mode", "rw");
        return c;
    }

    private Result result(CinderAttachmentRecord r, boolean created) {
        return new Result(r, journal.find(r.volumeId(), r.instance()), created);
    }

    private void requireConfigured() {
        if (!cinder.configured()) {
            throw new TetherException(ErrorCode.CINDER_NOT_CONFIGURED,
                    "set tether.cinder.auth-url and credentials to use Cinder attachments");
        }
    }
}
