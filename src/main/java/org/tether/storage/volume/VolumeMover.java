package org.tether.storage.volume;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import org.tether.config.TetherConfig;
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
        Pool to = pool(poolName);
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
            toThin = admit(before, from, to, thin, false);
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
            VolumeCopy.Progress progress = percent -> {
                // the record (a synced file) follows at most once a second: progress is for people
                if (System.nanoTime() - recordedAt[0] >= PROGRESS_EVERY_NANOS) {
                    current[0] = current[0].inPhase(State.MIGRATING, percent, clock.instant());
                    store.put(current[0]);
                    recordedAt[0] = System.nanoTime();
                }
            };
            String source = from.backend().devicePath(id);
            if (source.startsWith("/") && target.path().startsWith("/")) {
                copy.copy(Path.of(source), Path.of(target.path()), before.sizeBytes(), target.readsZero(), progress);
            } else {
                // an RBD image on one side: through librbd, the same proof
                try (BlockReader in = from.backend().reader(id); BlockWriter out = to.backend().writer(id, toThin)) {
                    copy.copy(in, out, () -> to.backend().reader(id), before.sizeBytes(), target.readsZero(),
                            progress);
                }
            }
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

    /** The pool of that name; 400 {@code invalid_field} naming the pools there are when there is none. */
    public Pool pool(String poolName) {
        return volumes.pools().find(poolName).orElseThrow(() -> TetherException.invalid("pool",
                "no pool named " + poolName + " (pools: " + String.join(", ",
                        volumes.pools().all().stream().map(Pool::name).toList()) + ")"));
    }

    /**
     * What every move asks of the volume and the target pool ({@code live}: a move of a volume in use, whose
     * guest's QEMU copies it); returns how the copy is provisioned.
     */
    private boolean admit(VolumeRecord before, Pool from, Pool to, Boolean thin, boolean live) {
        if (!before.snapshots().isEmpty()) {
            throw busy(before, "it has " + before.snapshots().size() + " snapshot(s), which live in pool "
                    + from.name() + "'s backend and cannot move with it; delete them first");
        }
        if (!live) { // the agent copies it itself: both pools' bytes must be reachable in place
            for (Pool p : java.util.List.of(from, to)) {
                if (!p.backend().blockAccess()) {
                    throw TetherException.invalid("pool", "pool " + p.name() + " reaches its images through the rbd "
                            + "command only (librbd is not loaded, or tether.storage.rbd.librbd is false): a volume "
                            + "that is not in use cannot be copied to or from it (one exported and attached moves: "
                            + "its guest's QEMU copies it)");
                }
            }
        }
        boolean toThin = thin != null ? thin : before.thin() || !to.thickSupport();
        if (!toThin && !to.thickSupport()) {
            throw TetherException.invalid("thin", "pool " + to.name() + " makes only thin volumes");
        }
        to.capacity().check(to.backend().admissionStats(), volumes.provisioned(to), before.sizeBytes(), toThin);
        return toThin;
    }

    /**
     * The storage side's first step of a move of an exported volume (in use by a guest): the move journalled
     * (state {@code migrating}, the migration live: the copy's target tag and CHAP account, the type to give)
     * and an empty copy made in the target pool. The data is copied by the guest's QEMU once the copy is
     * exported and the compute side moves onto it; then {@link #swapLive}, or {@link #undoLive}.
     *
     * @return the volume as it is now; in its pool already, it is answered as it is (no migration)
     */
    public VolumeRecord beginLive(UUID id, String poolName, Boolean thin, VolumeType type,
                                  VolumeRecord.OtherExport export) {
        Pool to = pool(poolName);
        VolumeRecord moving;
        try (var held = volumes.lock(id)) {
            VolumeRecord before = volumes.get(id);
            Pool from = volumes.pools().of(before);
            if (before.state() != State.AVAILABLE || before.migration() != null) {
                throw busy(before, "it is " + before.state().name().toLowerCase()
                        + (before.migration() != null ? " (a move is being finished)" : ""));
            }
            if (from.name().equals(to.name())) {
                return before;
            }
            if (before.exports().isEmpty()) {
                throw new IllegalStateException("volume " + id + " is not exported: it moves offline");
            }
            boolean toThin = admit(before, from, to, thin, true);
            moving = before.inPhase(State.MIGRATING, 0, clock.instant()).withPlacement(new Placement(from.name(),
                    before.volumeType(), new Migration(to.name(), toThin, Migration.Phase.COPYING, export, type),
                    before.exportTag()), clock.instant());
            store.put(moving); // recorded before the target pool is touched: a crash from here on is settled
            volumes.startMove(id);
        }
        try {
            to.backend().create(id, moving.sizeBytes(), moving.migration().thin());
            return moving;
        } catch (RuntimeException e) {
            try (var held = volumes.lock(id)) {
                undoLive(moving);
            }
            throw e;
        }
    }

    /**
     * The guest reads the copy now: it becomes the volume (its pool, provisioning, target tag, CHAP account and
     * type), and the old copy is what is left to remove (CLEANUP, naming the old target and account). Called
     * under the volume's lock; the caller then removes the old target, then {@link #finishLive}.
     */
    public VolumeRecord swapLive(VolumeRecord r) {
        Migration m = r.migration();
        if (m == null || !m.live() || m.phase() != Migration.Phase.COPYING) {
            throw new IllegalStateException("volume " + r.id() + " has no live move to swap");
        }
        VolumeRecord moved = r.moved(m.thin(), new Placement(m.pool(), m.type() != null ? m.type() : r.volumeType(),
                new Migration(r.placement() == null ? volumes.pools().nameOf(r) : r.placement().pool(), r.thin(),
                        Migration.Phase.CLEANUP, new VolumeRecord.OtherExport(r.exportTag(), r.chap()), null),
                m.export().tag()), clock.instant()).withChap(m.export().chap(), clock.instant());
        store.put(moved);
        volumes.endMove(r.id());
        LOG.infof("volume %s moved to pool %s while in use", r.id(), m.pool());
        return moved;
    }

    /** A live move this call leaves to the settle pass (the compute side could not say how it ended). */
    public void release(UUID id) {
        volumes.endMove(id);
    }

    /** After {@link #swapLive} and the old target's removal: the old copy removed (else a repair pass retries). */
    public VolumeRecord finishLive(VolumeRecord moved) {
        return volumes.finishMove(moved);
    }

    /**
     * Before the guest was switched: the copy goes (its target must be gone already), the volume stays where it
     * was, exported as it was. Called under the volume's lock.
     */
    public VolumeRecord undoLive(VolumeRecord r) {
        Migration m = r.migration();
        try {
            volumes.pools().find(m.pool()).ifPresent(p -> p.backend().delete(r.id(), m.thin()));
            VolumeRecord back = r.withPlacement(r.placement().settled(), clock.instant()).inPhase(State.AVAILABLE,
                    null, clock.instant());
            store.put(back);
            LOG.warnf("move of volume %s to pool %s undone; the volume stays in pool %s", r.id(), m.pool(),
                    back.placement().pool());
            return back;
        } finally {
            volumes.endMove(r.id());
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
