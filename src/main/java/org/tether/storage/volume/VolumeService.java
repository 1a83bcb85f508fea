package org.tether.storage.volume;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import org.tether.concurrent.KeyedLocks;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.storage.volume.VolumeRecord.SnapshotRecord;
import org.tether.storage.volume.VolumeRecord.State;

import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Volume lifecycle: each change is recorded before the backend is touched and settled after, so a crash
 * in between is finished or undone at the next start. Per-volume locks; a clone also holds its source's.
 */
@ApplicationScoped
public class VolumeService {
    private static final Logger LOG = Logger.getLogger(VolumeService.class);

    private final PoolSet pools;
    private final VolumeStore store;
    private final Clock clock;
    private final KeyedLocks locks = new KeyedLocks();
    /** Volumes whose data is being copied to another pool now (the copy runs without the volume's lock). */
    private final java.util.Set<UUID> moving = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final org.tether.metrics.OperationMetrics metrics;

    public VolumeService(PoolSet pools, VolumeStore store, Clock clock) {
        this(pools, store, clock, new org.tether.metrics.OperationMetrics(
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry()));
    }

    @Inject
    public VolumeService(PoolSet pools, VolumeStore store, Clock clock, org.tether.metrics.OperationMetrics metrics) {
        this.pools = pools;
        this.store = store;
        this.clock = clock;
        this.metrics = metrics;
    }

    /**
     * The backend's work of one operation on a pool, counted and timed as {@code tether_pool_operation_seconds}
     * with the pool, the operation and how it ended.
     */
    private void counted(Pool pool, String op, Runnable work) {
        metrics.record("pool.operation", () -> {
            work.run();
            return null;
        }, "pool", pool.name(), "op", op);
    }

    public PoolSet pools() {
        return pools;
    }

    /** The backend of a recorded volume (its pool's). */
    private VolumeBackend backend(VolumeRecord r) {
        return pools.of(r).backend();
    }

    public KeyedLocks.Held lock(UUID volumeId) {
        return locks.lock(volumeId.toString());
    }

    /** A volume by id; image-cache entries are volumes of the backend but not of the API. */
    public VolumeRecord get(UUID id) {
        return store.find(id).filter(v -> !v.cacheEntry()).orElseThrow(() -> new TetherException(
                ErrorCode.VOLUME_NOT_FOUND, "id", "no volume " + id));
    }

    public Optional<VolumeRecord> find(UUID id) {
        return store.find(id).filter(v -> !v.cacheEntry());
    }

    public List<VolumeRecord> list() {
        return store.all().stream().filter(v -> !v.cacheEntry()).toList();
    }

    public VolumeRecord create(CreateVolume req) {
        return create(req, null);
    }

