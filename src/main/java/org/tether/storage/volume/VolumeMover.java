package org.tether.storage.volume;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import org.tether.config.TetherConfig;
import org.tether.config.StorageConfig.BackendKind;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.storage.volume.VolumeRecord.Migration;
import org.tether.storage.volume.VolumeRecord.Placement;
import org.tether.storage.volume.VolumeRecord.State;

import java.nio.file.Path;
import java.time.Clock;
import java.util.UUID;

/**
 * Moves a volume to another pool (Cinder's migration, and a retype that needs one) under the same id: a copy
 * in the target pool, proven equal, then the swap journalled, then the old copy removed. The volume is not
 * exported and has no snapshots while it moves; it reads {@code migrating} with {@code progress_percent}, and
 * every other change is refused until it is done. Killed half-way, the next start (or repair pass) removes
 * the copy and the volume is where it was, untouched; killed after the swap, it removes the old copy.
 */
@ApplicationScoped
public class VolumeMover {
    private static final Logger LOG = Logger.getLogger(VolumeMover.class);
    private static final long PROGRESS_EVERY_NANOS = 1_000_000_000L;

    private final VolumeService volumes;
    private final VolumeStore store;
    private final VolumeCopy copy;
    private final Clock clock;

    @Inject
    public VolumeMover(VolumeService volumes, VolumeStore store, TetherConfig config, Clock clock) {
        this(volumes, store, new VolumeCopy(config.storage().copyBpsLimit(), config.storage().copyReadBack()), clock);
    }

    public VolumeMover(VolumeService volumes, VolumeStore store, VolumeCopy copy, Clock clock) {
        this.volumes = volumes;
        this.store = store;
        this.copy = copy;
        this.clock = clock;
    }

    /**
     * @param thin how the copy is provisioned in the target pool; null keeps the volume's own where the pool
     *             offers it (a thick volume moved to a file pool becomes thin: files are always sparse)
     * @param type the volume type it has after the move (a retype), or null to keep its own
     * @return the volume in its new pool; a volume already there is answered as it is
     */
    public VolumeRecord migrate(UUID id, String poolName, Boolean thin, VolumeType type) {
        Pool to = volumes.pools().find(poolName).orElseThrow(() -> TetherException.invalid("pool",
                "no pool named " + poolName + " (pools: " + String.join(", ",
                        volumes.pools().all().stream().map(Pool::name).toList()) + ")"));
        VolumeRecord before;
        Pool from;
        boolean toThin;
        VolumeRecord moving;
        VolumeType newType;
        try (var held = volumes.lock(id)) {
            before = volumes.get(id);
            from = volumes.pools().of(before);
            if (from.name().equals(to.name()) && before.state() == State.AVAILABLE && before.migration() == null) {
                return before;
            }
            if (before.state() != State.AVAILABLE || before.migration() != null) {
                throw busy(before, "it is " + before.state().name().toLowerCase()
                        + (before.migration() != null ? " (a move is being finished)" : ""));
            }
            if (from.name().equals(to.name())) {
                return before;
            }
            if (!before.exports().isEmpty()) {
                throw busy(before, "it is exported to " + before.exports().get(0).initiator() + "; its data must not "
                        + "change under the copy: unexport it first");
            }
            if (!before.snapshots().isEmpty()) {
                throw busy(before, "it has " + before.snapshots().size() + " snapshot(s), which live in pool "
                        + from.name() + "'s backend and cannot move with it; delete them first");
            }
            if (from.kind() == BackendKind.RBD || to.kind() == BackendKind.RBD) {
                throw TetherException.invalid("pool", "moving a volume to or from an RBD pool is not supported yet");
            }
            toThin = thin != null ? thin : before.thin() || !to.thickSupport();
            if (!toThin && !to.thickSupport()) {
                throw TetherException.invalid("thin", "pool " + to.name() + " makes only thin volumes");
            }
            to.capacity().check(to.backend().admissionStats(), volumes.provisioned(to), before.sizeBytes(), toThin);
            newType = type != null ? type : before.volumeType();
            // the type changes with the swap: a move undone leaves the volume as it was, its type too
            moving = before.inPhase(State.MIGRATING, 0, clock.instant()).withPlacement(new Placement(from.name(),
                    before.volumeType(), new Migration(to.name(), toThin, Migration.Phase.COPYING)), clock.instant());
            store.put(moving); // recorded before the target pool is touched: a crash from here on is undone
            volumes.startMove(id);
        }
        try {
            VolumeRecord[] current = {moving};
            to.backend().create(id, before.sizeBytes(), toThin);
            VolumeBackend.ImageTarget target = to.backend().imageTarget(id, toThin);
            LOG.infof("moving volume %s (%d GiB) from pool %s to pool %s", id, before.sizeGb(), from.name(), to.name());
            long[] recordedAt = {System.nanoTime()};
            copy.copy(Path.of(from.backend().devicePath(id)), Path.of(target.path()), before.sizeBytes(),
                    target.readsZero(), percent -> {
                        // the record (a synced file) follows at most once a second: progress is for people
                        if (System.nanoTime() - recordedAt[0] >= PROGRESS_EVERY_NANOS) {
                            current[0] = current[0].inPhase(State.MIGRATING, percent, clock.instant());
                            store.put(current[0]);
                            recordedAt[0] = System.nanoTime();
                        }
                    });
        } catch (RuntimeException e) {
            undo(before, to, toThin);
            throw e;
        }
        try (var held = volumes.lock(id)) {
            VolumeRecord moved = before.moved(toThin, new Placement(to.name(), newType,
                    new Migration(from.name(), before.thin(), Migration.Phase.CLEANUP)), clock.instant());
            store.put(moved); // the swap: from here on the volume is the copy, and the old one is to be removed
            volumes.endMove(id);
            LOG.infof("volume %s moved to pool %s%s", id, to.name(), copy.readsBack() ? "; the copy read back equal"
                    : "");
            return volumes.finishMove(moved);
        }
    }

    /** The copy goes; the volume stays where it was, as it was. */
    private void undo(VolumeRecord before, Pool to, boolean toThin) {
        try (var held = volumes.lock(before.id())) {
            to.backend().delete(before.id(), toThin);
            store.put(before.with(State.AVAILABLE, clock.instant()));
            LOG.warnf("move of volume %s to pool %s failed; the copy is removed, the volume stays in its pool",
                    before.id(), to.name());
        } catch (RuntimeException undo) {
            LOG.errorf("undo of the move of %s incomplete, kept as migrating for the next repair pass: %s",
                    before.id(), undo.getMessage());
        } finally {
            volumes.endMove(before.id());
        }
    }

    private static TetherException busy(VolumeRecord r, String why) {
        return new TetherException(ErrorCode.VOLUME_BUSY, null, "volume " + r.id() + " cannot move: " + why);
    }
}
