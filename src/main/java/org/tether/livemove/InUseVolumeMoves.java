package org.tether.livemove;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import org.tether.compute.connector.HostConnector;
import org.tether.compute.move.AttachedVolumeMoves;
import org.tether.compute.move.MoveStore;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.state.AttachmentJournal;
import org.tether.state.AttachmentRecord;
import org.tether.storage.target.ChapGenerator;
import org.tether.storage.target.ExportService;
import org.tether.storage.volume.VolumeMover;
import org.tether.storage.volume.VolumeRecord;
import org.tether.storage.volume.VolumeService;
import org.tether.storage.volume.VolumeStore;
import org.tether.storage.volume.VolumeType;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Moves an exported volume to another pool while the guest that uses it runs, when the guest runs on this host
 * (mode {@code both}): what Cinder's migration of an in-use volume does with Nova's swap_volume, in one agent.
 * The storage side makes an empty copy in the target pool and exports it to the same initiator under a target
 * of its own (the volume's id and a tag) with a CHAP account of its own; the compute side moves the guest's
 * disk onto it ({@link AttachedVolumeMoves}: block copy through QEMU, pivot, the old connection down); then the
 * copy becomes the volume and the old copy's target and data go.
 *
 * <p>Every step is in the volume's record (a live migration) before it is taken. Whether the guest was switched
 * decides between finishing and undoing: the compute side's attachment names the copy's target once it was. A
 * move no process runs (a crash, a failure the compute side could not judge) is settled at start and every
 * settle interval, after the compute side settled its half.
 */
@ApplicationScoped
public class InUseVolumeMoves {
    private static final Logger LOG = Logger.getLogger(InUseVolumeMoves.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final VolumeService volumes;
    private final VolumeStore store;
    private final VolumeMover mover;
    private final ExportService exports;
    private final ChapGenerator chap;
    private final AttachmentJournal journal;
    private final AttachedVolumeMoves moves;
    private final MoveStore moveStore;
    private final HostConnector host;
    private final TetherConfig.Mode mode;
    /** {@code tether.storage.copy-bps-limit} caps the guest's block copy as it caps an offline move's copy. */
    private final Long bandwidthMibS;
    private final ObjectMapper json;

    public InUseVolumeMoves(VolumeService volumes, VolumeStore store, VolumeMover mover, ExportService exports, ChapGenerator chap,
                            AttachmentJournal journal, AttachedVolumeMoves moves, MoveStore moveStore,
                            HostConnector host, TetherConfig config, ObjectMapper json) {
        this.volumes = volumes;
        this.store = store;
        this.mover = mover;
        this.exports = exports;
        this.chap = chap;
        this.journal = journal;
        this.moves = moves;
        this.moveStore = moveStore;
        this.host = host;
        this.mode = config.mode();
        long bps = config.storage().copyBpsLimit();
        this.bandwidthMibS = bps <= 0 ? null : Math.max(1, bps >> 20);
        this.json = json;
    }

    /**
     * Moves the volume to the pool: offline when it is not exported ({@link VolumeMover#migrate}), else while its
     * guest on this host keeps running.
     *
     * @return the volume in its new pool
     */
    public VolumeRecord migrate(UUID id, String pool, Boolean thin, VolumeType type) {
        VolumeRecord r = volumes.get(id);
        if (r.exports().isEmpty() || Objects.equals(volumes.pools().nameOf(r), pool)) {
            return mover.migrate(id, pool, thin, type);
        }
        AttachmentRecord a = attachment(r);
        VolumeRecord moving = mover.beginLive(id, pool, thin, type, new VolumeRecord.OtherExport(
                "m" + HexFormat.of().toHexDigits(RANDOM.nextInt()), chap.generate()));
        if (moving.migration() == null) {
            return moving;
        }
        try {
            var info = exports.exportCopy(id);
            moves.move(a.domain(), id, new AttachedVolumeMoves.Request(json.valueToTree(info), a.attachPath(),
                    bandwidthMibS));
        } catch (RuntimeException e) {
            VolumeRecord after = settle(id);
            if (after.migration() == null || after.migration().phase() != VolumeRecord.Migration.Phase.CLEANUP) {
                throw e; // undone (the guest stays on the volume where it was), or left to the next pass
            }
            LOG.warnf("move of volume %s: %s, yet the guest is on the copy", id, e.getMessage());
        }
        return settle(id);
    }

    /**
     * The one attachment on this host that the volume's export serves; a 409 saying why when the move cannot be
     * done here (this agent has no compute side, the volume is exported to another host, or no guest uses it).
     */
    private AttachmentRecord attachment(VolumeRecord r) {
        String to = r.exports().get(0).initiator();
        if (mode != TetherConfig.Mode.BOTH) {
            throw busy(r, "it is exported to " + to + "; an exported volume moves while in use only when the guest "
                    + "runs on this agent's own host (mode both): unexport it first");
        }
        var self = host.properties();
        List<String> others = r.exports().stream().map(VolumeRecord.ExportRecord::initiator)
                .filter(i -> !i.equals(self.initiator()) && !i.equals(self.nqn())).toList();
        if (!others.isEmpty()) {
            throw busy(r, "it is exported to " + String.join(", ", others) + ", not this host; a move of a volume "
                    + "in use on another host is not supported yet: unexport it first");
        }
        List<AttachmentRecord> using = journal.forVolume(r.id()).stream()
                .filter(a -> mentions(a, r.id(), r.exportTag())).toList();
        if (using.isEmpty()) {
            throw busy(r, "it is exported to this host (" + to + ") but attached to no domain through that export; "
                    + "unexport it first");
        }
        if (using.size() > 1) {
            throw busy(r, "it is attached to " + using.size() + " domains (multiattach): the others would stay on the "
                    + "old copy");
        }
        return using.get(0);
    }

    /**
     * Whether the attachment's record names the volume's target with this tag (null: the plain name) in its
     * connection's IQN or NQN or its disk's source.
     */
    private boolean mentions(AttachmentRecord a, UUID id, String tag) {
        Pattern target = Pattern.compile(Pattern.quote("volume-" + id) + (tag == null ? "(?!-m[0-9a-f]{8})"
                : Pattern.quote("-" + tag)));
        try {
            return target.matcher(json.writeValueAsString(a)).find();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    void onStart(@Observes @Priority(5000) StartupEvent event) {
        settleAll(); // after the compute side settled its moves (its observers run first)
    }

    @Scheduled(every = "${tether.attach.settle-interval:15s}", delayed = "${tether.attach.settle-interval:15s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP, identity = "in-use-move-settle")
    void settleAll() {
        if (mode != TetherConfig.Mode.BOTH) {
            return;
        }
        for (VolumeRecord r : store.all()) {
            if (r.migration() != null && r.migration().live() && !volumes.moving(r.id())) {
                try {
                    settle(r.id());
                } catch (RuntimeException e) {
                    LOG.errorf("could not settle the move of volume %s in use: %s", r.id(), e.getMessage());
                }
            }
        }
    }

    /**
     * Finishes or undoes a live move no call runs now: swapped and cleaned up when the guest reads the copy,
     * undone when it reads the volume where it was, left alone while the compute side's own move is unsettled.
     *
     * @return the volume afterwards
     */
    VolumeRecord settle(UUID id) {
        try (var held = volumes.lock(id)) {
            VolumeRecord r = volumes.get(id);
            VolumeRecord.Migration m = r.migration();
            if (m == null || !m.live()) {
                return r;
            }
            if (m.phase() == VolumeRecord.Migration.Phase.COPYING) {
                List<AttachmentRecord> using = journal.forVolume(id);
                if (using.stream().anyMatch(a -> moveStore.find(a.key()).isPresent())) {
                    mover.release(id);
                    LOG.infof("move of volume %s in use: its compute side has not settled yet", id);
                    return r;
                }
                if (using.stream().anyMatch(a -> mentions(a, id, m.export().tag()))) {
                    r = mover.swapLive(r);
                } else if (using.isEmpty()) {
                    mover.release(id);
                    LOG.errorf("move of volume %s in use: no attachment of it is left on this host to say which copy "
                            + "the guest last wrote; it stays migrating for an operator to look at", id);
                    return r;
                } else {
                    exports.unexportOther(r);
                    return mover.undoLive(r);
                }
            }
            exports.unexportOther(r);
            return mover.finishLive(r);
        }
    }

    private static TetherException busy(VolumeRecord r, String why) {
        return new TetherException(ErrorCode.VOLUME_BUSY, null, "volume " + r.id() + " cannot move: " + why);
    }
}