    /**
     * @param writer makes the volume's bytes (from an image), or null for the backend's own create or copy.
     *               It runs under the volume's lock, which a long write holds for minutes: readers do not wait
     *               for it, a delete is refused at once, recovery passes it by.
     */
    public VolumeRecord create(CreateVolume req, ContentWriter writer) {
        UUID source = req.sourceVolume();
        // two locks are always taken in id order, so two clones of each other cannot deadlock
        UUID first = source == null || req.id().compareTo(source) < 0 ? req.id() : source;
        UUID second = source == null ? null : first.equals(req.id()) ? source : req.id();
        try (var a = lock(first); var b = second == null ? null : lock(second)) {
            Optional<VolumeRecord> existing = store.find(req.id());
            if (existing.isPresent() && existing.get().cacheEntry()) {
                throw new TetherException(ErrorCode.VOLUME_CONFLICT, "id", "id " + req.id() + " is taken");
            }
            if (existing.isPresent() && inFlight(existing.get().state())) {
                // under the lock, a record still creating is what a failed create could not undo (a crash,
                // a full disk): the retry takes it away first and starts over
                backend(existing.get()).delete(req.id(), existing.get().thin());
                store.remove(existing.get());
                existing = Optional.empty();
            }
            if (existing.isPresent()) {
                return repeat(existing.get(), req);
            }
            Pool pool = req.placement() == null ? pools.defaultPool() : pools.find(req.placement().pool())
                    .orElseThrow(() -> TetherException.invalid("pool", "no pool " + req.placement().pool()));
            VolumeRecord.Source from = checkSource(req, pool);
            VolumeBackend backend = pool.backend();
            pool.capacity().check(backend.admissionStats(), provisioned(pool), (long) req.sizeGb() << 30, req.thin());
            // a copy of an encrypted volume is encrypted with its key (its bytes are the same LUKS volume)
            VolumeRecord.Encryption encryption = req.encryption() != null ? req.encryption() : sourceEncryption(req);
            VolumeRecord r = new VolumeRecord(req.id(), req.sizeGb(), req.thin(), State.CREATING, from,
                    req.qosSpecs(), null, List.of(), List.of(), clock.instant(), clock.instant(), null, req.image(),
                    req.placement(), encryption);
            store.put(r);
            try {
                long bytes = r.sizeBytes();
                VolumeRecord[] current = {r};
                VolumeRecord made = r;
                counted(pool, writer != null ? "create_with_content" : req.sourceSnapshot() != null
                        ? "create_from_snapshot" : req.sourceVolume() != null ? "clone" : "create", () -> {
                    if (writer != null) {
                        writer.write(made, (phase, percent) -> {
                            current[0] = current[0].inPhase(phase, percent, clock.instant());
                            store.put(current[0]);
                        });
                    } else if (req.sourceSnapshot() != null) {
                        UUID owner = store.ownerOf(req.sourceSnapshot()).orElseThrow().id();
                        backend.createFromSnapshot(made.id(), bytes, made.thin(), owner, req.sourceSnapshot());
                    } else if (req.sourceVolume() != null) {
                        backend.cloneVolume(made.id(), bytes, made.thin(), req.sourceVolume());
                    } else {
                        backend.create(made.id(), bytes, made.thin());
                    }
                });
                r = current[0];
            } catch (RuntimeException e) {
                undoCreate(r);
                throw e;
            }
            r = r.inPhase(State.AVAILABLE, null, clock.instant());
            store.put(r);
            LOG.infof("created volume %s (%d GiB, %s%s)", r.id(), r.sizeGb(), r.thin() ? "thin" : "thick",
                    r.bootable() ? ", from image " + r.image().metadata().get("image_id") : "");
            return r;
        }
    }

    private VolumeRecord repeat(VolumeRecord r, CreateVolume req) {
        boolean same = r.sizeGb() == req.sizeGb() && r.thin() == req.thin()
                && Objects.equals(r.source() == null ? null : r.source().id(),
                req.sourceSnapshot() != null ? req.sourceSnapshot() : req.sourceVolume())
                && Objects.equals(imageId(r.image()), imageId(req.image()))
                && Objects.equals(typeName(r.placement()), typeName(req.placement()))
                && (req.encryption() == null) == (r.encryption() == null);
        if (!same || r.state() != State.AVAILABLE) {
            throw new TetherException(ErrorCode.VOLUME_CONFLICT, "id", "volume " + r.id() + " exists ("
                    + r.sizeGb() + " GiB, " + r.state().name().toLowerCase() + ") and differs from this request");
        }
        return r;
    }

    private static String typeName(VolumeRecord.Placement p) {
        return p == null || p.type() == null ? null : p.type().name();
    }

    private static String imageId(VolumeRecord.ImageOrigin origin) {
        return origin == null ? null : origin.metadata().get("image_id");
    }

    /** A create or delete not yet finished (a crash or a failed undo can leave one). */
    private static boolean inFlight(State s) {
        return s == State.CREATING || s == State.DOWNLOADING || s == State.CONVERTING;
    }

