package org.tether.livemove;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import org.tether.compute.connector.HostConnector;
import org.tether.config.StorageConfig;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.peer.PeerApi;
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
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Moves an exported volume to another pool while the guest that uses it runs: what Cinder's migration of an
 * in-use volume does with Nova's swap_volume. The storage side makes an empty copy in the target pool and exports
 * it to the same initiator under a target of its own (the volume's id and a tag) with a CHAP account of its own;
 * the compute side moves the guest's disk onto it (block copy through QEMU, pivot, the old connection down): this
 * agent's own in mode {@code both}, or the compute agent of the host the volume is exported to
 * ({@code tether.storage.compute-agents}); then the copy becomes the volume and the old copy's target and data go.
 *
 * <p>Every step is in the volume's record (a live migration) before it is taken. Whether the guest was switched
 * decides between finishing and undoing: the compute side's attachment names the copy's target once it was. A
 * move no call runs (a crash, a failure the compute side could not judge, a compute agent away) is settled at
 * start and every settle interval, once the compute side has settled its half.
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
    private final LocalGuestSide local;
    private final HostConnector host;
    private final TetherConfig.Mode mode;
    private final List<RemoteGuestSide> remotes = new java.util.ArrayList<>();
    /** {@code tether.storage.copy-bps-limit} caps the guest's block copy as it caps an offline move's copy. */
    private final Long bandwidthMibS;

    public InUseVolumeMoves(VolumeService volumes, VolumeStore store, VolumeMover mover, ExportService exports,
                            ChapGenerator chap, LocalGuestSide local, HostConnector host, PeerApi api,
                            TetherConfig config) {
        this.volumes = volumes;
        this.store = store;
        this.mover = mover;
        this.exports = exports;
        this.chap = chap;
        this.local = local;
        this.host = host;
        this.mode = config.mode();
        long bps = config.storage().copyBpsLimit();
        this.bandwidthMibS = bps <= 0 ? null : Math.max(1, bps >> 20);
        for (Map.Entry<String, StorageConfig.ComputeAgent> e : config.storage().computeAgents().entrySet()) {
            remotes.add(new RemoteGuestSide(api, e.getKey(), e.getValue(), config.attach().moveTimeout()));
        }
    }

    /**
     * Moves the volume to the pool: offline when it is not exported ({@link VolumeMover#migrate}), else while its
     * guest keeps running.
     *
     * @return the volume in its new pool
     */
    public VolumeRecord migrate(UUID id, String pool, Boolean thin, VolumeType type) {
        VolumeRecord r = volumes.get(id);
        if (r.exports().isEmpty() || Objects.equals(volumes.pools().nameOf(r), pool)) {
            return mover.migrate(id, pool, thin, type);
        }
        mover.pool(pool); // bad input first: a pool that does not exist is 400, whatever else would refuse
        for (String p : List.of(volumes.pools().nameOf(r), pool)) {
            if (volumes.pools().find(p).isPresent() && exports.driverOf(p).equals("nvmet")) {
                throw busy(r, "pool " + p + " exports over NVMe/TCP, and a move of a volume in use there is not "
                        + "supported yet (both copies would show the host the volume's namespace UUID): detach it, "
                        + "or unexport it, first");
            }
        }
        GuestSide side = side(r);
        GuestSide.Using using = side.using(r, exports.exportNameOf(r));
        VolumeRecord moving = mover.beginLive(id, pool, thin, type, new VolumeRecord.OtherExport(
                "m" + HexFormat.of().toHexDigits(RANDOM.nextInt()), chap.generate()));
        if (moving.migration() == null) {
            return moving;
        }
        try {
            try {
                side.move(using, id, exports.exportCopy(id), bandwidthMibS);
            } catch (RuntimeException e) {
                VolumeRecord after;
                try {
                    after = settle(id);
                } catch (RuntimeException settling) {
                    e.addSuppressed(settling);
                    throw e; // left as it is to the next settle pass
                }
                if (after.migration() == null || after.migration().phase() != VolumeRecord.Migration.Phase.CLEANUP) {
                    throw e; // undone (the guest stays on the volume where it was), or left to the next pass
                }
                LOG.warnf("move of volume %s: %s, yet the guest is on the copy", id, e.getMessage());
            }
            return settle(id);
        } finally {
            mover.release(id); // whatever is left, the settle pass takes up
        }
    }

    /**
     * The compute side that the volume's exports lead to: this agent's own when it runs in mode both and every
     * initiator is its host's, else the one compute agent named with all of them; 409 when there is none.
     */
    private GuestSide side(VolumeRecord r) {
        List<String> to = r.exports().stream().map(VolumeRecord.ExportRecord::initiator).toList();
        if (mode == TetherConfig.Mode.BOTH) {
            var self = host.properties();
            if (to.stream().allMatch(i -> i.equals(self.initiator()) || i.equals(self.nqn()))) {
                return local;
            }
        }
        for (RemoteGuestSide remote : remotes) {
            if (remote.serves(to)) {
                return remote;
            }
        }
        throw busy(r, "it is exported to " + String.join(", ", to) + ", and no compute agent of a host with "
                + (to.size() == 1 ? "that initiator" : "all of them") + " is known (tether.storage.compute-agents"
                + (mode == TetherConfig.Mode.BOTH ? ", or this host's own" : "") + "): unexport it first");
    }

    /** The export must serve exactly one attachment there; 409 saying why not. */
    static void requireOne(VolumeRecord r, int attachments, String side) {
        if (attachments == 0) {
            throw busy(r, "it is exported to " + side + " but attached to no domain through that export; "
                    + "unexport it first");
        }
        if (attachments > 1) {
            throw busy(r, "it is attached to " + attachments + " domains on " + side + " (multiattach): the others "
                    + "would stay on the old copy");
        }
    }

    void onStart(@Observes @Priority(5000) StartupEvent event) {
        settleAll(); // after this agent's compute side settled its own moves (its observers run first)
    }

    @Scheduled(every = "${tether.attach.settle-interval:15s}", delayed = "${tether.attach.settle-interval:15s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP, identity = "in-use-move-settle")
    void settleAll() {
        if (mode == TetherConfig.Mode.COMPUTE) {
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
     * undone when it reads the volume where it was, left alone while the compute side cannot say.
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
                GuestSide side = side(r);
                switch (side.where(id, exports.copyExportName(r))) {
                    case COPY -> r = mover.swapLive(r);
                    case ORIGINAL -> {
                        exports.unexportOther(r);
                        return mover.undoLive(r);
                    }
                    case UNSETTLED -> {
                        mover.release(id);
                        LOG.infof("move of volume %s in use: %s has not settled it yet", id, side.name());
                        return r;
                    }
                    case NO_ATTACHMENT -> {
                        mover.release(id);
                        LOG.errorf("move of volume %s in use: no attachment of it is left on %s to say which copy "
                                + "the guest last wrote; it stays migrating for an operator to look at", id, side.name());
                        return r;
                    }
                }
            }
            try {
                exports.unexportOther(r);
            } catch (TetherException e) {
                LOG.errorf("volume %s moved; the old copy's target in pool %s is not removed yet (the settle pass "
                        + "tries again): %s", id, r.migration().pool(), e.getMessage());
                return r;
            }
            return mover.finishLive(r);
        }
    }

    private static TetherException busy(VolumeRecord r, String why) {
        return new TetherException(ErrorCode.VOLUME_BUSY, null, "volume " + r.id() + " cannot move: " + why);
    }
}