    /** The source volume's record for a clone, or the owner of the snapshot; the new size must hold it. */
    private VolumeRecord.Source checkSource(CreateVolume req, Pool pool) {
        if (req.sourceSnapshot() != null) {
            VolumeRecord owner = store.ownerOf(req.sourceSnapshot()).orElseThrow(() -> new TetherException(
                    ErrorCode.SNAPSHOT_NOT_FOUND, "source.snapshot_id", "no snapshot " + req.sourceSnapshot()));
            requireRoom(req, owner.snapshot(req.sourceSnapshot()).orElseThrow().sizeGb());
            requireSamePool(pool, owner, "source.snapshot_id");
            return new VolumeRecord.Source("snapshot", req.sourceSnapshot());
        }
        if (req.sourceVolume() != null) {
            VolumeRecord src = store.find(req.sourceVolume()).filter(v -> v.state() == State.AVAILABLE)
                    .orElseThrow(() -> new TetherException(ErrorCode.VOLUME_NOT_FOUND, "source.volume_id",
                            "no available volume " + req.sourceVolume()));
            requireRoom(req, src.sizeGb());
            requireSamePool(pool, src, "source.volume_id");
            return new VolumeRecord.Source("volume", req.sourceVolume());
        }
        return null;
    }

    private VolumeRecord.Encryption sourceEncryption(CreateVolume req) {
        UUID src = req.sourceVolume();
        Optional<VolumeRecord> owner = req.sourceSnapshot() != null ? store.ownerOf(req.sourceSnapshot())
                : src != null ? store.find(src) : Optional.empty();
        return owner.map(VolumeRecord::encryption).orElse(null);
    }

    /** A snapshot or clone is made by the source's own backend, so in the source's pool. */
    private void requireSamePool(Pool pool, VolumeRecord source, String field) {
        Pool its = pools.of(source);
        if (!its.name().equals(pool.name())) {
            throw TetherException.invalid(field, "the source is in pool " + its.name() + "; a volume made from it "
                    + "is made there, not in pool " + pool.name());
        }
    }

    private static void requireRoom(CreateVolume req, int sourceGb) {
        if (req.sizeGb() < sourceGb) {
            throw TetherException.invalid("size_gb", "size_gb must be at least the source's " + sourceGb);
        }
    }

    private void undoCreate(VolumeRecord r) {
        try {
            backend(r).delete(r.id(), r.thin());
            store.remove(r);
        } catch (RuntimeException undo) {
            LOG.errorf("undo of create %s incomplete, kept as creating for the next start: %s", r.id(),
                    undo.getMessage());
        }
    }

    void startMove(UUID id) {
        moving.add(id);
    }

    void endMove(UUID id) {
        moving.remove(id);
    }

    /**
     * After a move's swap (called under the volume's lock): the old copy removed and the move forgotten. When
     * the old copy cannot be removed now, the record keeps saying so and a repair pass tries again.
     */
    VolumeRecord finishMove(VolumeRecord moved) {
        VolumeRecord.Migration m = moved.migration();
        if (m == null || m.phase() != VolumeRecord.Migration.Phase.CLEANUP) {
            return moved;
        }
        try {
            pools.find(m.pool()).orElseThrow(() -> new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, null,
                    "pool " + m.pool() + " is no longer declared")).backend().delete(moved.id(), m.thin());
        } catch (TetherException e) {
            LOG.errorf("old copy of moved volume %s in pool %s not removed yet (the repair pass tries again): %s",
                    moved.id(), m.pool(), e.getMessage());
            return moved;
        }
        VolumeRecord done = moved.withPlacement(moved.placement().settled(), clock.instant());
        store.put(done);
        return done;
    }

    /** A move a crash interrupted while copying: the copy goes, the volume is where it was, as it was. */
    private void undoMove(VolumeRecord r) {
        VolumeRecord.Migration m = r.migration();
        pools.find(m.pool()).ifPresent(p -> p.backend().delete(r.id(), m.thin()));
        store.put(r.withPlacement(r.placement().settled(), clock.instant())
                .inPhase(State.AVAILABLE, null, clock.instant()));
    }

    /** @return false when there was no such volume */
    public boolean delete(UUID id) {
        Optional<KeyedLocks.Held> free = locks.tryLock(id.toString());
        if (free.isEmpty()) {
            store.find(id).filter(v -> v.state() == State.DOWNLOADING || v.state() == State.CONVERTING
                            || v.state() == State.RESTORING)
                    .ifPresent(v -> {
                        throw busy(v, "it is being " + (v.state() == State.RESTORING ? "restored from a backup"
                                : "made from an image (" + v.state().name().toLowerCase() + ")"));
                    });
        }
        try (var held = free.isPresent() ? free.get() : lock(id)) {
            Optional<VolumeRecord> found = store.find(id).filter(v -> !v.cacheEntry());
            if (found.isEmpty()) {
                return false;
            }
            VolumeRecord r = found.get();
            if (!r.exports().isEmpty()) {
                throw busy(r, "it is exported to " + r.exports().get(0).initiator() + "; unexport it first");
            }
            if (!r.snapshots().isEmpty()) {
                throw busy(r, "it has " + r.snapshots().size() + " snapshot(s); delete them first");
            }
            if (r.state() == State.MIGRATING) {
                throw busy(r, "it is moving to pool " + r.migration().pool());
            }
            if (r.migration() != null) {
                r = finishMove(r); // the old copy of a finished move first, so nothing of it is left behind
                if (r.migration() != null) {
                    throw busy(r, "the old copy of its move in pool " + r.migration().pool() + " cannot be removed now");
                }
            }
            VolumeBackend backend = backend(r);
            store.put(r.with(State.DELETING, clock.instant()));
            boolean thin = r.thin();
            try {
                counted(pools.of(r), "delete", () -> backend.delete(id, thin));
            } catch (TetherException e) {
                if (e.code() == ErrorCode.VOLUME_BUSY || e.code() == ErrorCode.STORAGE_UNAVAILABLE) {
                    store.put(r); // refused before anything was removed (in use, cluster away): as it was
                }
                throw e;
            }
            store.remove(r);
            LOG.infof("deleted volume %s", id);
            return true;
        }
    }

    public VolumeRecord extend(UUID id, int newSizeGb) {
        try (var held = lock(id)) {
            VolumeRecord r = available(id);
            if (newSizeGb < r.sizeGb()) {
                throw TetherException.invalid("new_size_gb", "new_size_gb must be >= the current " + r.sizeGb());
            }
            if (newSizeGb == r.sizeGb()) {
                return r;
            }
            Pool pool = pools.of(r);
            pool.capacity().check(pool.backend().admissionStats(), provisioned(pool), (long) (newSizeGb - r.sizeGb()) << 30,
                    r.thin());
            counted(pool, "extend", () -> pool.backend().extend(id, (long) newSizeGb << 30));
            VolumeRecord grown = r.withSize(newSizeGb, clock.instant());
            store.put(grown);
            return grown;
        }
    }

    /** A new volume type for a volume its pool already serves as the type asks (a retype without a move). */
    public VolumeRecord changeType(UUID id, VolumeType type) {
        try (var held = lock(id)) {
            VolumeRecord r = available(id);
            VolumeRecord changed = r.withPlacement(r.placement() == null ? new VolumeRecord.Placement(pools.nameOf(r),
                    type) : r.placement().withType(type), clock.instant());
            store.put(changed);
            return changed;
        }
    }

    public SnapshotRecord snapshot(UUID volumeId, UUID snapshotId) {
        try (var held = lock(volumeId)) {
            VolumeRecord r = available(volumeId);
            Optional<SnapshotRecord> existing = r.snapshot(snapshotId);
            if (existing.isPresent()) {
                return existing.get();
            }
            if (store.ownerOf(snapshotId).isPresent() || store.find(snapshotId).isPresent()) {
                throw new TetherException(ErrorCode.VOLUME_CONFLICT, "id", "id " + snapshotId + " is taken");
            }
            boolean thin = r.thin();
            counted(pools.of(r), "snapshot", () -> backend(r).createSnapshot(volumeId, snapshotId, thin));
            SnapshotRecord snap = new SnapshotRecord(snapshotId, r.sizeGb(), clock.instant());
            store.put(r.withSnapshot(snap, clock.instant()));
            return snap;
        }
    }

    /** @return false when there was no such snapshot */
    public boolean deleteSnapshot(UUID snapshotId) {
        Optional<VolumeRecord> owner = store.ownerOf(snapshotId);
        if (owner.isEmpty()) {
            return false;
        }
        try (var held = lock(owner.get().id())) {
            VolumeRecord r = get(owner.get().id());
            if (r.snapshot(snapshotId).isEmpty()) {
                return false;
            }
            counted(pools.of(r), "delete_snapshot", () -> backend(r).deleteSnapshot(r.id(), snapshotId));
            store.put(r.withoutSnapshot(snapshotId, clock.instant()));
            return true;
        }
    }

    public VolumeRecord revert(UUID volumeId, UUID snapshotId) {
        try (var held = lock(volumeId)) {
            VolumeRecord r = available(volumeId);
            SnapshotRecord snap = r.snapshot(snapshotId).orElseThrow(() -> new TetherException(
                    ErrorCode.SNAPSHOT_NOT_FOUND, "snapshot_id", "volume " + volumeId + " has no snapshot " + snapshotId));
            if (!r.exports().isEmpty()) {
                throw busy(r, "it is exported; a revert under a connected initiator would corrupt its view");
            }
            if (snap.sizeGb() != r.sizeGb()) {
                throw busy(r, "it was extended after the snapshot; revert needs the snapshot's size");
            }
            counted(pools.of(r), "revert", () -> backend(r).revert(volumeId, snapshotId, r.thin()));
            return r;
        }
    }

    /**
     * At start and on every repair pass: a create or delete that a crash (or a failure whose undo failed
     * too, such as a full disk) left behind is taken to its safe end, which for both is "gone": a half-made
     * volume holds no data anyone was promised, a half-deleted one was being deleted. A record is read again
     * under its lock, so a create or delete running now is never touched.
     */
    public int recover() {
        int n = 0;
        for (VolumeRecord listed : store.all()) {
            if (settled(listed) || moving.contains(listed.id())) {
                continue;
            }
            Optional<KeyedLocks.Held> free = locks.tryLock(listed.key());
            if (free.isEmpty()) {
                continue; // being created or deleted right now, by a call that finishes or undoes it itself
            }
            try (var held = free.get()) {
                VolumeRecord r = store.find(listed.id()).orElse(null);
                if (r == null || settled(r) || moving.contains(r.id())) {
                    continue;
                }
                if (r.migration() != null && r.migration().live()) {
                    continue; // a move of a volume in use: its compute side says how it ended (InUseVolumeMoves)
                }
                n++;
                if (r.state() == State.RESTORING) {
                    store.put(r.inPhase(State.ERROR, null, clock.instant()));
                    LOG.warnf("the restore into volume %s was interrupted; the volume is in error (restore into it "
                            + "again, or delete it)", r.id());
                    continue;
                }
                if (r.state() == State.MIGRATING) {
                    undoMove(r);
                    LOG.infof("undid the interrupted move of volume %s to pool %s; it stays in pool %s", r.id(),
                            r.migration().pool(), pools.nameOf(r));
                    continue;
                }
                if (r.migration() != null) {
                    if (finishMove(r).migration() == null) {
                        LOG.infof("finished the move of volume %s: its old copy in pool %s removed", r.id(),
                                r.migration().pool());
                    }
                    continue;
                }
                backend(r).delete(r.id(), r.thin());
                store.remove(r);
                LOG.infof("finished interrupted %s of %s %s", r.state() == State.DELETING ? "delete" : "create",
                        r.cacheEntry() ? "image cache entry" : "volume", r.id());
            } catch (TetherException e) {
                LOG.errorf("could not finish interrupted %s of %s: %s", listed.state(), listed.id(), e.getMessage());
            }
        }
        return n;
    }

    /** Nothing left to finish or undo: available (or in error, which waits for the operator), no move half-done. */
    private static boolean settled(VolumeRecord r) {
        return (r.state() == State.AVAILABLE || r.state() == State.ERROR) && r.migration() == null;
    }

    /**
     * Writes over an existing volume (a restore): it must be available or in error, not exported, and at least
     * {@code minBytes}; it is RESTORING while {@code writer} runs, under the volume's lock, then AVAILABLE, or
     * ERROR when the writer failed (its data is no longer what it was, nor what was being written).
     */
    public VolumeRecord overwrite(UUID id, long minBytes, ContentWriter writer) {
        try (var held = lock(id)) {
            VolumeRecord r = get(id);
            if (r.cacheEntry() || (r.state() != State.AVAILABLE && r.state() != State.ERROR) || r.migration() != null) {
                throw busy(r, "it is " + r.state().name().toLowerCase());
            }
            if (!r.exports().isEmpty()) {
                throw busy(r, "it is exported to " + r.exports().get(0).initiator() + "; a volume in use is never "
                        + "written over");
            }
            if (r.sizeBytes() < minBytes) {
                throw TetherException.invalid("volume_id", "volume " + id + " holds " + r.sizeBytes()
                        + " bytes; this needs at least " + minBytes);
            }
            VolumeRecord[] current = {r.inPhase(State.RESTORING, 0, clock.instant())};
            store.put(current[0]);
            try {
                writer.write(current[0], (phase, percent) -> {
                    current[0] = current[0].inPhase(State.RESTORING, percent, clock.instant());
                    store.put(current[0]);
                });
            } catch (RuntimeException e) {
                store.put(current[0].inPhase(State.ERROR, null, clock.instant()));
                throw e;
            }
            VolumeRecord done = current[0].inPhase(State.AVAILABLE, null, clock.instant());
            store.put(done);
            return done;
        }
    }

    /** Bytes promised to every volume of the pool, cache entries included (what over-subscription is measured by). */
    public long provisioned(Pool pool) {
        long copies = store.all().stream().filter(r -> r.state() == State.MIGRATING
                && pool.name().equals(r.migration().pool())).mapToLong(VolumeRecord::sizeBytes).sum();
        return inPool(pool).mapToLong(VolumeRecord::sizeBytes).sum() + copies; // with copies being made into it
    }

    /** Volumes (not cache entries) in the pool. */
    public List<VolumeRecord> list(Pool pool) {
        return inPool(pool).filter(v -> !v.cacheEntry()).toList();
    }

    private java.util.stream.Stream<VolumeRecord> inPool(Pool pool) {
        return store.all().stream().filter(r -> pool.name().equals(pools.nameOf(r)));
    }

    /** The block device (or file) a target exports for a recorded volume. */
    public String devicePath(VolumeRecord r) {
        return backend(r).devicePath(r.id());
    }

    /** The block device (or file) of the volume's copy in another pool (a move's other copy). */
    public String devicePathIn(String pool, UUID id) {
        return pools.find(pool).orElseThrow(() -> new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, null,
                "pool " + pool + " is no longer declared")).backend().devicePath(id);
    }

    /** Whether a move of the volume runs in this process now. */
    public boolean moving(UUID id) {
        return moving.contains(id);
    }

    private VolumeRecord available(UUID id) {
        VolumeRecord r = get(id);
        if (r.state() != State.AVAILABLE) {
            throw busy(r, "it is " + r.state().name().toLowerCase());
        }
        return r;
    }

    private static TetherException busy(VolumeRecord r, String why) {
        return new TetherException(ErrorCode.VOLUME_BUSY, null, "volume " + r.id() + " cannot change: " + why);
    }
}
